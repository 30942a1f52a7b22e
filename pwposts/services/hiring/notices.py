"""公告 (notices): publish and close."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain import hiring as rules
from ...domain.errors import Conflict, DomainError
from ...models.hiring import Application, Notice, Publicity
from ...models.posts import Post
from .. import audit
from ..permissions import get_scoped
from .eligibility import NOTICE_POST_STATES, _clean, _posts_service, occupied

# =====================================================================================
# 公告 (notices)
# =====================================================================================


def publish_notice(
    session: Session,
    actor,
    post_id: int,
    *,
    title: str,
    conditions: str,
    places: int,
    start_on: date,
    end_on: date,
    contact: str,
    today: date,
) -> Notice:
    """Publish a 招聘公告 for an approved post; the post moves to recruiting (posts service)."""
    post = get_scoped(session, actor, Post, post_id, "open_recruitment", "岗位")
    if post.status not in NOTICE_POST_STATES:
        from ...domain.posts import POST_STATE_LABELS

        raise DomainError(
            "post_not_approved",
            f"岗位“{post.title}”当前状态为{POST_STATE_LABELS.get(post.status, post.status)}："
            f"只有经县级批准的岗位才能发布招聘公告",
        )
    title = _clean(title, "公告标题", max_len=200)
    conditions = _clean(conditions, "报名条件")
    contact = _clean(contact, "联系方式（受理咨询与异议）", max_len=200)
    rules.check_notice_opens(start_on, end_on, today)
    if end_on < today:
        raise DomainError(
            "notice_already_over", f"报名截止日期{end_on.isoformat()}已过（今天{today.isoformat()}）"
        )
    open_one = session.scalar(select(Notice).where(Notice.post_id == post.id, Notice.status == "open"))
    if open_one is not None:
        raise Conflict(
            "notice_exists", f"岗位“{post.title}”已有报名中的招聘公告“{open_one.title}”，请先结束该公告"
        )
    active, pending = occupied(session, post.id)
    vacancies = post.headcount - active - pending
    if places is None or places < 1:
        raise DomainError("places_invalid", "招聘名额须为正整数")
    if places > vacancies:
        raise DomainError(
            "places_over_vacancies",
            f"招聘名额{places}人超过岗位空缺{max(vacancies, 0)}人（定员{post.headcount}人，"
            f"在岗{active}人，已聘用待签协议{pending}人）",
        )
    _posts_service().open_recruitment(session, actor, post, today)  # approved → recruiting
    notice = Notice(
        post_id=post.id,
        title=title,
        conditions=conditions,
        places=places,
        start_on=start_on,
        end_on=end_on,
        contact=contact,
        status="open",
        published_by_id=getattr(actor, "id", None),
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor,
        "publish_notice",
        "notice",
        notice.id,
        after=notice_snapshot(notice),
        summary=f"发布招聘公告“{title}”：岗位{post.code} {post.title}，{places}个名额，"
        f"报名{start_on.isoformat()}至{end_on.isoformat()}",
    )
    return notice


def notice_snapshot(n: Notice) -> dict:
    return {
        "post_id": n.post_id,
        "title": n.title,
        "places": n.places,
        "start_on": n.start_on,
        "end_on": n.end_on,
        "contact": n.contact,
        "status": n.status,
    }


def close_notice(session: Session, actor, notice_id: int, today: date) -> Notice:
    """End a notice: applicants not hired become 未入选, an open 公示 ends."""
    notice = get_scoped(session, actor, Notice, notice_id, "open_recruitment", "招聘公告")
    if notice.status != "open":
        raise Conflict("notice_closed", f"招聘公告“{notice.title}”已结束")
    ended = []
    for pub in session.scalars(
        select(Publicity).where(Publicity.notice_id == notice.id, Publicity.status == "open")
    ):
        pub.status = "ended"
        ended.append(pub.id)
    changed = _mark_not_selected(session, notice.id, ("eligible", "shortlisted"))
    notice.status = "closed"
    session.flush()
    audit.record(
        session,
        actor,
        "close_notice",
        "notice",
        notice.id,
        before={"status": "open"},
        after={"status": "closed", "not_selected": changed, "publicities_ended": ended},
        summary=f"结束招聘公告“{notice.title}”，{len(changed)}名未聘用的报名人员记为未入选",
    )
    _posts_service().mark_staffing(session, notice.post, actor)
    return notice


def _mark_not_selected(session: Session, notice_id: int, statuses) -> list[int]:
    apps = session.scalars(
        select(Application).where(Application.notice_id == notice_id, Application.status.in_(statuses))
    ).all()
    for a in apps:
        a.status = "not_selected"
    return [a.id for a in apps]
