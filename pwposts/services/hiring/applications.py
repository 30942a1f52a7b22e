"""Applications (entered with the eligibility check, rechecked) and 聘用 (hire)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...domain import hiring as rules
from ...domain.errors import Conflict, DomainError, NotFound
from ...models.hiring import Application, Notice, Objection
from ...models.people import Person
from .. import audit
from ..permissions import get_scoped, require
from .eligibility import (
    _clean,
    _load_application,
    _posts_service,
    _refusal,
    _store_check,
    eligibility_for,
    failures_of,
    lock_post,
    occupied,
)
from .publicity import _end_publicity

# =====================================================================================
# Applications
# =====================================================================================


def enter_application(
    session: Session, actor, notice_id: int, person_id: int, today: date, note: str | None = None
) -> Application:
    """Enter an application for a person on an open notice; the eligibility engine runs at once."""
    notice = get_scoped(session, actor, Notice, notice_id, "enter_application", "招聘公告")
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("人员")
    require(actor, "enter_application", person, what="人员")
    if notice.status != "open":
        raise DomainError("notice_closed", f"招聘公告“{notice.title}”已结束，不能再报名")
    if not (notice.start_on <= today <= notice.end_on):
        raise DomainError(
            "outside_application_window",
            f"报名时间为{notice.start_on.isoformat()}至{notice.end_on.isoformat()}，"
            f"今天（{today.isoformat()}）不在报名期内",
        )
    dup = session.scalar(
        select(Application).where(Application.notice_id == notice.id, Application.person_id == person.id)
    )
    if dup is not None:
        raise Conflict(
            "already_applied", f"{person.name}已报名此公告（{rules.APPLICATION_STATE_LABELS[dup.status]}）"
        )
    failures = eligibility_for(session, person, notice.post, today)
    app = Application(
        notice_id=notice.id,
        person_id=person.id,
        status="ineligible" if failures else "eligible",
        priority=rules.priority_key(person.work_capacity, person.cannot_leave_home),
        note=_clean(note, "备注", required=False),
        entered_by_id=getattr(actor, "id", None),
    )
    _store_check(app, failures, today)
    session.add(app)
    session.flush()
    audit.record(
        session,
        actor,
        "enter_application",
        "application",
        app.id,
        after={
            "notice_id": notice.id,
            "person_id": person.id,
            "status": app.status,
            "failures": [f.code for f in failures],
            "priority": app.priority,
        },
        summary=f"录入{person.name}报名“{notice.title}”："
        + ("符合条件" if not failures else "不符合条件（" + "；".join(f.message for f in failures) + "）"),
    )
    return app


def recheck_application(session: Session, actor, application_id: int, today: date) -> Application:
    """Run the eligibility engine again (e.g. after the registry changed)."""
    app = _load_application(session, actor, application_id, "enter_application")
    if app.status not in ("eligible", "ineligible", "shortlisted", "not_selected"):
        raise DomainError(
            "recheck_not_allowed", f"报名状态为{rules.APPLICATION_STATE_LABELS[app.status]}，无需复核"
        )
    before = {
        "status": app.status,
        "failures": [f["code"] for f in failures_of(app)],
        "checked_on": app.checked_on,
    }
    failures = eligibility_for(session, app.person, app.notice.post, today)
    _store_check(app, failures, today)
    if app.status in ("eligible", "ineligible"):
        app.status = "ineligible" if failures else "eligible"
    session.flush()
    audit.record(
        session,
        actor,
        "recheck_application",
        "application",
        app.id,
        before=before,
        after={"status": app.status, "failures": [f.code for f in failures], "checked_on": today},
        summary=f"复核{app.person.name}的报名资格："
        + ("符合条件" if not failures else "不符合条件（" + "；".join(f.message for f in failures) + "）"),
    )
    return app


# =====================================================================================
# 聘用 (hire)
# =====================================================================================


def hire(session: Session, actor, application_id: int, today: date) -> Application:
    """Mark a shortlisted candidate hired once the 公示 is over and clean; the contract follows.

    Refused before the period ends, while any objection on the application or the 公示 is open,
    when the post's headcount would be exceeded, or when eligibility no longer holds today.
    """
    app = _load_application(session, actor, application_id, "hire")
    name = app.person.name
    if app.status != "shortlisted" or app.publicity is None:
        raise DomainError(
            "not_shortlisted",
            f"{name}的报名状态为{rules.APPLICATION_STATE_LABELS[app.status]}：只有公示期满且无异议的公示人员才能聘用",
        )
    pub = app.publicity
    if today <= pub.end_on:
        raise DomainError(
            "publicity_not_over",
            f"{name}的公示期至{pub.end_on.isoformat()}（{pub.working_days}个工作日）尚未结束，"
            f"{(pub.end_on + timedelta(days=1)).isoformat()}起方可聘用",
        )
    pending = session.scalars(
        select(Objection)
        .where(
            Objection.status == "open",
            or_(Objection.application_id == app.id, Objection.publicity_id == pub.id),
        )
        .order_by(Objection.id)
    ).all()
    if pending:
        raise DomainError(
            "objection_open",
            "公示期间的异议尚未处理完毕，不能聘用："
            + "；".join(
                f"对{o.application.person.name}的异议（{o.received_on.isoformat()}收到）" for o in pending
            )
            + "。请先处理异议",
        )
    post = app.notice.post
    lock_post(session, post.id)  # two clerks hiring for the last place at once: the second waits, then counts
    active, hired = occupied(session, post.id)
    if active + hired + 1 > post.headcount:
        raise DomainError(
            "headcount_full",
            f"岗位“{post.title}”定员{post.headcount}人，已在岗{active}人、已聘用待签协议{hired}人，"
            f"不能再聘用{name}",
        )
    failures = eligibility_for(session, app.person, post, today)
    if failures:
        raise _refusal("no_longer_eligible", f"{name}在聘用日（{today.isoformat()}）已不符合条件", failures)
    if pub.status == "open":
        _end_publicity(session, actor, pub, today)
    app.status = "hired"
    app.hired_on = today
    _store_check(app, [], today)
    session.flush()
    audit.record(
        session,
        actor,
        "hire",
        "application",
        app.id,
        before={"status": "shortlisted"},
        after={"status": "hired", "hired_on": today, "post_id": post.id, "publicity_end_on": pub.end_on},
        summary=f"聘用{name}到岗位{post.code} {post.title}（公示期满{pub.end_on.isoformat()}，无未处理异议）",
    )
    _posts_service().mark_staffing(session, post, actor)
    return app
