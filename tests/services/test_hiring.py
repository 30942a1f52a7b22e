"""以岗聘任 services: notices, eligibility on entry, priority, 公示 in working days, objections, hiring."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from pwposts.domain.errors import DomainError, Forbidden, NotFound
from pwposts.models.audit import AuditEntry
from pwposts.models.hiring import Application
from pwposts.models.people import Cadre, EmploymentRecord, Relation
from pwposts.models.policy import CountySetting, Holiday
from pwposts.services import audit
from pwposts.services import hiring as svc
from tests.builders import add_person
from tests.hiring_support import ENTRY_DAY, NOTICE_DAY, NOTICE_FIELDS, make_contract, make_post

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.fixture
def post(session, county):
    p = make_post(session, county)
    session.commit()
    return p


@pytest.fixture
def town(county):
    return county.users["town"]


@pytest.fixture
def notice(session, town, post):
    n = svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    session.commit()
    return n


def codes(app: Application) -> list[str]:
    return [f["code"] for f in json.loads(app.failures_json or "[]")]


def test_publishing_a_notice_opens_recruitment(session, town, post):
    n = svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    assert n.status == "open" and post.status == "recruiting"
    with pytest.raises(DomainError) as e:  # one open notice per post
        svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    assert e.value.code == "notice_exists"


def test_notice_refused_for_unapproved_post_or_too_many_places(session, county, town):
    draft = make_post(session, county, status="submitted")
    with pytest.raises(DomainError) as e:
        svc.publish_notice(session, town, draft.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    assert e.value.code == "post_not_approved"
    small = make_post(session, county, headcount=1)
    with pytest.raises(DomainError) as e:
        svc.publish_notice(session, town, small.id, today=NOTICE_DAY, **NOTICE_FIELDS)  # 2 places > 1 vacancy
    assert e.value.code == "places_over_vacancies" and "空缺1人" in e.value.message


def test_notice_outside_scope_is_not_found(session, county, post):
    with pytest.raises(NotFound):
        svc.publish_notice(session, county.users["otherTown"], post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    with pytest.raises(Forbidden):
        svc.publish_notice(session, county.users["inspector"], post.id, today=NOTICE_DAY, **NOTICE_FIELDS)


def test_acceptance_each_ineligible_applicant_refused_with_own_reason(session, county, town, notice):
    v0 = county.villages[0]
    other_post = make_post(session, county, title="护林员")
    make_contract(session, county.persons["li"], other_post)  # (b) already holds an active post
    teen = add_person(session, v0, "李小明", date(2011, 1, 1), "M")  # (c) aged 15
    nocat = add_person(session, v0, "陈无类", date(1990, 6, 1), "M", categories=())  # (d)
    session.commit()

    wife = svc.enter_application(session, town, notice.id, county.persons["chief_wife"].id, ENTRY_DAY)  # (a)
    li = svc.enter_application(session, town, notice.id, county.persons["li"].id, ENTRY_DAY)
    kid = svc.enter_application(session, town, notice.id, teen.id, ENTRY_DAY)
    none = svc.enter_application(session, town, notice.id, nocat.id, ENTRY_DAY)
    ok = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    session.commit()

    assert codes(wife) == ["cadre_kin"] and wife.status == "ineligible"
    msg = json.loads(wife.failures_json)[0]["message"]
    assert "张村长" in msg and "配偶" in msg and "村委会主任" in msg
    assert codes(li) == ["one_person_one_post"] and "护林员" in json.loads(li.failures_json)[0]["message"]
    assert codes(kid) == ["underage"]
    assert json.loads(kid.failures_json)[0]["message"] == "申请人年龄15岁，未满16周岁，不得聘用"
    assert codes(none) == ["no_eligible_category"]
    assert ok.status == "eligible" and ok.failures_json is None
    # every entry is audited with its result
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "enter_application")).all()
    assert len(entries) == 5 and any("未满16周岁" in e.summary for e in entries)


def test_cadre_relative_in_either_direction_and_other_rules(session, county, town, notice):
    v0, v1 = county.villages[0], county.villages[1]
    secretary = add_person(session, v1, "周书记", date(1965, 1, 1), "M", categories=())
    session.add(
        Cadre(person=secretary, village=v1, office="党组织书记", term_start=date(2024, 1, 1), term_end=None)
    )
    son = add_person(session, v0, "周小军", date(1992, 1, 1), "M")
    session.add(Relation(person=son, relative=secretary, kind="父母"))  # the secretary is son's parent
    worker = add_person(session, v0, "吴打工", date(1988, 1, 1), "M")
    session.add(
        EmploymentRecord(
            id_number=worker.id_number, employer="青山县建筑公司", full_time=True, start_on=date(2026, 1, 1)
        )
    )
    outsider = add_person(session, county.villages[1], "郑外村", date(1988, 1, 1), "M")
    session.commit()
    a = svc.enter_application(session, town, notice.id, son.id, ENTRY_DAY)
    msg = json.loads(a.failures_json)[0]["message"]
    assert codes(a) == ["cadre_kin"] and "父母" in msg and "周书记" in msg and "党组织书记" in msg
    assert codes(svc.enter_application(session, town, notice.id, worker.id, ENTRY_DAY)) == [
        "employed_elsewhere"
    ]
    assert codes(svc.enter_application(session, town, notice.id, outsider.id, ENTRY_DAY)) == ["not_local"]


def test_household_limit_counts_other_members(session, county, town, notice):
    other_post = make_post(session, county, title="护路员")
    wang = county.persons["wang"]
    daughter = add_person(
        session, county.villages[0], "王小花", date(1995, 1, 1), "F", household=wang.household
    )
    make_contract(session, wang, other_post)
    session.commit()
    a = svc.enter_application(session, town, notice.id, daughter.id, ENTRY_DAY)
    assert codes(a) == ["household_limit"] and "王秀英" in json.loads(a.failures_json)[0]["message"]
    session.add(
        CountySetting(
            county_id=county.county.id, key="household_post_limit", value="2", effective_from=date(2026, 1, 1)
        )
    )
    session.commit()
    a = svc.recheck_application(session, town, a.id, TODAY)
    assert a.status == "eligible" and codes(a) == []


def test_renewal_ignores_the_contract_being_renewed(session, county, post):
    li = county.persons["li"]
    c = make_contract(session, li, post)
    assert [f.code for f in svc.eligibility_for(session, li, post, TODAY)] == ["one_person_one_post"]
    assert svc.eligibility_for(session, li, post, TODAY, ignore_contract_id=c.id) == []


def test_village_clerk_enters_only_persons_of_their_village(session, county, notice):
    clerk = county.users["village"]
    a = svc.enter_application(session, clerk, notice.id, county.persons["wang"].id, ENTRY_DAY)
    assert a.status == "eligible"
    with pytest.raises(NotFound):
        svc.enter_application(session, clerk, notice.id, county.persons["zhao"].id, ENTRY_DAY)
    with pytest.raises(Forbidden):
        svc.enter_application(
            session, county.users["inspector"], notice.id, county.persons["li"].id, ENTRY_DAY
        )


def test_entry_refused_outside_the_window_and_twice(session, county, town, notice):
    with pytest.raises(DomainError) as e:
        svc.enter_application(session, town, notice.id, county.persons["wang"].id, date(2026, 12, 6))
    assert e.value.code == "outside_application_window"
    svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    with pytest.raises(DomainError) as e:
        svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    assert e.value.code == "already_applied"


def test_weak_labour_ordered_before_full_labour(session, county, town, notice):
    full = svc.enter_application(
        session, town, notice.id, county.persons["li"].id, ENTRY_DAY
    )  # 全劳力, entered first
    weak = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)  # 弱劳力
    half = add_person(session, county.villages[0], "孙半劳", date(1980, 1, 1), "M", capacity="半劳力")
    half_app = svc.enter_application(session, town, notice.id, half.id, ENTRY_DAY)
    session.commit()
    assert weak.priority < half_app.priority < full.priority
    assert [a.id for a in svc.default_shortlist(session, notice)] == [weak.id, half_app.id]  # 2 places


def _ready(session, county, town, notice):
    """wang and li applied; both shortlisted today."""
    a = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    b = svc.enter_application(session, town, notice.id, county.persons["li"].id, ENTRY_DAY)
    pub = svc.publish_shortlist(session, town, notice.id, None, TODAY)
    session.commit()
    return a, b, pub


def test_publicity_counts_working_days_with_county_calendar(session, county, town, notice):
    session.add(
        Holiday(county_id=county.county.id, day=date(2026, 11, 26), name="测试假日", is_workday=False)
    )
    session.add(Holiday(county_id=county.county.id, day=date(2026, 11, 29), name="调休上班", is_workday=True))
    session.commit()
    a, b, pub = _ready(session, county, town, notice)
    # Wed 25 published; 26 off; Fri 27, Sun 29 (make-up), Mon 30, Tue 1, Wed 2
    assert (pub.start_on, pub.end_on, pub.working_days) == (date(2026, 11, 27), date(2026, 12, 2), 5)
    assert a.status == b.status == "shortlisted"


def test_publicity_period_is_a_county_setting(session, county, town, notice):
    session.add(
        CountySetting(
            county_id=county.county.id,
            key="publicity_working_days",
            value="3",
            effective_from=date(2026, 1, 1),
        )
    )
    session.commit()
    _, _, pub = _ready(session, county, town, notice)
    assert (pub.end_on, pub.working_days) == (date(2026, 11, 30), 3)


def test_acceptance_hiring_refused_before_the_end_and_with_an_open_objection(session, county, town, notice):
    a, b, pub = _ready(session, county, town, notice)
    assert pub.end_on == date(2026, 12, 2)
    with pytest.raises(DomainError) as e:
        svc.hire(session, town, a.id, date(2026, 12, 2))
    assert (
        e.value.code == "publicity_not_over"
        and "2026-12-02" in e.value.message
        and "2026-12-03" in e.value.message
    )
    session.rollback()

    o = svc.record_objection(
        session,
        county.users["village"],
        b.id,
        content="李建国在县城打工，常年不在村",
        objector_name="村民甲",
        objector_contact="13800000000",
        received_on=date(2026, 11, 30),
        today=date(2026, 11, 30),
    )
    session.commit()
    for app in (a, b):  # an open objection on the 公示 stops every hire on it
        with pytest.raises(DomainError) as e:
            svc.hire(session, town, app.id, date(2026, 12, 3))
        assert e.value.code == "objection_open" and "李建国" in e.value.message
        session.rollback()

    with pytest.raises(Forbidden):  # a village clerk records, the township resolves
        svc.resolve_objection(
            session, county.users["village"], o.id, "rejected", "经核实不属实", date(2026, 12, 3)
        )
    svc.resolve_objection(
        session, town, o.id, "rejected", "经核实，李建国在村务农，异议不属实", date(2026, 12, 3)
    )
    session.commit()
    assert o.status == "rejected" and b.status == "shortlisted"

    hired = svc.hire(session, town, a.id, date(2026, 12, 3))
    session.commit()
    assert hired.status == "hired" and pub.status == "ended"
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    for step in (
        "publish_notice",
        "enter_application",
        "publish_shortlist",
        "record_objection",
        "resolve_objection",
        "end_publicity",
        "hire",
    ):
        assert step in actions, step
    assert audit.verify_chain(session).ok


def test_upheld_objection_removes_the_candidate(session, county, town, notice):
    a, b, pub = _ready(session, county, town, notice)
    o = svc.record_objection(
        session,
        town,
        b.id,
        content="其兄为村干部",
        objector_name=None,
        objector_contact=None,
        received_on=TODAY,
        today=TODAY,
    )
    svc.resolve_objection(session, town, o.id, "upheld", "经核实属实，取消拟聘资格", date(2026, 11, 27))
    session.commit()
    assert b.status == "removed" and "取消拟聘资格" in b.note
    with pytest.raises(DomainError) as e:
        svc.hire(session, town, b.id, date(2026, 12, 3))
    assert e.value.code == "not_shortlisted"
    session.rollback()
    assert svc.hire(session, town, a.id, date(2026, 12, 3)).status == "hired"


def test_objection_after_the_period_is_refused(session, county, town, notice):
    _, b, pub = _ready(session, county, town, notice)
    with pytest.raises(DomainError) as e:
        svc.record_objection(
            session,
            town,
            b.id,
            content="x",
            objector_name=None,
            objector_contact=None,
            received_on=date(2026, 12, 3),
            today=date(2026, 12, 3),
        )
    assert e.value.code == "objection_after_period"


def test_hire_rechecks_eligibility_on_the_day(session, county, town, notice):
    a, _, _ = _ready(session, county, town, notice)
    county.persons["wang"].death_date = date(2026, 11, 30)
    session.commit()
    with pytest.raises(DomainError) as e:
        svc.hire(session, town, a.id, date(2026, 12, 3))
    assert e.value.code == "no_longer_eligible" and "死亡" in e.value.message


def test_hire_refused_beyond_headcount(session, county, town, notice, post):
    a, b, _ = _ready(session, county, town, notice)  # headcount 2, two candidates
    stranger = add_person(session, county.villages[0], "钱先到", date(1980, 1, 1), "M")
    make_contract(session, stranger, post)  # a holder signed meanwhile
    session.commit()
    svc.hire(session, town, a.id, date(2026, 12, 3))
    session.commit()
    with pytest.raises(DomainError) as e:
        svc.hire(session, town, b.id, date(2026, 12, 3))
    assert e.value.code == "headcount_full" and "定员2人" in e.value.message


def test_hired_person_cannot_be_hired_on_another_notice(session, county, town, notice):
    a, _, _ = _ready(session, county, town, notice)
    svc.hire(session, town, a.id, date(2026, 12, 3))
    other = make_post(session, county, title="护林员", headcount=1)
    n2 = svc.publish_notice(
        session,
        town,
        other.id,
        today=date(2026, 12, 3),
        **{**NOTICE_FIELDS, "places": 1, "start_on": date(2026, 12, 3), "end_on": date(2026, 12, 10)},
    )
    again = svc.enter_application(session, town, n2.id, county.persons["wang"].id, date(2026, 12, 3))
    assert codes(again) == ["one_person_one_post"]


def test_shortlist_limits_and_supplementary_publicity(session, county, town, notice):
    a = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    b = svc.enter_application(session, town, notice.id, county.persons["li"].id, ENTRY_DAY)
    c_person = add_person(session, county.villages[0], "孙候补", date(1980, 1, 1), "M")
    c = svc.enter_application(session, town, notice.id, c_person.id, ENTRY_DAY)
    wife = svc.enter_application(session, town, notice.id, county.persons["chief_wife"].id, ENTRY_DAY)
    with pytest.raises(DomainError) as e:
        svc.publish_shortlist(session, town, notice.id, [a.id, b.id, c.id], TODAY)
    assert e.value.code == "shortlist_over_places"
    with pytest.raises(DomainError) as e:
        svc.publish_shortlist(session, town, notice.id, [wife.id], TODAY)
    assert e.value.code == "shortlist_not_eligible"
    pub = svc.publish_shortlist(session, town, notice.id, [a.id, b.id], TODAY)
    with pytest.raises(DomainError) as e:
        svc.publish_shortlist(session, town, notice.id, [c.id], TODAY)
    assert e.value.code == "publicity_running"
    o = svc.record_objection(
        session,
        town,
        b.id,
        content="y",
        objector_name=None,
        objector_contact=None,
        received_on=TODAY,
        today=TODAY,
    )
    svc.resolve_objection(session, town, o.id, "upheld", "属实", TODAY)
    svc.end_publicity(session, town, pub.id, date(2026, 12, 3))
    assert c.status == "not_selected" and pub.status == "ended"
    pub2 = svc.publish_shortlist(session, town, notice.id, None, date(2026, 12, 3))  # 递补
    assert c.status == "shortlisted" and c.publicity_id == pub2.id


def test_closing_the_notice_marks_the_rest_not_selected(session, county, town, notice):
    a, b, _ = _ready(session, county, town, notice)
    svc.hire(session, town, a.id, date(2026, 12, 3))
    svc.close_notice(session, town, notice.id, date(2026, 12, 4))
    session.commit()
    assert (a.status, b.status, notice.status) == ("hired", "not_selected", "closed")
    with pytest.raises(DomainError):
        svc.enter_application(session, town, notice.id, county.persons["zhao"].id, date(2026, 12, 4))


def test_public_lists_only_current_items(session, county, town, notice):
    _, _, pub = _ready(session, county, town, notice)
    assert [p.id for p, _ in svc.public_publicities(session, TODAY)] == [pub.id]
    assert svc.public_publicities(session, date(2026, 12, 3)) == []  # past its last day
    assert [n.id for n in svc.public_notices(session, ENTRY_DAY)] == [notice.id]
    assert svc.public_notices(session, date(2026, 12, 6)) == []


def test_facts_of_many_applicants_are_the_facts_of_each(session, county, post):
    """gather_facts_many (one handful of queries for all) gives each person the facts gather_facts gives
    them alone: household posts, cadre ties and categories do not leak between applicants."""
    other_post = make_post(session, county, title="护路员")
    wang, li = county.persons["wang"], county.persons["li"]
    daughter = add_person(
        session, county.villages[0], "王小花", date(1995, 1, 1), "F", household=wang.household
    )
    make_contract(session, wang, other_post)
    make_contract(session, li, post)
    session.commit()
    everyone = list(county.persons.values()) + [daughter]
    together = svc.gather_facts_many(session, everyone, post, TODAY)
    assert together == [svc.gather_facts(session, p, post, TODAY) for p in everyone]
    assert [svc.eligibility_for(session, p, post, TODAY) for p in everyone] == svc.eligibility_for_many(
        session, everyone, post, TODAY
    )
    assert svc.gather_facts_many(session, [], post, TODAY) == []
