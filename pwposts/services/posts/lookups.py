"""Shared look-ups and helpers: the audit fields, the proposal form's input, the standard in force, the
village/category/fund checks, post codes, the actor's county and the form's choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, joinedload

from ...domain.errors import DomainError, NotFound
from ...models.people import Region
from ...models.policy import Fund, PostCategory, Standard
from ...models.posts import Post
from .. import audit
from ..permissions import get_scoped, require, scope_regions
from ..settings import county_of, int_setting

# Fields shown in the audit trail's before/after of a post.
AUDIT_FIELDS = (
    "code",
    "title",
    "status",
    "village_id",
    "category_id",
    "fund_id",
    "standard_id",
    "headcount",
    "duties",
    "work_place",
    "hours",
    "need_text",
    "eligible_pool",
    "allowance_fen",
    "required_days",
    "full_time",
    "deviation_reason",
    "deviation_status",
    "decision_reason",
)
EDITABLE = (
    "title",
    "village_id",
    "category_id",
    "fund_id",
    "headcount",
    "duties",
    "work_place",
    "hours",
    "need_text",
    "eligible_pool",
    "allowance_fen",
    "required_days",
    "deviation_reason",
)


@dataclass
class PostInput:
    """What a township clerk writes when proposing a post. allowance/days None → the county standard."""

    title: str
    village_id: int
    category_id: int
    fund_id: int
    headcount: int
    duties: str
    work_place: str
    hours: str
    need_text: str
    eligible_pool: int | None = None
    allowance_fen: int | None = None
    required_days: int | None = None
    deviation_reason: str | None = None


def _snap(post: Post) -> dict:
    return audit.snapshot(post, AUDIT_FIELDS)


def _label(post: Post) -> str:
    return f"{post.code}“{post.title}”"


# ---- look-ups ----


def standard_in_force(session: Session, county_id: int, category_id: int, on: date) -> Standard | None:
    """The county standard for a category in force on a date (the latest that began by then)."""
    return session.scalar(
        select(Standard)
        .where(
            Standard.county_id == county_id,
            Standard.category_id == category_id,
            Standard.effective_from <= on,
            or_(Standard.effective_to.is_(None), Standard.effective_to >= on),
        )
        .order_by(Standard.effective_from.desc())
        .limit(1)
    )


def _require_standard(session: Session, county: Region, category: PostCategory, on: date) -> Standard:
    std = standard_in_force(session, county.id, category.id, on)
    if std is None:
        raise DomainError(
            "standard_missing",
            f"{county.name}在{on.isoformat()}没有“{category.name}”类岗位的县定标准：请县级管理员先设置标准",
        )
    return std


def _village(session: Session, actor, village_id: int, action: str) -> Region:
    village = session.get(Region, village_id)
    if village is None or village.level != "village":
        raise NotFound("村")
    require(actor, action, village, what="村")
    return village


def _category(session: Session, category_id: int) -> PostCategory:
    cat = session.get(PostCategory, category_id)
    if cat is None:
        raise NotFound("岗位类别")
    return cat


def _fund(session: Session, county: Region, fund_id: int, today: date) -> Fund:
    fund = session.get(Fund, fund_id)
    if fund is None or fund.county_id != county.id:
        raise NotFound("资金来源")
    if fund.year != today.year:
        raise DomainError(
            "fund_wrong_year",
            f"资金来源“{fund.name}”是{fund.year}年度的，新设岗位须使用{today.year}年度的资金",
        )
    return fund


def tolerance_pct(session: Session, county_id: int, on: date) -> int:
    return int_setting(session, county_id, "parity_tolerance_pct", on) or 0


def active_holders(session: Session, post_id: int) -> int:
    from ...models.contracts import Contract

    return (
        session.scalar(
            select(func.count(Contract.id)).where(Contract.post_id == post_id, Contract.status == "active")
        )
        or 0
    )


_POST_CODE_LOCK = 7243004  # advisory-lock namespace: one village-year's post numbers


def _next_code(session: Session, village: Region, today: date) -> str:
    """岗位编号: village code, year, sequence — e.g. 522701100201-2026-003 (…-1000 after …-999).

    On PostgreSQL two clerks proposing posts for one village at once are serialised here until commit
    (otherwise both would take the same number and the second would be refused by the unique code);
    SQLite's writers are serialised at BEGIN already."""
    prefix = f"{village.code}-{today.year}-"
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"), {"ns": _POST_CODE_LOCK, "k": prefix}
        )
    last = session.scalar(  # the highest number, not the last string: "1000" sorts before "999"
        select(Post.code)
        .where(Post.code.like(prefix + "%"))
        .order_by(func.length(Post.code).desc(), Post.code.desc())
        .limit(1)
    )
    suffix = last.rsplit("-", 1)[1] if last else ""
    n = int(suffix) + 1 if suffix.isdigit() else 1
    return f"{prefix}{n:03d}"


def load_post(session: Session, actor, post_id: int, action: str = "view_post") -> Post:
    return get_scoped(session, actor, Post, post_id, action, "岗位")


def _actor_county(session: Session, actor) -> Region | None:
    if actor is None or actor.region is None:
        return None
    return county_of(session, actor.region)


def actor_county(session: Session, actor) -> Region | None:
    """The county whose policy applies to the actor."""
    return _actor_county(session, actor)


def form_choices(session: Session, actor, today: date) -> dict:
    """Villages in the actor's scope, categories, and the county's funds of this year — for forms."""
    county = _actor_county(session, actor)
    villages = (
        session.execute(
            scope_regions(actor, select(Region), Region.id)
            .where(Region.level == "village")
            .options(joinedload(Region.parent))
            .order_by(Region.code)
        )
        .scalars()
        .all()
    )
    cats = session.scalars(select(PostCategory).order_by(PostCategory.code)).all()
    funds = session.scalars(
        select(Fund)
        .where(Fund.county_id == (county.id if county else -1), Fund.year == today.year)
        .order_by(Fund.name)
    ).all()
    return {"villages": villages, "categories": cats, "funds": funds}


def standards_today(session: Session, county_id: int, today: date) -> dict[int, Standard]:
    """{category_id: standard in force today} for showing defaults next to the form."""
    rows = session.scalars(
        select(Standard)
        .where(
            Standard.county_id == county_id,
            Standard.effective_from <= today,
            or_(Standard.effective_to.is_(None), Standard.effective_to >= today),
        )
        .order_by(Standard.effective_from)
    ).all()
    return {s.category_id: s for s in rows}
