"""After approval: recruitment opens, staffing follows the active contracts, the post is closed."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ...domain import posts as rules
from ...domain.errors import Conflict, DomainError
from ...models.posts import Post
from .. import audit
from ..permissions import require
from .lookups import _label, _snap, active_holders


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
