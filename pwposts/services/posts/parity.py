"""The parity report: per category, allowances across townships and villages and every deviating post."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ...domain import posts as rules
from ...models.policy import PostCategory, Standard
from ...models.posts import Post
from ..permissions import scope_regions
from .lookups import _actor_county, standard_in_force, tolerance_pct


@dataclass
class ParityLine:
    post: Post
    allowance_pct: Decimal | None
    days_pct: Decimal | None
    exceeds: bool


@dataclass
class ParityGroup:
    """One row of the parity report: a category across townships and villages."""

    category: PostCategory
    standard: Standard | None  # in force on the report date
    count: int = 0
    min_fen: int | None = None
    median_fen: int | None = None
    max_fen: int | None = None
    by_township: list[dict] = field(default_factory=list)
    deviating: list[ParityLine] = field(default_factory=list)


# Posts on the report: every one sent to or approved by the county and not closed.
REPORT_STATES = ("submitted",) + rules.LIVE_STATES


def parity_report(
    session: Session, actor, today: date, *, category_id: int | None = None, township_id: int | None = None
) -> tuple[list[ParityGroup], int]:
    """Per category: count, min, median and max allowance across the actor's townships and villages, and
    every deviating post (beyond the tolerance against its standard, or carrying a deviation status)
    with its reason and status. Returns (groups, tolerance in force today)."""
    q = scope_regions(actor, select(Post), Post.village_id).where(Post.status.in_(REPORT_STATES))
    if category_id:
        q = q.where(Post.category_id == category_id)
    if township_id:
        q = q.where(Post.township_id == township_id)
    q = q.options(
        joinedload(Post.village),
        joinedload(Post.township),
        joinedload(Post.category),
        joinedload(Post.standard),
    ).order_by(Post.category_id, Post.township_id, Post.village_id, Post.id)
    posts = session.scalars(q).unique().all()
    county = _actor_county(session, actor)
    tol = tolerance_pct(session, county.id, today) if county else 10
    cats = session.scalars(select(PostCategory).order_by(PostCategory.code)).all()
    if category_id:
        cats = [c for c in cats if c.id == category_id]
    by_cat: dict[int, list[Post]] = {}
    for p in posts:
        by_cat.setdefault(p.category_id, []).append(p)
    groups = []
    for cat in cats:
        items = by_cat.get(cat.id, [])
        std = standard_in_force(session, county.id, cat.id, today) if county else None
        g = ParityGroup(cat, std)
        if items:
            values = [p.allowance_fen for p in items]
            g.count, g.min_fen, g.max_fen, g.median_fen = (
                len(values),
                min(values),
                max(values),
                rules.median_fen(values),
            )
            towns: dict[int, list[Post]] = {}
            for p in items:
                towns.setdefault(p.township_id, []).append(p)
            for tp in towns.values():
                vals = [p.allowance_fen for p in tp]
                g.by_township.append(
                    {
                        "township": tp[0].township,
                        "count": len(vals),
                        "min_fen": min(vals),
                        "median_fen": rules.median_fen(vals),
                        "max_fen": max(vals),
                    }
                )
            for p in items:
                line = ParityLine(p, None, None, False)
                if p.standard is not None:
                    line.allowance_pct, line.days_pct, line.exceeds = rules.parity_deviation(
                        p.allowance_fen,
                        p.required_days,
                        p.standard.monthly_allowance_fen,
                        p.standard.required_days,
                        tol,
                    )
                if line.exceeds or p.deviation_status != "none":
                    g.deviating.append(line)
        if items or not township_id:
            groups.append(g)
    return groups, tol


def parity_plain(groups: list[ParityGroup]) -> tuple[list[dict], list[dict], list[dict]]:
    """The report as plain values (summary, township rows, deviating posts) for the .xlsx and the API."""
    summary, towns, deviating = [], [], []
    for g in groups:
        summary.append(
            {
                "category": g.category.name,
                "category_id": g.category.id,
                "standard_fen": g.standard.monthly_allowance_fen if g.standard else None,
                "standard_days": g.standard.required_days if g.standard else None,
                "count": g.count,
                "min_fen": g.min_fen,
                "median_fen": g.median_fen,
                "max_fen": g.max_fen,
                "deviating": len(g.deviating),
            }
        )
        for t in g.by_township:
            towns.append(
                {
                    "category": g.category.name,
                    "township": t["township"].name,
                    "township_id": t["township"].id,
                    "count": t["count"],
                    "min_fen": t["min_fen"],
                    "median_fen": t["median_fen"],
                    "max_fen": t["max_fen"],
                }
            )
        for line in g.deviating:
            p = line.post
            deviating.append(
                {
                    "post_id": p.id,
                    "code": p.code,
                    "title": p.title,
                    "category": g.category.name,
                    "township": p.township.name,
                    "village": p.village.name,
                    "status": p.status,
                    "status_label": rules.state_label(p.status),
                    "allowance_fen": p.allowance_fen,
                    "required_days": p.required_days,
                    "standard_fen": p.standard.monthly_allowance_fen if p.standard else None,
                    "standard_days": p.standard.required_days if p.standard else None,
                    "allowance_pct": line.allowance_pct,
                    "days_pct": line.days_pct,
                    "exceeds": line.exceeds,
                    "deviation_reason": p.deviation_reason,
                    "deviation_status": p.deviation_status,
                    "deviation_label": rules.DEVIATION_LABELS.get(p.deviation_status, p.deviation_status),
                }
            )
    return summary, towns, deviating
