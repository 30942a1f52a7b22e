"""以岗聘任 use cases: notices, applications with the eligibility engine, 公示, objections, hiring.

Every function takes (session, actor, …, today), checks the actor with services.permissions,
writes an audit entry for each change and only flushes; the caller commits.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..domain import hiring as rules
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.hiring import (
    ApplicantFacts,
    EligibilityRules,
    Employment,
    Failure,
    HeldPost,
    check_eligibility,
)
from ..models.contracts import Contract
from ..models.hiring import Application, Notice, Objection, Publicity
from ..models.people import Cadre, EmploymentRecord, Household, Person, Region, Relation
from ..models.policy import Fund
from ..models.posts import Post
from . import audit
from .clock_binding import now_of
from .permissions import get_scoped, require, scope_regions
from .settings import calendar_exceptions, county_of, int_setting, setting

# Post states a notice may be published for: approved (opens recruitment) or already recruiting / with a vacancy.
NOTICE_POST_STATES = ("approved", "recruiting", "partly_filled")
# Contract states that mean a hire has been turned into a signing that counts (or counted) on the post.
_SIGNED = ("active", "ended", "terminated")


# =====================================================================================
# Eligibility: gathering facts (a few queries) and asking the pure rules
# =====================================================================================


def rules_for(session: Session, post: Post, on: date) -> EligibilityRules:
    """The county settings in force on `on` for the post's county."""
    county = county_of(session, post.village)
    limit = int_setting(session, county.id, "household_post_limit", on)
    eligible = tuple(c for c in setting(session, county.id, "eligible_categories", on).split("、") if c)
    return EligibilityRules(
        age_cap=int_setting(session, county.id, "age_cap", on),
        household_limit=limit if limit is not None else 1,
        eligible_categories=eligible or EligibilityRules().eligible_categories,
    )


def _pending_hires(person_ids) -> Select:
    """Applications marked hired whose contract has not (yet) been signed into force."""
    signed = exists().where(Contract.application_id == Application.id, Contract.status.in_(_SIGNED))
    return (
        select(Application.id, Application.person_id, Person.name, Post.id, Post.title)
        .join(Person, Person.id == Application.person_id)
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id)
        .where(Application.person_id.in_(person_ids), Application.status == "hired", ~signed)
    )


def gather_facts(session: Session, person: Person, post: Post, on: date) -> ApplicantFacts:
    """Plain facts about `person` applying for `post` on `on` (a handful of queries)."""
    return gather_facts_many(session, [person], post, on)[0]


def gather_facts_many(session: Session, persons, post: Post, on: date) -> list[ApplicantFacts]:
    """gather_facts for several applicants to one post, in the same handful of queries for all of them
    (the facts are labelled and split by the rules' own builders, person by person)."""
    from .department_records import external_posts_of_many, record_source

    persons = list(persons)
    if not persons:
        return []
    ids = [p.id for p in persons]
    # households, villages and categories of all of them at once (then plain attribute access)
    session.scalars(
        select(Person)
        .where(Person.id.in_(ids))
        .options(
            selectinload(Person.categories),
            selectinload(Person.household).joinedload(Household.village),
            joinedload(Person.village),
        )
    ).all()
    household_ids = {p.household_id for p in persons if p.household_id is not None}
    members_of: dict[int, list[int]] = defaultdict(list)
    if household_ids:
        for pid, hid in session.execute(
            select(Person.id, Person.household_id).where(Person.household_id.in_(household_ids))
        ):
            members_of[hid].append(pid)
    member_ids = {
        p.id: ([m for m in members_of[p.household_id] if m != p.id] if p.household is not None else [])
        for p in persons
    }
    everyone = set(ids).union(*member_ids.values())

    # active contracts and pending hires of the persons and their households, in two queries
    active = [
        (pid, HeldPost(name, title, cid, post_id))
        for cid, pid, name, post_id, title in session.execute(
            select(Contract.id, Contract.person_id, Person.name, Post.id, Post.title)
            .join(Person, Person.id == Contract.person_id)
            .join(Post, Post.id == Contract.post_id)
            .where(Contract.person_id.in_(everyone), Contract.status == "active")
            .order_by(Contract.id)
        )
    ]
    pending = [
        (pid, HeldPost(name, title, None, post_id))
        for _aid, pid, name, post_id, title in session.execute(
            _pending_hires(everyone).order_by(Application.id)
        )
    ]

    # cadre ties: the person, relatives either way, household members
    relations = session.execute(
        select(Relation.person_id, Relation.relative_id, Relation.kind).where(
            or_(Relation.person_id.in_(ids), Relation.relative_id.in_(ids))
        )
    ).all()
    ties_of = {
        p.id: rules.tie_labels(p.id, [r for r in relations if p.id in (r[0], r[1])], member_ids[p.id])
        for p in persons
    }
    tied = set().union(*(t.keys() for t in ties_of.values()))
    cadres = session.execute(
        select(Cadre.person_id, Person.name, Cadre.office, Region.name, Cadre.term_start, Cadre.term_end)
        .join(Person, Person.id == Cadre.person_id)
        .join(Region, Region.id == Cadre.village_id)
        .where(Cadre.person_id.in_(tied))
        .order_by(Cadre.id)
    ).all()

    id_numbers = {p.id_number for p in persons}
    employments: dict[str, list[Employment]] = defaultdict(list)
    for e in session.scalars(
        select(EmploymentRecord)
        .options(joinedload(EmploymentRecord.batch))
        .where(EmploymentRecord.id_number.in_(id_numbers))
        .order_by(EmploymentRecord.start_on)
    ):
        employments[e.id_number].append(
            Employment(e.employer, e.start_on, e.end_on, e.full_time, record_source(e))
        )
    external = external_posts_of_many(session, id_numbers)

    fund: Fund = post.fund
    out = []
    for person in persons:
        household = person.household
        home_village = household.village if household is not None else person.village
        family = {person.id, *member_ids[person.id]}
        own_posts, household_posts = rules.split_held(
            person.id,
            post.id,
            [a for a in active if a[0] in family],
            [h for h in pending if h[0] in family],
        )
        out.append(
            ApplicantFacts(
                name=person.name,
                birth_date=person.birth_date,
                sex=person.sex,
                household_village_id=home_village.id,
                household_village_name=home_village.name,
                post_village_id=post.village_id,
                post_village_name=post.village.name,
                dead=person.death_date is not None and person.death_date <= on,
                death_date=person.death_date,
                category_spans=tuple((c.category, c.start_on, c.end_on) for c in person.categories),
                fund_name=fund.name,
                fund_restricts=fund.restricts_categories,
                fund_categories=tuple(fund.allowed_categories),
                held_posts=own_posts,
                household_held_posts=household_posts,
                cadre_ties=rules.cadre_ties(ties_of[person.id], cadres),
                employments=tuple(employments.get(person.id_number, ())),
                death_source=person.death_source or "",
                external_posts=external.get(person.id_number, ()),
            )
        )
    return out


def eligibility_for(
    session: Session, person: Person, post: Post, on: date, ignore_contract_id: int | None = None
) -> list[Failure]:
    """Every eligibility rule `person` fails for `post` on `on` ([] = eligible).

    For a renewal pass the contract being renewed as ignore_contract_id.
    """
    return check_eligibility(
        gather_facts(session, person, post, on),
        on,
        rules_for(session, post, on),
        ignore_contract_id=ignore_contract_id,
    )


def eligibility_for_many(session: Session, persons, post: Post, on: date) -> list[list[Failure]]:
    """eligibility_for of several persons for one post (facts gathered together): a list per person."""
    settings = rules_for(session, post, on)
    return [check_eligibility(f, on, settings) for f in gather_facts_many(session, persons, post, on)]


def failures_of(app: Application) -> list[dict]:
    return json.loads(app.failures_json) if app.failures_json else []


def _store_check(app: Application, failures: list[Failure], on: date) -> None:
    app.failures_json = json.dumps([f.as_dict() for f in failures], ensure_ascii=False) if failures else None
    app.checked_on = on


def _refusal(code: str, lead: str, failures: list[Failure]) -> DomainError:
    return DomainError(code, lead + "：" + "；".join(f.message for f in failures))


# =====================================================================================
# Headcount: active contracts + hires not yet under contract
# =====================================================================================


def lock_post(session: Session, post_id: int) -> None:
    """Hold the post's row until commit (PostgreSQL SELECT … FOR UPDATE), so headcount checks of
    concurrent hires and signings are made one after the other. SQLite serialises writers anyway."""
    session.execute(select(Post.id).where(Post.id == post_id).with_for_update())


def occupied(session: Session, post_id: int) -> tuple[int, int]:
    """(active contracts, hired applications not yet signed into force) on the post."""
    active = session.scalar(
        select(func.count(Contract.id)).where(Contract.post_id == post_id, Contract.status == "active")
    )
    signed = exists().where(Contract.application_id == Application.id, Contract.status.in_(_SIGNED))
    pending = session.scalar(
        select(func.count(Application.id))
        .join(Notice, Notice.id == Application.notice_id)
        .where(Notice.post_id == post_id, Application.status == "hired", ~signed)
    )
    return active or 0, pending or 0


def _posts_service():
    """The posts service (open_recruitment, mark_staffing); imported late so either module can load first."""
    from . import posts

    return posts


# =====================================================================================
# 公告 (notices)
# =====================================================================================


def _clean(text: str | None, label: str, *, required: bool = True, max_len: int | None = None) -> str | None:
    value = (text or "").strip()
    if required and not value:
        raise DomainError("field_required", f"请填写{label}")
    if max_len and len(value) > max_len:
        raise DomainError("field_too_long", f"{label}最多{max_len}个字符，现有{len(value)}个")
    return value or None


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
        from ..domain.posts import POST_STATE_LABELS

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


# =====================================================================================
# Applications
# =====================================================================================


def _load_application(session: Session, actor, application_id: int, action: str) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound("报名记录")
    require(actor, action, app.notice, what="报名记录")
    return app


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
    from .exits import red_household_person_ids  # vacated posts go first to red households (seed 003 §18)

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


# =====================================================================================
# Reading
# =====================================================================================


@dataclass
class NoticeFilter:
    q: str = ""
    status: str = ""
    township_id: int | None = None
    village_id: int | None = None
    stage: str = ""  # "publicity": with an open 公示; "objections": with open objections
    post_id: int | None = None
    state: str = ""  # one of rules.NOTICE_STATES, derived from the dates and outcome (needs today)


def notice_state_expr(today: date):
    """rules.notice_state as SQL (a CASE over the notice's dates, its 公示 and hires), for filtering lists;
    tests check it agrees with the domain function."""
    publicity_open = exists().where(Publicity.notice_id == Notice.id, Publicity.status == "open")
    hired = exists().where(Application.notice_id == Notice.id, Application.status == "hired")
    return case(
        (and_(publicity_open, Notice.status != "closed"), "publicity"),
        (hired, "hired"),
        (Notice.status == "closed", "ended"),
        (Notice.start_on > today, "upcoming"),
        (Notice.end_on >= today, "open"),
        else_="registration_closed",
    )


def notice_states(session: Session, notices, today: date) -> dict[int, str]:
    """{notice id: state} for these notices, from their facts (two queries) and rules.notice_state."""
    ids = [n.id for n in notices]
    if not ids:
        return {}
    running = set(
        session.scalars(
            select(Publicity.notice_id).where(Publicity.notice_id.in_(ids), Publicity.status == "open")
        )
    )
    hired = dict(
        session.execute(
            select(Application.notice_id, func.count(Application.id))
            .where(Application.notice_id.in_(ids), Application.status == "hired")
            .group_by(Application.notice_id)
        ).all()
    )
    return {
        n.id: rules.notice_state(
            n.start_on,
            n.end_on,
            today,
            closed=n.status == "closed",
            publicity_open=n.id in running,
            hired=hired.get(n.id, 0),
        )
        for n in notices
    }


def notice_state_of(session: Session, notice: Notice, today: date) -> str:
    return notice_states(session, [notice], today)[notice.id]


def notice_query(actor, f: NoticeFilter, today: date | None = None) -> Select:
    q = scope_regions(actor, select(Notice).join(Post, Post.id == Notice.post_id), Post.village_id)
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(or_(Notice.title.like(like), Post.title.like(like), Post.code.like(like)))
    if f.status in ("open", "closed"):
        q = q.where(Notice.status == f.status)
    if f.post_id:
        q = q.where(Notice.post_id == f.post_id)
    if f.state in rules.NOTICE_STATES and today is not None:
        q = q.where(notice_state_expr(today) == f.state)
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    if f.stage == "publicity":
        q = q.where(Notice.id.in_(select(Publicity.notice_id).where(Publicity.status == "open")))
    elif f.stage == "objections":
        q = q.where(
            Notice.id.in_(
                select(Publicity.notice_id)
                .join(Objection, Objection.publicity_id == Publicity.id)
                .where(Objection.status == "open")
            )
        )
    return q.options(joinedload(Notice.post).joinedload(Post.village).joinedload(Region.parent)).order_by(
        Notice.status.desc(), Notice.start_on.desc(), Notice.id.desc()
    )


@dataclass
class NoticeView:
    notice: Notice
    applications: list[Application]
    publicities: list[Publicity]
    objections: dict[int, list[Objection]] = field(default_factory=dict)  # by application id
    active: int = 0
    pending_hires: int = 0
    places_left: int = 0

    @property
    def current_publicity(self) -> Publicity | None:
        return next((p for p in self.publicities if p.status == "open"), None)


def application_query(actor, notice_id: int | None = None, status: str = "") -> Select:
    q = scope_regions(
        actor,
        select(Application)
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    )
    if notice_id:
        q = q.where(Application.notice_id == notice_id)
    if status:
        q = q.where(Application.status == status)
    return q.options(
        joinedload(Application.person).joinedload(Person.village), joinedload(Application.publicity)
    ).order_by(Application.priority, Application.entered_at, Application.id)


def load_notice(session: Session, actor, notice_id: int) -> NoticeView:
    notice = get_scoped(session, actor, Notice, notice_id, "view_post", "招聘公告")
    apps = session.scalars(
        select(Application)
        .where(Application.notice_id == notice.id)
        .options(
            joinedload(Application.person).joinedload(Person.village), selectinload(Application.publicity)
        )
    ).all()
    order = {
        "hired": 0,
        "shortlisted": 1,
        "eligible": 2,
        "removed": 3,
        "not_selected": 4,
        "ineligible": 5,
        "withdrawn": 6,
    }
    apps = sorted(apps, key=lambda a: (order.get(a.status, 9), a.priority, a.entered_at, a.id))
    pubs = session.scalars(
        select(Publicity).where(Publicity.notice_id == notice.id).order_by(Publicity.id)
    ).all()
    objs: dict[int, list[Objection]] = {}
    if apps:
        for o in session.scalars(
            select(Objection).where(Objection.application_id.in_([a.id for a in apps])).order_by(Objection.id)
        ):
            objs.setdefault(o.application_id, []).append(o)
    active, pending = occupied(session, notice.post_id)
    return NoticeView(
        notice,
        list(apps),
        list(pubs),
        objs,
        active,
        pending,
        notice.places - taken_places(session, notice.id),
    )


def load_application(session: Session, actor, application_id: int) -> Application:
    return _load_application(session, actor, application_id, "view_post")


def objections_of(session: Session, application_id: int) -> list[Objection]:
    return session.scalars(
        select(Objection).where(Objection.application_id == application_id).order_by(Objection.id)
    ).all()


def load_publicity(session: Session, actor, publicity_id: int) -> Publicity:
    pub = session.get(Publicity, publicity_id)
    if pub is None:
        raise NotFound("公示")
    require(actor, "view_post", pub.notice, what="公示")
    return pub


def person_candidates(session: Session, actor, notice: Notice, q: str, limit: int = 20) -> list[Person]:
    """Persons in the actor's scope matching a name or ID number, for the entry form."""
    from .permissions import id_number_search, scope_persons

    text = (q or "").strip()
    if not text:
        return []
    stmt = scope_persons(actor, select(Person)).where(
        or_(Person.name.contains(text, autoescape=True), id_number_search(actor, Person.id_number, text))
    )
    return session.scalars(
        stmt.options(joinedload(Person.village))
        .order_by((Person.village_id != notice.post.village_id), Person.name, Person.id)
        .limit(limit)
    ).all()


# ---- for the dashboard and the public page ----


def publicities_ending(actor, today: date, days: int = 7) -> Select:
    return scope_regions(
        actor,
        select(func.count(Publicity.id))
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    ).where(
        Publicity.status == "open",
        Publicity.end_on >= today,
        Publicity.end_on <= today + timedelta(days=days),
    )


def publicities_due(actor, today: date) -> Select:
    """Open 公示 whose period is over: candidates wait to be hired."""
    return scope_regions(
        actor,
        select(func.count(Publicity.id))
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    ).where(Publicity.status == "open", Publicity.end_on < today)


def open_objections(actor) -> Select:
    return scope_regions(
        actor,
        select(func.count(Objection.id))
        .join(Publicity, Publicity.id == Objection.publicity_id)
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    ).where(Objection.status == "open")


def public_notices(session: Session, today: date, township_id: int | None = None) -> list[Notice]:
    """Notices open for applications today (public page)."""
    q = (
        select(Notice)
        .join(Post, Post.id == Notice.post_id)
        .where(Notice.status == "open", Notice.start_on <= today, Notice.end_on >= today)
    )
    if township_id:
        q = q.where(Post.township_id == township_id)
    return session.scalars(
        q.options(joinedload(Notice.post).joinedload(Post.village).joinedload(Region.parent)).order_by(
            Post.township_id, Post.village_id, Notice.id
        )
    ).all()


def public_publicities(
    session: Session, today: date, township_id: int | None = None
) -> list[tuple[Publicity, list[Application]]]:
    """公示 running today with their candidates (public page): open and not past their last day."""
    q = (
        select(Publicity)
        .join(Notice, Notice.id == Publicity.notice_id)
        .join(Post, Post.id == Notice.post_id)
        .where(Publicity.status == "open", Publicity.end_on >= today, Notice.status == "open")
    )
    if township_id:
        q = q.where(Post.township_id == township_id)
    pubs = session.scalars(
        q.options(
            joinedload(Publicity.notice)
            .joinedload(Notice.post)
            .joinedload(Post.village)
            .joinedload(Region.parent)
        ).order_by(Post.township_id, Post.village_id, Publicity.id)
    ).all()
    out = []
    if pubs:
        apps = session.scalars(
            select(Application)
            .where(Application.publicity_id.in_([p.id for p in pubs]), Application.status == "shortlisted")
            .options(joinedload(Application.person).joinedload(Person.village))
            .order_by(Application.priority, Application.entered_at, Application.id)
        ).all()
        by_pub: dict[int, list[Application]] = {}
        for a in apps:
            by_pub.setdefault(a.publicity_id, []).append(a)
        out = [(p, by_pub.get(p.id, [])) for p in pubs]
    return out
