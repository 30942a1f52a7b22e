"""Lists, history and worklists: the post list and its export row, the audit history, counts, vacancies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ...domain import posts as rules
from ...models.audit import AuditEntry
from ...models.people import Region
from ...models.policy import Fund, PostCategory
from ...models.posts import Post
from ...pagination import in_ids
from ..permissions import scope_regions

# ---- lists, history, worklists, the parity report ----


@dataclass
class PostFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None
    category_id: int | None = None
    status: str = ""
    deviation: str = ""  # '' all · 'any' any deviation · a DEVIATION_STATES value


def post_query(actor, f: PostFilter) -> Select:
    """Posts in the actor's scope matching the filter, newest first, with their regions, category,
    fund and standard loaded."""
    return post_filter_query(actor, f).options(
        joinedload(Post.village),
        joinedload(Post.township),
        joinedload(Post.category),
        joinedload(Post.fund),
        joinedload(Post.standard),
    )


def post_filter_query(actor, f: PostFilter) -> Select:
    """Posts in the actor's scope matching the filter, newest first (nothing loaded beside them: the list
    page pages through its ids and loads its rows with `post_list_rows`)."""
    q = scope_regions(actor, select(Post), Post.village_id)
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(or_(Post.title.like(like), Post.code.like(like)))
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    if f.township_id:
        q = q.where(Post.township_id == f.township_id)
    if f.category_id:
        q = q.where(Post.category_id == f.category_id)
    if f.status:
        q = q.where(Post.status == f.status)
    if f.deviation == "any":
        q = q.where(Post.deviation_status != "none")
    elif f.deviation:
        q = q.where(Post.deviation_status == f.deviation)
    return q.order_by(Post.id.desc())


_post, _category, _fund = Post.__table__, PostCategory.__table__, Fund.__table__
_village, _township = Region.__table__.alias("village"), Region.__table__.alias("township")
# The list's columns for a page of ids, built once (the ids are bound at execution). Table columns, not
# the mapped attributes: a plain Core statement skips the ORM's per-execution setup.
_LIST_ROWS = (
    select(
        _post.c.id,
        _post.c.code,
        _post.c.title,
        _post.c.headcount,
        _post.c.allowance_fen,
        _post.c.required_days,
        _post.c.status,
        _post.c.deviation_status,
        _township.c.name.label("township"),
        _village.c.name.label("village"),
        _category.c.name.label("category"),
        _fund.c.name.label("fund"),
    )
    .select_from(
        _post.outerjoin(_township, _township.c.id == _post.c.township_id)
        .outerjoin(_village, _village.c.id == _post.c.village_id)
        .outerjoin(_category, _category.c.id == _post.c.category_id)
        .outerjoin(_fund, _fund.c.id == _post.c.fund_id)
    )
    .where(in_ids(_post.c.id))
)


@dataclass(slots=True)
class PostRow:
    """One line of the post list: what it shows, nothing else (a plain object: a template reads ~15
    attributes a row, several times faster from slots than from a SQLAlchemy Row)."""

    id: int
    code: str
    title: str
    headcount: int
    allowance_fen: int
    required_days: int
    status: str
    deviation_status: str
    township: str | None
    village: str | None
    category: str | None
    fund: str | None


def post_list_rows(session: Session, ids: list[int]) -> list[PostRow]:
    """The post list's rows for `ids` (already filtered and scoped by `post_filter_query`): one statement."""
    return [PostRow(*r) for r in session.execute(_LIST_ROWS, {"ids": ids})]


def post_history(session: Session, post: Post) -> list[AuditEntry]:
    """The post's state history, from the audit trail."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "post", AuditEntry.object_id == str(post.id))
            .order_by(AuditEntry.id)
        ).all()
    )


def count_by_status(session: Session, actor, statuses: tuple[str, ...]) -> int:
    return (
        session.scalar(
            scope_regions(actor, select(func.count(Post.id)), Post.village_id).where(
                Post.status.in_(statuses)
            )
        )
        or 0
    )


@dataclass
class Vacancy:
    post: Post
    active: int
    vacancies: int
    vacant_since: date | None
    days_vacant: int | None

    @property
    def over_a_month(self) -> bool:
        return self.days_vacant is not None and self.days_vacant >= 30


def vacant_posts(
    session: Session, actor, today: date, *, township_id: int | None = None, village_id: int | None = None
) -> list[Vacancy]:
    """有岗无人: approved / recruiting / partly filled posts with fewer active holders than places,
    with the date the vacancy began (approval, or the day after the last holder left)."""
    from ...models.contracts import Contract

    active_sq = (
        select(Contract.post_id, func.count(Contract.id).label("n"))
        .where(Contract.status == "active")
        .group_by(Contract.post_id)
        .subquery()
    )
    ended_sq = (
        select(Contract.post_id, func.max(func.coalesce(Contract.exit_on, Contract.end_on)).label("last"))
        .where(Contract.status.in_(("ended", "terminated")))
        .group_by(Contract.post_id)
        .subquery()
    )
    q = scope_regions(actor, select(Post, func.coalesce(active_sq.c.n, 0), ended_sq.c.last), Post.village_id)
    q = (
        q.outerjoin(active_sq, active_sq.c.post_id == Post.id)
        .outerjoin(ended_sq, ended_sq.c.post_id == Post.id)
        .where(Post.status.in_(rules.VACANCY_STATES), func.coalesce(active_sq.c.n, 0) < Post.headcount)
        .options(joinedload(Post.village), joinedload(Post.township), joinedload(Post.category))
    )
    if township_id:
        q = q.where(Post.township_id == township_id)
    if village_id:
        q = q.where(Post.village_id == village_id)
    out = []
    for post, active, last in session.execute(q.order_by(Post.id)).all():
        since = post.decided_on
        if last is not None:
            after_last = last + timedelta(days=1)
            since = max(since, after_last) if since else after_last
        days = (today - since).days if since and since <= today else (0 if since else None)
        out.append(Vacancy(post, active, post.headcount - active, since, days))
    out.sort(key=lambda v: (v.vacant_since or date.max, v.post.id))
    return out


def post_row(p: Post) -> dict:
    """One post as plain values (the list export)."""
    return {
        "code": p.code,
        "title": p.title,
        "township": p.township.name,
        "village": p.village.name,
        "category": p.category.name,
        "fund": f"{p.fund.name}（{p.fund.year}）",
        "headcount": p.headcount,
        "allowance_fen": p.allowance_fen,
        "required_days": p.required_days,
        "full_time": p.full_time,
        "work_place": p.work_place,
        "hours": p.hours,
        "duties": p.duties,
        "need_text": p.need_text,
        "eligible_pool": p.eligible_pool,
        "status": p.status,
        "status_label": rules.state_label(p.status),
        "deviation_status": p.deviation_status,
        "deviation_label": rules.DEVIATION_LABELS.get(p.deviation_status, p.deviation_status),
        "deviation_reason": p.deviation_reason,
    }
