"""公示 (the shortlist published for the set period) and 异议 (objections to it)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain import hiring as rules
from ...domain.errors import Conflict, DomainError, NotFound
from ...models.hiring import Application, Notice, Objection, Publicity
from ...models.posts import Post
from .. import audit
from ..clock_binding import now_of
from ..permissions import get_scoped, require
from ..settings import calendar_exceptions, county_of, int_setting
from .eligibility import _clean, _load_application, eligibility_for
from .notices import _mark_not_selected

# =====================================================================================
# 公示
# =====================================================================================


def taken_places(session: Session, notice_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Application.id)).where(
                Application.notice_id == notice_id, Application.status.in_(("shortlisted", "hired"))
            )
        )
        or 0
    )


def default_shortlist(session: Session, notice: Notice) -> list[Application]:
    """Eligible (or earlier not selected) applicants in priority order — people from red (四色预警) households
    first — as many as places are left."""
    left = notice.places - taken_places(session, notice.id)
    if left <= 0:
        return []
    apps = session.scalars(
        select(Application).where(
            Application.notice_id == notice.id, Application.status.in_(rules.SHORTLISTABLE)
        )
    ).all()
    from ..exits import red_household_person_ids  # vacated posts go first to red households (seed 003 §18)

    red = red_household_person_ids(session, [a.person_id for a in apps])
    return sorted(rules.shortlist_order(apps), key=lambda a: a.person_id not in red)[:left]


def publication_period(session: Session, post: Post, published_on: date) -> tuple[date, date, int]:
    """(first day, last day, working days) of a 公示 published on `published_on`."""
    county = county_of(session, post.village)
    n = int_setting(session, county.id, "publicity_working_days", published_on) or 5
    lo, hi = rules.calendar_window(published_on, n)
    exceptions = calendar_exceptions(session, county.id, lo, hi)
    return (*rules.publicity_period(published_on, n, exceptions), n)


def publish_shortlist(
    session: Session,
    actor,
    notice_id: int,
    application_ids: list[int] | None,
    today: date,
    where_to_object: str | None = None,
) -> Publicity:
    """Publish the shortlist for 公示; the period is counted in working days after today."""
    notice = get_scoped(session, actor, Notice, notice_id, "publish_shortlist", "招聘公告")
    if notice.status != "open":
        raise DomainError("notice_closed", f"招聘公告“{notice.title}”已结束，不能再公示")
    rules.check_registration_over(notice.end_on, today)
    running = session.scalar(
        select(Publicity).where(Publicity.notice_id == notice.id, Publicity.status == "open")
    )
    if running is not None and running.end_on >= today:
        raise Conflict(
            "publicity_running",
            f"本公告已有公示正在进行（至{running.end_on.isoformat()}），期满后方可再次公示",
        )
    if running is not None:
        _end_publicity(session, actor, running, today)
    if application_ids is None:
        chosen = default_shortlist(session, notice)
    else:
        ids = list(dict.fromkeys(int(i) for i in application_ids))
        chosen = session.scalars(select(Application).where(Application.id.in_(ids))).all() if ids else []
        found = {a.id for a in chosen}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"报名记录#{missing[0]}")
        chosen = rules.shortlist_order(chosen)
    if not chosen:
        raise DomainError("shortlist_empty", "没有可公示的人员：请先录入报名并确认符合条件")
    wrong = [a for a in chosen if a.notice_id != notice.id]
    if wrong:
        raise DomainError("shortlist_other_notice", f"{wrong[0].person.name}的报名不属于本公告")
    bad = [a for a in chosen if a.status not in rules.SHORTLISTABLE]
    if bad:
        raise DomainError(
            "shortlist_not_eligible",
            "以下人员不能列入公示名单："
            + "；".join(f"{a.person.name}（{rules.APPLICATION_STATE_LABELS[a.status]}）" for a in bad),
        )
    left = notice.places - taken_places(session, notice.id)
    if len(chosen) > left:
        raise DomainError(
            "shortlist_over_places",
            f"公示名单{len(chosen)}人超过剩余名额{max(left, 0)}人（公告名额{notice.places}人）",
        )
    problems = []
    for a in chosen:  # the registry may have changed since entry: check again on the day of publication
        fs = eligibility_for(session, a.person, notice.post, today)
        if fs:
            problems.append(f"{a.person.name}：" + "；".join(f.message for f in fs))
    if problems:
        raise DomainError(
            "shortlist_no_longer_eligible", "以下人员现已不符合条件，请复核后再公示：" + " / ".join(problems)
        )
    start_on, end_on, n = publication_period(session, notice.post, today)
    pub = Publicity(
        notice_id=notice.id,
        start_on=start_on,
        end_on=end_on,
        working_days=n,
        where_to_object=_clean(where_to_object, "异议受理方式", required=False) or notice.contact,
        status="open",
        published_by_id=getattr(actor, "id", None),
        published_at=now_of(session),
    )
    session.add(pub)
    session.flush()
    for a in chosen:
        a.status, a.publicity_id = "shortlisted", pub.id
    session.flush()
    audit.record(
        session,
        actor,
        "publish_shortlist",
        "publicity",
        pub.id,
        after={
            "notice_id": notice.id,
            "applications": [a.id for a in chosen],
            "published_on": today,
            "start_on": start_on,
            "end_on": end_on,
            "working_days": n,
        },
        summary=f"公示“{notice.title}”拟聘人员{len(chosen)}人（{'、'.join(a.person.name for a in chosen)}），"
        f"公示期{start_on.isoformat()}至{end_on.isoformat()}（{n}个工作日）",
    )
    return pub


def _end_publicity(session: Session, actor, pub: Publicity, today: date) -> list[int]:
    pub.status = "ended"
    changed = _mark_not_selected(session, pub.notice_id, ("eligible",))
    session.flush()
    audit.record(
        session,
        actor,
        "end_publicity",
        "publicity",
        pub.id,
        before={"status": "open"},
        after={"status": "ended", "not_selected": changed},
        summary=f"“{pub.notice.title}”公示期满（{pub.end_on.isoformat()}），"
        f"{len(changed)}名未列入公示名单的报名人员记为未入选",
    )
    return changed


def end_publicity(session: Session, actor, publicity_id: int, today: date) -> Publicity:
    """Close a 公示 whose period is over; eligible applicants not on it become 未入选."""
    pub = session.get(Publicity, publicity_id)
    if pub is None:
        raise NotFound("公示")
    require(actor, "publish_shortlist", pub.notice, what="公示")
    if pub.status != "open":
        raise Conflict("publicity_ended", "该公示已结束")
    if today <= pub.end_on:
        raise DomainError("publicity_not_over", f"公示期至{pub.end_on.isoformat()}，期满后方可结束公示")
    _end_publicity(session, actor, pub, today)
    return pub


# =====================================================================================
# 异议 (objections)
# =====================================================================================


def record_objection(
    session: Session,
    actor,
    application_id: int,
    *,
    content: str,
    objector_name: str | None,
    objector_contact: str | None,
    received_on: date,
    today: date,
) -> Objection:
    """Record an objection to a shortlisted candidate, received during the 公示 period."""
    app = _load_application(session, actor, application_id, "record_objection")
    pub = app.publicity
    if app.status != "shortlisted" or pub is None:
        raise DomainError(
            "not_on_publicity",
            f"{app.person.name}不在公示名单中（{rules.APPLICATION_STATE_LABELS[app.status]}），不能对其提出异议",
        )
    content = _clean(content, "异议内容")
    if received_on > today:
        raise DomainError(
            "received_in_future", f"收到日期{received_on.isoformat()}晚于今天{today.isoformat()}"
        )
    if received_on > pub.end_on:
        raise DomainError(
            "objection_after_period",
            f"公示期已于{pub.end_on.isoformat()}结束，{received_on.isoformat()}收到的异议不在公示期内",
        )
    if received_on < app.notice.start_on:
        raise DomainError("objection_before_period", f"收到日期{received_on.isoformat()}早于公示发布，请核对")
    obj = Objection(
        publicity_id=pub.id,
        application_id=app.id,
        content=content,
        objector_name=_clean(objector_name, "异议人", required=False, max_len=50),
        objector_contact=_clean(objector_contact, "异议人联系方式", required=False, max_len=100),
        received_on=received_on,
        status="open",
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(obj)
    session.flush()
    audit.record(
        session,
        actor,
        "record_objection",
        "objection",
        obj.id,
        after={
            "application_id": app.id,
            "publicity_id": pub.id,
            "received_on": received_on,
            "objector": obj.objector_name,
            "content": content,
        },
        summary=f"记录对公示人员{app.person.name}的异议（{received_on.isoformat()}收到）",
    )
    return obj


def resolve_objection(
    session: Session, actor, objection_id: int, decision: str, resolution: str, today: date
) -> Objection:
    """Upheld: the candidate is removed with the reason. Rejected: the reason is kept, the candidate stays."""
    obj = session.get(Objection, objection_id)
    if obj is None:
        raise NotFound("异议")
    require(actor, "resolve_objection", obj.application.notice, what="异议")
    if obj.status != "open":
        raise Conflict("objection_resolved", f"该异议已处理（{rules.OBJECTION_STATE_LABELS[obj.status]}）")
    if decision not in ("upheld", "rejected"):
        raise DomainError("decision_invalid", "处理结果只能为“异议成立”或“异议不成立”")
    resolution = _clean(resolution, "处理意见及理由")
    app = obj.application
    obj.status, obj.resolution = decision, resolution
    obj.resolved_by_id = getattr(actor, "id", None)
    obj.resolved_at = now_of(session)
    before_app = app.status
    if decision == "upheld" and app.status == "shortlisted":
        app.status = "removed"
        app.note = (
            (app.note + "\n") if app.note else ""
        ) + f"因异议成立取消（{today.isoformat()}）：{resolution}"
    session.flush()
    audit.record(
        session,
        actor,
        "resolve_objection",
        "objection",
        obj.id,
        before={"status": "open"},
        after={
            "status": decision,
            "resolution": resolution,
            "application_status": app.status,
            "application_status_before": before_app,
        },
        summary=f"处理对{app.person.name}的异议：{rules.OBJECTION_STATE_LABELS[decision]}，{resolution}",
    )
    return obj
