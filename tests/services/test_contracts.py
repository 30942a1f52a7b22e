"""Contracts service: one-year rule, one active contract per person (service and DB), headcount,
insurance before activation, renewal after a passed annual grade, voiding, audit for each step."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pwposts.domain.errors import DomainError, Forbidden, NotFound
from pwposts.models.audit import AuditEntry
from pwposts.models.contracts import Contract
from pwposts.models.people import PersonCategory
from pwposts.services import audit
from pwposts.services import contracts as svc
from tests.contracts_support import grade, hired, insure, make_application, make_post, raw_contract

TODAY = date(2026, 11, 25)


@pytest.fixture
def town(county):
    return county.users["town"]


def entries(session, obj_type="contract", obj_id=None):
    q = select(AuditEntry).where(AuditEntry.object_type == obj_type)
    if obj_id is not None:
        q = q.where(AuditEntry.object_id == str(obj_id))
    return session.scalars(q.order_by(AuditEntry.id)).all()


def sign(session, actor, app, start=date(2026, 3, 1), end=date(2027, 2, 28), kind="劳务协议"):
    c = svc.sign_contract(session, actor, app.id, kind, start, end, TODAY)
    session.commit()
    return c


def active_contract(
    session, county, town, person="wang", start=date(2026, 1, 1), end=date(2026, 12, 31), **kw
):
    app = hired(session, county, person, **kw)
    c = sign(session, town, app, start, end)
    insure(session, c)
    svc.activate_contract(session, town, c, TODAY)
    session.commit()
    return c


# ---- signing and the one-year rule ----


def test_sign_within_one_year_copies_the_post_terms(session, county, town):
    app = hired(session, county)
    c = sign(session, town, app)
    post = app.notice.post
    assert c.status == "draft" and c.start_on == date(2026, 3, 1) and c.end_on == date(2027, 2, 28)
    assert c.code == f"HT2026-{c.id:06d}"
    assert (c.allowance_fen, c.required_days, c.full_time) == (
        post.allowance_fen,
        post.required_days,
        post.full_time,
    )
    assert (c.perf_excellent_fen, c.perf_pass_fen) == (5000, 4000)  # from the post's standard
    assert (c.duties, c.work_place, c.hours) == (post.duties, post.work_place, post.hours)
    assert c.person_id == county.persons["wang"].id and c.application_id == app.id and c.signed_on == TODAY
    [e] = entries(session, obj_id=c.id)
    assert e.action == "sign_contract" and e.actor_id == town.id and '"status":"draft"' in e.after_json


def test_sign_over_one_year_refused_naming_both_dates(session, county, town):
    app = hired(session, county)
    with pytest.raises(DomainError) as e:
        svc.sign_contract(session, town, app.id, "劳务协议", date(2026, 3, 1), date(2027, 3, 1), TODAY)
    session.rollback()
    assert e.value.code == "contract_over_one_year"
    assert (
        "2026-03-01" in e.value.message
        and "2027-03-01" in e.value.message
        and "2027-02-28" in e.value.message
    )
    assert session.scalar(select(Contract.id)) is None


def test_sign_refused_unless_hired_with_the_state_in_the_message(session, county, town):
    post = make_post(session, county)
    app = make_application(session, county, county.persons["wang"], post, status="shortlisted")
    session.commit()
    with pytest.raises(DomainError) as e:
        svc.sign_contract(session, town, app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY)
    assert e.value.code == "application_not_hired" and "公示中" in e.value.message


def test_sign_refused_for_unknown_kind_and_future_signing_date(session, county, town):
    app = hired(session, county)
    with pytest.raises(DomainError) as e:
        svc.sign_contract(session, town, app.id, "口头约定", date(2026, 3, 1), date(2027, 2, 28), TODAY)
    assert e.value.code == "contract_kind_invalid"
    with pytest.raises(DomainError) as e:
        svc.sign_contract(
            session,
            town,
            app.id,
            "劳务协议",
            date(2026, 3, 1),
            date(2027, 2, 28),
            TODAY,
            signed_on=date(2026, 11, 26),
        )
    assert e.value.code == "signed_on_future"


def test_application_signs_only_once(session, county, town):
    app = hired(session, county)
    sign(session, town, app)
    with pytest.raises(DomainError) as e:
        svc.sign_contract(session, town, app.id, "劳务协议", date(2027, 3, 1), date(2028, 2, 28), TODAY)
    assert e.value.code == "application_has_contract"


def test_scope_and_role(session, county):
    app = hired(session, county)
    with pytest.raises(NotFound):
        svc.sign_contract(
            session, county.users["otherTown"], app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY
        )
    with pytest.raises(Forbidden):
        svc.sign_contract(
            session, county.users["inspector"], app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY
        )
    with pytest.raises(Forbidden):
        svc.sign_contract(
            session, county.users["village"], app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY
        )
    assert (
        svc.sign_contract(
            session, county.users["admin"], app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY
        ).status
        == "draft"
    )


# ---- the database holds the one-year rule and one active contract per person ----


def test_db_refuses_end_one_day_too_late(session, county):
    post = make_post(session, county)
    session.commit()
    session.add(raw_contract(post, county.persons["wang"], date(2026, 3, 1), date(2027, 3, 1)))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(raw_contract(post, county.persons["wang"], date(2026, 1, 31), date(2027, 1, 31)))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_db_leap_day_anniversary(session, county):
    post = make_post(session, county)
    session.commit()
    session.add(raw_contract(post, county.persons["wang"], date(2028, 2, 29), date(2029, 2, 28)))
    session.flush()  # accepted
    session.add(raw_contract(post, county.persons["li"], date(2028, 2, 29), date(2029, 3, 1)))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    session.add(raw_contract(post, county.persons["li"], date(2026, 3, 1), date(2027, 2, 28)))
    session.flush()  # accepted too
    session.rollback()


def test_db_refuses_two_active_contracts_for_one_person(session, county):
    post = make_post(session, county, headcount=2)
    session.commit()
    wang = county.persons["wang"]
    session.add(raw_contract(post, wang, date(2025, 1, 1), date(2025, 12, 31), status="active"))
    session.flush()
    session.add(raw_contract(post, wang, date(2026, 1, 1), date(2026, 12, 31), status="active"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


# ---- no two contracts for a person, headcount ----


def test_second_overlapping_contract_for_the_person_refused(session, county, town):
    sign(session, town, hired(session, county))
    other = hired(session, county)  # another post, same person
    with pytest.raises(DomainError) as e:
        svc.sign_contract(session, town, other.id, "劳务协议", date(2026, 6, 1), date(2027, 5, 31), TODAY)
    assert (
        e.value.code == "contract_person_overlap"
        and "王秀英" in e.value.message
        and "重叠" in e.value.message
    )


def test_activation_refused_while_another_contract_is_active(session, county, town):
    active_contract(session, county, town, start=date(2026, 1, 1), end=date(2026, 12, 31))
    later = hired(session, county)  # another post, not overlapping, signed as a fresh hire
    c = sign(session, town, later, date(2027, 1, 1), date(2027, 12, 31))
    insure(session, c)
    session.commit()
    with pytest.raises(DomainError) as e:
        svc.activate_contract(session, town, c, TODAY)
    assert e.value.code == "contract_person_active" and "一人不得同时有两份有效合同" in e.value.message
    session.rollback()
    assert session.get(Contract, c.id).status == "draft"


def test_headcount_respected(session, county, town):
    app = hired(session, county, headcount=1)
    sign(session, town, app)
    li_app = make_application(session, county, county.persons["li"], app.notice.post)
    session.commit()
    with pytest.raises(DomainError) as e:
        svc.sign_contract(session, town, li_app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY)
    assert (
        e.value.code == "post_headcount_full" and "核定1人" in e.value.message and "王秀英" in e.value.message
    )
    # a void draft frees the place
    svc.void_draft(session, town, session.scalar(select(Contract)), "申请人放弃", TODAY)
    c = svc.sign_contract(session, town, li_app.id, "劳务协议", date(2026, 3, 1), date(2027, 2, 28), TODAY)
    assert c.status == "draft"


# ---- insurance and activation ----


def test_insurance_must_cover_the_period(session, county, town):
    c = sign(session, town, hired(session, county))
    with pytest.raises(DomainError) as e:
        svc.record_insurance(
            session, town, c.id, "中国人寿", "PL1", date(2026, 3, 2), date(2027, 2, 28), TODAY
        )
    msg = e.value.message
    assert e.value.code == "policy_not_covering"
    assert "2026-03-02 至 2027-02-28" in msg and "2026-03-01 至 2027-02-28" in msg
    with pytest.raises(DomainError):
        svc.record_insurance(session, town, c.id, "  ", "PL1", date(2026, 3, 1), date(2027, 2, 28), TODAY)
    p = svc.record_insurance(
        session, town, c.id, "中国人寿", "PL1", date(2026, 2, 1), date(2027, 3, 31), TODAY
    )
    [e] = entries(session, "insurance_policy", p.id)
    assert e.action == "record_insurance" and "PL1" in e.after_json
    assert [x.id for x in svc.contract_history(session, c)] == [x.id for x in entries(session)] + [e.id]


def test_activation_refused_without_covering_insurance(session, county, town):
    c = sign(session, town, hired(session, county))
    with pytest.raises(DomainError) as e:
        svc.activate_contract(session, town, c, TODAY)
    assert e.value.code == "insurance_missing" and "2026-03-01 至 2027-02-28" in e.value.message
    insure(session, c, end=date(2027, 1, 31))  # recorded by hand, not covering
    with pytest.raises(DomainError) as e:
        svc.activate_contract(session, town, c, TODAY)
    assert e.value.code == "policy_not_covering"
    assert session.get(Contract, c.id).status == "draft"


def test_activation_marks_post_and_is_audited(session, county, town):
    app = hired(session, county, headcount=1)
    c = sign(session, town, app)
    svc.record_insurance(session, town, c.id, "中国人寿", "PL1", date(2026, 3, 1), date(2027, 2, 28), TODAY)
    svc.activate_contract(session, town, c, TODAY)
    session.commit()
    assert c.status == "active" and c.activated_at is not None
    assert app.notice.post.status == "filled"
    actions = [e.action for e in entries(session, obj_id=c.id)]
    assert actions == ["sign_contract", "activate_contract"]
    assert [e.action for e in entries(session, "post")] == ["mark_staffing"]
    with pytest.raises(DomainError) as e:
        svc.activate_contract(session, town, c, TODAY)
    assert e.value.code == "contract_not_draft"
    assert audit.verify_chain(session).ok


def test_activation_refused_after_the_period(session, county, town):
    c = sign(session, town, hired(session, county), date(2025, 11, 1), date(2026, 10, 31))
    insure(session, c)
    with pytest.raises(DomainError) as e:
        svc.activate_contract(session, town, c, TODAY)
    assert e.value.code == "contract_period_passed"


# ---- renewal ----


def test_renewal_refused_without_a_passed_annual_grade(session, county, town):
    c = active_contract(session, county, town)
    with pytest.raises(DomainError) as e:
        svc.renew_contract(session, town, c.id, "劳务协议", date(2027, 1, 1), date(2027, 12, 31), TODAY)
    assert e.value.code == "renewal_no_annual_grade" and c.code in e.value.message
    grade(session, c, "2025", "合格")
    grade(session, c, "2026", "不合格")  # the latest year counts
    with pytest.raises(DomainError) as e:
        svc.renew_contract(session, town, c.id, "劳务协议", date(2027, 1, 1), date(2027, 12, 31), TODAY)
    assert e.value.code == "renewal_annual_grade_failed" and "不合格" in e.value.message
    assert session.scalar(select(Contract.id).where(Contract.previous_contract_id == c.id)) is None


def test_renewal_dates(session, county, town):
    c = active_contract(session, county, town)
    grade(session, c, "2026", "合格")
    for start, end, code in (
        (date(2026, 12, 31), date(2027, 12, 30), "renewal_overlaps"),
        (date(2027, 1, 5), date(2028, 1, 4), "renewal_gap"),
        (date(2027, 1, 1), date(2028, 1, 1), "contract_over_one_year"),
    ):
        with pytest.raises(DomainError) as e:
            svc.renew_contract(session, town, c.id, "劳务协议", start, end, TODAY)
        assert e.value.code == code


def test_renewal_refused_when_no_longer_eligible(session, county, town):
    c = active_contract(session, county, town, person="li")  # 41, so not 大龄 by age alone
    grade(session, c, "2026", "优秀")
    for pc in session.scalars(select(PersonCategory).where(PersonCategory.person_id == c.person_id)):
        pc.end_on = date(2026, 12, 31)
    session.flush()
    with pytest.raises(DomainError) as e:
        svc.renew_contract(session, town, c.id, "劳务协议", date(2027, 1, 1), date(2027, 12, 31), TODAY)
    assert e.value.code == "renewal_ineligible" and "2027-01-01" in e.value.message
    assert "不属于任何帮扶类别" in e.value.message


def test_renewal_then_activation_ends_the_old_contract(session, county, town):
    c = active_contract(session, county, town, headcount=1)
    grade(session, c, "2026", "合格")
    new = svc.renew_contract(session, town, c.id, "劳务协议", date(2027, 1, 1), date(2027, 12, 31), TODAY)
    session.commit()
    assert (
        new.status == "draft" and new.previous_contract_id == c.id and new.application_id == c.application_id
    )
    with pytest.raises(DomainError) as e:  # one renewal at a time
        svc.renew_contract(session, town, c.id, "劳务协议", date(2027, 1, 1), date(2027, 12, 31), TODAY)
    assert e.value.code == "renewal_exists"
    insure(session, new)
    svc.activate_contract(session, town, new, TODAY)
    session.commit()
    assert (c.status, new.status) == ("ended", "active")
    assert new.code in c.end_reason
    assert [e.action for e in entries(session, obj_id=c.id)] == [
        "sign_contract",
        "activate_contract",
        "end_contract",
    ]
    assert [e.action for e in entries(session, obj_id=new.id)] == ["renew_contract", "activate_contract"]
    assert audit.verify_chain(session).ok
    assert session.get(type(c.post), c.post_id).status == "filled"


# ---- void ----


def test_void_draft_only(session, county, town):
    c = sign(session, town, hired(session, county))
    with pytest.raises(DomainError):
        svc.void_draft(session, town, c, " ", TODAY)
    svc.void_draft(session, town, c, "起始日期填错", TODAY)
    assert c.status == "void" and c.end_reason == "起始日期填错"
    with pytest.raises(DomainError) as e:
        svc.void_draft(session, town, c, "再次", TODAY)
    assert e.value.code == "contract_not_draft"
    active = active_contract(session, county, town, person="li")
    with pytest.raises(DomainError):
        svc.void_draft(session, town, active, "想作废", TODAY)
    assert [e.action for e in entries(session, obj_id=c.id)] == ["sign_contract", "void_contract"]


# ---- reading ----


def test_list_scope_and_filters(session, county, town):
    wang = active_contract(session, county, town, start=date(2026, 1, 1), end=date(2026, 12, 20))
    zhao_app = hired(session, county, "zhao", village=2)
    zhao = sign(session, county.users["otherTown"], zhao_app)

    def ids(actor, **kw):
        return [
            c.id for c in session.scalars(svc.contract_query(actor, svc.ContractFilter(**kw), TODAY)).unique()
        ]

    assert ids(town) == [wang.id]
    assert ids(county.users["otherTown"]) == [zhao.id]
    assert set(ids(county.users["inspector"])) == {wang.id, zhao.id}
    assert ids(county.users["holder"]) == [wang.id]
    assert ids(county.users["admin"], q="王秀英") == [wang.id]
    assert ids(county.users["admin"], q=county.persons["zhao"].id_number[-6:]) == [zhao.id]
    assert ids(county.users["admin"], q=zhao.code.lower()) == [zhao.id]
    assert ids(county.users["admin"], status="draft") == [zhao.id]
    assert ids(county.users["admin"], expiring=True) == [wang.id]  # ends 2026-12-20, within 30 days
    counts = svc.dashboard_counts(session, town, TODAY)
    assert counts == {"draft_no_insurance": 0, "draft_ready": 0, "expiring": 1}
    assert svc.dashboard_counts(session, county.users["admin"], TODAY)["draft_no_insurance"] == 1
