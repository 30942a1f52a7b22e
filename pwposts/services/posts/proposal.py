"""Proposal and approval: propose a post, edit the draft, submit it (wage parity checked), the county
approves or rejects it, a rejected post goes back to draft."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from ...domain import posts as rules
from ...domain.errors import DomainError
from ...models.posts import Post
from .. import audit
from ..clock_binding import now_of
from ..permissions import require
from ..settings import county_of
from .lookups import (
    PostInput,
    _category,
    _fund,
    _label,
    _next_code,
    _require_standard,
    _snap,
    _village,
    tolerance_pct,
)

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
