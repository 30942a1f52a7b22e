"""按需设岗 use cases: propose a post for a written need at the county standard, submit it (wage
parity checked), the county approves or rejects it, recruitment opens, staffing follows the
active contracts, the post is closed. One function per transition; each audited; each refuses a
wrong state with the transition table's message (domain/posts.py). Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ..domain import posts as rules
from ..domain.errors import Conflict, DomainError, NotFound
from ..models.audit import AuditEntry
from ..models.people import Region
from ..models.policy import Fund, PostCategory, Standard
from ..models.posts import Post
from . import audit
from .clock_binding import now_of
from .permissions import get_scoped, require, scope_regions
from .settings import county_of, int_setting

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
    from ..models.contracts import Contract

    return (
        session.scalar(
            select(func.count(Contract.id)).where(Contract.post_id == post_id, Contract.status == "active")
        )
        or 0
    )


def _next_code(session: Session, village: Region, today: date) -> str:
    """岗位编号: village code, year, sequence — e.g. 522701100201-2026-003."""
    prefix = f"{village.code}-{today.year}-"
    last = session.scalar(select(func.max(Post.code)).where(Post.code.like(prefix + "%")))
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:03d}"


def load_post(session: Session, actor, post_id: int, action: str = "view_post") -> Post:
    return get_scoped(session, actor, Post, post_id, action, "岗位")


# ---- the transitions ----


def propose_post(session: Session, actor, data: PostInput, today: date) -> Post:
    """A township (on a village's request) proposes a post for a written need, at the county standard
    for its category in force today unless other terms are written (then parity applies at submit)."""
    require(actor, "propose_post")
    village = _village(session, actor, data.village_id, "propose_post")
    county = county_of(session, village)
    category = _category(session, data.category_id)
    fund = _fund(session, county, data.fund_id, today)
    std = _require_standard(session, county, category, today)
    allowance = data.allowance_fen if data.allowance_fen is not None else std.monthly_allowance_fen
    days = data.required_days if data.required_days is not None else std.required_days
    rules.check_need(data.need_text, data.headcount, data.eligible_pool)
    rules.check_terms(allowance, days)
    post = Post(
        code=_next_code(session, village, today),
        title=data.title.strip(),
        township_id=village.parent_id,
        village_id=village.id,
        category_id=category.id,
        fund_id=fund.id,
        standard_id=std.id,
        headcount=data.headcount,
        duties=data.duties.strip(),
        work_place=data.work_place.strip(),
        hours=data.hours.strip(),
        need_text=data.need_text.strip(),
        eligible_pool=data.eligible_pool,
        allowance_fen=allowance,
        required_days=days,
        full_time=std.full_time,
        deviation_reason=(data.deviation_reason or "").strip() or None,
        deviation_status="none",
        status="draft",
        created_by_id=getattr(actor, "id", None),
    )
    session.add(post)
    session.flush()
    audit.record(
        session,
        actor,
        "propose_post",
        "post",
        post.id,
        after=_snap(post),
        summary=f"拟设岗位{_label(post)}：{village.full_name}，{category.name}，{post.headcount}人",
    )
    return post


def update_draft(session: Session, actor, post: Post, data: PostInput, today: date) -> Post:
    """Change a draft's terms. A new category takes the standard in force today."""
    require(actor, "propose_post", post, what="岗位")
    if post.status != "draft":
        raise DomainError(
            "post_not_draft",
            f"只有草稿可以修改；岗位{post.code}当前为“{rules.state_label(post.status)}”"
            + ("，请先点“修改后重新提交”退回草稿" if post.status == "rejected" else ""),
        )
    before = _snap(post)
    village = _village(session, actor, data.village_id, "propose_post")
    county = county_of(session, village)
    category = _category(session, data.category_id)
    fund = post.fund if data.fund_id == post.fund_id else _fund(session, county, data.fund_id, today)
    if category.id != post.category_id or post.standard_id is None:
        std = _require_standard(session, county, category, today)
        post.standard_id, post.full_time = std.id, std.full_time
        std_allowance, std_days = std.monthly_allowance_fen, std.required_days
    else:
        std_allowance, std_days = post.standard.monthly_allowance_fen, post.standard.required_days
    allowance = data.allowance_fen if data.allowance_fen is not None else std_allowance
    days = data.required_days if data.required_days is not None else std_days
    rules.check_need(data.need_text, data.headcount, data.eligible_pool)
    rules.check_terms(allowance, days)
    post.title, post.village_id, post.township_id = data.title.strip(), village.id, village.parent_id
    post.category_id, post.fund_id, post.headcount = category.id, fund.id, data.headcount
    post.duties, post.work_place, post.hours = (
        data.duties.strip(),
        data.work_place.strip(),
        data.hours.strip(),
    )
    post.need_text, post.eligible_pool = data.need_text.strip(), data.eligible_pool
    post.allowance_fen, post.required_days = allowance, days
    post.deviation_reason = (data.deviation_reason or "").strip() or None
    session.flush()
    after = _snap(post)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        audit.record(
            session,
            actor,
            "update_post",
            "post",
            post.id,
            before={k: before[k] for k in changed},
            after=changed,
            summary=f"修改岗位草稿{_label(post)}：{len(changed)}项",
        )
    return post


def parity_of(session: Session, post: Post, on: date) -> tuple[Decimal, Decimal, bool, int] | None:
    """(allowance_pct, days_pct, exceeds, tolerance) of a post against its standard, None without one."""
    if post.standard is None:
        return None
    tol = tolerance_pct(session, post.standard.county_id, on)
    a, d, exceeds = rules.parity_deviation(
        post.allowance_fen,
        post.required_days,
        post.standard.monthly_allowance_fen,
        post.standard.required_days,
        tol,
    )
    return a, d, exceeds, tol


def submit_post(
    session: Session, actor, post: Post, today: date, deviation_reason: str | None = None
) -> Post:
    """Send a draft to the county. Wage parity (hard): beyond the county tolerance only with a written
    reason, which the county must then approve along with the post."""
    require(actor, "propose_post", post, what="岗位")
    rules.check_transition(post.status, "submitted")
    before = _snap(post)
    if deviation_reason is not None and deviation_reason.strip():
        post.deviation_reason = deviation_reason.strip()
    county = county_of(session, post.village)
    std = _require_standard(session, county, post.category, today)  # the standard in force on the submit date
    post.standard_id = std.id
    post.standard = std
    rules.check_need(post.need_text, post.headcount, post.eligible_pool)
    tol = tolerance_pct(session, county.id, today)
    post.deviation_status = rules.check_parity_for_submit(
        post.allowance_fen,
        post.required_days,
        std.monthly_allowance_fen,
        std.required_days,
        tol,
        post.deviation_reason,
    )
    post.status = "submitted"
    post.submitted_at = now_of(session)
    post.decision_reason = None
    session.flush()
    note = ""
    if post.deviation_status == "pending":
        note = (
            "；"
            + rules.parity_message(
                post.allowance_fen, post.required_days, std.monthly_allowance_fen, std.required_days, tol
            )
            + f"，偏离理由：{post.deviation_reason}"
        )
    audit.record(
        session,
        actor,
        "submit_post",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"提交县级审批：岗位{_label(post)}{note}",
    )
    return post


def approve_post(
    session: Session,
    actor,
    post: Post,
    today: date,
    *,
    approve_deviation: bool = False,
    note: str | None = None,
) -> Post:
    """The county approves a submitted post; a post beyond the parity band only with its reason approved
    explicitly (approve_deviation=True)."""
    require(actor, "approve_post", post, what="岗位")
    rules.check_transition(post.status, "approved")
    if post.deviation_status == "pending" and not approve_deviation:
        raise DomainError(
            "parity_approval_required",
            f"岗位{post.code}的补贴或出勤天数偏离县定标准超出容差，偏离理由为：“{post.deviation_reason}”。"
            "批准岗位须同时明确批准该偏离理由；不同意请退回",
        )
    before = _snap(post)
    if post.deviation_status == "pending":
        post.deviation_status = "approved"
    post.status = "approved"
    post.decision_reason = (note or "").strip() or None
    post.decided_by_id, post.decided_at, post.decided_on = getattr(actor, "id", None), now_of(session), today
    session.flush()
    audit.record(
        session,
        actor,
        "approve_post",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"批准岗位{_label(post)}"
        + ("（含补贴偏离理由）" if post.deviation_status == "approved" else ""),
    )
    return post


def reject_post(session: Session, actor, post: Post, reason: str, today: date) -> Post:
    """The county rejects a submitted post with a written reason; a pending deviation reason is rejected
    with it."""
    require(actor, "approve_post", post, what="岗位")
    rules.check_transition(post.status, "rejected")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", f"退回岗位{post.code}须写明理由")
    before = _snap(post)
    if post.deviation_status == "pending":
        post.deviation_status = "rejected"
    post.status = "rejected"
    post.decision_reason = reason
    post.decided_by_id, post.decided_at, post.decided_on = getattr(actor, "id", None), now_of(session), today
    session.flush()
    audit.record(
        session,
        actor,
        "reject_post",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"退回岗位{_label(post)}：{reason}",
    )
    return post


def revise_post(session: Session, actor, post: Post, today: date) -> Post:
    """A rejected post goes back to draft to be revised and submitted again."""
    require(actor, "propose_post", post, what="岗位")
    rules.check_transition(post.status, "draft")
    before = _snap(post)
    post.status = "draft"
    post.deviation_status = "none"
    session.flush()
    audit.record(
        session,
        actor,
        "revise_post",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"退回的岗位{_label(post)}转为草稿修改",
    )
    return post


def open_recruitment(session: Session, actor, post: Post, today: date) -> Post:
    """Only approved posts recruit: approved → recruiting (called when a notice is published).
    A post already recruiting or partly filled stays as it is; a filled post has no place to offer."""
    require(actor, "open_recruitment", post, what="岗位")
    if post.status in ("recruiting", "partly_filled"):
        return post
    if post.status == "filled":
        raise Conflict("post_filled", f"岗位{post.code}已满员（{post.headcount}人），没有空缺可以招聘")
    if post.status not in rules.LIVE_STATES:
        raise DomainError(
            "post_not_approved",
            f"只有县级批准的岗位才能招聘；岗位{post.code}当前为“{rules.state_label(post.status)}”",
        )
    rules.check_transition(post.status, "recruiting")
    before = _snap(post)
    post.status = "recruiting"
    session.flush()
    audit.record(
        session,
        actor,
        "open_recruitment",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"岗位{_label(post)}开始招聘",
    )
    return post


def mark_staffing(session: Session, post: Post, actor=None) -> Post:
    """recruiting / partly_filled / filled from the count of active contracts against the headcount
    (called by the contracts stage after a contract becomes active or ends). Other states are left alone."""
    if post.status not in rules.LIVE_STATES:
        return post
    active = active_holders(session, post.id)
    if post.status == "approved" and active == 0:
        return post
    target = rules.staffing_state(active, post.headcount)
    if target == post.status:
        return post
    rules.check_transition(post.status, target)
    before = _snap(post)
    post.status = target
    session.flush()
    audit.record(
        session,
        actor,
        "mark_staffing",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"岗位{_label(post)}在岗{active}/{post.headcount}人：{rules.state_label(target)}",
    )
    return post


def close_post(session: Session, actor, post: Post, reason: str, today: date) -> Post:
    """撤销 a post no longer needed. A post with people on it is closed only after their contracts end."""
    require(actor, "close_post", post, what="岗位")
    rules.check_transition(post.status, "closed")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", f"撤销岗位{post.code}须写明理由")
    active = active_holders(session, post.id)
    if active:
        raise Conflict(
            "post_has_holders", f"岗位{post.code}尚有{active}名在岗人员：须先办理退岗、终止其协议，再撤销岗位"
        )
    before = _snap(post)
    post.status = "closed"
    post.closed_on = today
    session.flush()
    audit.record(
        session,
        actor,
        "close_post",
        "post",
        post.id,
        before=before,
        after=_snap(post),
        summary=f"撤销岗位{_label(post)}：{reason}",
    )
    return post


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
    """Posts in the actor's scope matching the filter, newest first."""
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
    return q.options(
        joinedload(Post.village),
        joinedload(Post.township),
        joinedload(Post.category),
        joinedload(Post.fund),
        joinedload(Post.standard),
    ).order_by(Post.id.desc())


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
    from ..models.contracts import Contract

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
