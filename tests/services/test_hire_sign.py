"""Hire → sign and recruitment in order, through the services: the hire date is kept, a contract never starts
before it, 已聘用待签协议 lists the hired without a contract, a notice cannot open in the past, the 公示 waits
for the registration deadline, and a notice's state is derived (SQL filter and domain agree)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from pwposts.domain.errors import DomainError
from pwposts.models.audit import AuditEntry
from pwposts.models.hiring import Notice
from pwposts.services import contracts as contract_svc
from pwposts.services import hiring as svc
from tests.hiring_support import (
    ENTRY_DAY,
    NOTICE_DAY,
    NOTICE_FIELDS,
    OPEN_NOTICE_FIELDS,
    make_post,
    shortlist_wang_and_li,
)

TODAY = date(2026, 11, 25)
HIRE_DAY = date(2026, 12, 3)


@pytest.fixture
def town(county):
    return county.users["town"]


@pytest.fixture
def post(session, county):
    p = make_post(session, county)
    session.commit()
    return p


@pytest.fixture
def notice(session, town, post):
    n = svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    session.commit()
    return n


def shortlisted(session, county, town, notice):
    return shortlist_wang_and_li(session, county, notice, TODAY)


# ---- recruitment in order ----


def test_a_notice_cannot_open_in_the_past(session, town, post):
    with pytest.raises(DomainError) as e:
        svc.publish_notice(session, town, post.id, today=TODAY, **NOTICE_FIELDS)  # starts 11-16, today 11-25
    assert (
        e.value.code == "notice_starts_in_past"
        and "2026-11-16" in e.value.message
        and "2026-11-25" in e.value.message
    )
    session.rollback()
    assert svc.publish_notice(session, town, post.id, today=TODAY, **OPEN_NOTICE_FIELDS).status == "open"


def test_publicity_refused_while_registration_is_open(session, county, town, notice):
    svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    session.commit()
    for day in (date(2026, 11, 20), ENTRY_DAY):  # the deadline day itself still takes applications
        with pytest.raises(DomainError) as e:
            svc.publish_shortlist(session, town, notice.id, None, day)
        assert e.value.code == "registration_still_open" and "2026-11-24" in e.value.message
        session.rollback()
    pub = svc.publish_shortlist(session, town, notice.id, None, TODAY)
    assert pub.start_on == date(2026, 11, 26) and pub.end_on == date(2026, 12, 2)


def test_notice_state_is_derived_and_the_list_filter_agrees(session, county, town, notice, post):
    def states(today):
        notices = session.scalars(select(Notice).order_by(Notice.id)).all()
        derived = svc.notice_states(session, notices, today)
        for s in set(derived.values()) | {
            "open",
            "registration_closed",
        }:  # the SQL filter picks the same notices
            picked = session.scalars(svc.notice_query(town, svc.NoticeFilter(state=s), today)).unique().all()
            assert {n.id for n in picked} == {i for i, v in derived.items() if v == s}, (today, s)
        return derived

    later = make_post(session, county, title="护林员", headcount=1)
    upcoming = svc.publish_notice(
        session,
        town,
        later.id,
        today=TODAY,
        **{**OPEN_NOTICE_FIELDS, "places": 1, "start_on": date(2026, 12, 1)},
    )
    session.commit()
    assert states(ENTRY_DAY) == {notice.id: "open", upcoming.id: "upcoming"}
    assert states(TODAY) == {notice.id: "registration_closed", upcoming.id: "upcoming"}
    assert notice.status == "open"  # the stored column alone would still say 报名中

    a, _b, _pub = shortlisted(session, county, town, notice)
    assert states(TODAY)[notice.id] == "publicity"
    assert states(date(2026, 12, 2))[notice.id] == "publicity"
    svc.hire(session, town, a.id, HIRE_DAY)
    session.commit()
    assert states(HIRE_DAY) == {notice.id: "hired", upcoming.id: "open"}
    svc.close_notice(session, town, upcoming.id, HIRE_DAY)
    session.commit()
    assert states(HIRE_DAY)[upcoming.id] == "ended"
    assert svc.notice_state_of(session, notice, date(2027, 6, 1)) == "hired"


# ---- hire → sign ----


def test_hire_keeps_its_date_and_a_contract_cannot_start_before_it(session, county, town, notice):
    a, _, _ = shortlisted(session, county, town, notice)
    svc.hire(session, town, a.id, date(2026, 12, 14))
    session.commit()
    assert a.hired_on == date(2026, 12, 14) and a.hire_date == date(2026, 12, 14)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "hire"))
    assert "2026-12-14" in entry.after_json

    with pytest.raises(DomainError) as e:  # signed on 12-14 but starting 11-01: November would be paid
        contract_svc.sign_contract(
            session, town, a.id, "劳务协议", date(2026, 11, 1), date(2027, 10, 31), date(2026, 12, 14)
        )
    assert e.value.code == "contract_before_hire"
    assert "2026-11-01" in e.value.message and "2026-12-14" in e.value.message
    session.rollback()
    start, end = date(2026, 12, 15), date(2027, 12, 14)
    c = contract_svc.sign_contract(session, town, a.id, "劳务协议", start, end, date(2026, 12, 14))
    assert (c.start_on, c.end_on, c.status) == (start, end, "draft")


def test_awaiting_signing_lists_the_hired_without_a_contract_in_scope(session, county, town, notice):
    a, _, _ = shortlisted(session, county, town, notice)
    svc.hire(session, town, a.id, HIRE_DAY)
    session.commit()

    def listed(actor, **kw):
        pending = contract_svc.awaiting_signing(actor, contract_svc.PendingFilter(**kw))
        return [x.id for x in session.scalars(pending).unique()]

    assert listed(town) == [a.id] and contract_svc.awaiting_signing_count(session, town) == 1
    assert listed(county.users["admin"]) == [a.id] and listed(county.users["inspector"]) == [a.id]
    assert (
        listed(county.users["otherTown"]) == []
        and contract_svc.awaiting_signing_count(session, county.users["otherTown"]) == 0
    )
    assert listed(town, q="王秀英") == [a.id] and listed(town, q="李建国") == []
    assert listed(town, q=county.persons["wang"].id_number[-6:]) == [a.id]
    assert listed(town, township_id=county.villages[0].parent_id) == [a.id]
    assert listed(town, village_id=county.villages[1].id) == []

    c = contract_svc.sign_contract(
        session, town, a.id, "劳务协议", date(2026, 12, 4), date(2027, 12, 3), HIRE_DAY
    )
    session.commit()
    assert listed(town) == [] and contract_svc.contract_for_application(session, a.id).id == c.id
    contract_svc.void_draft(session, town, c, "日期填错，重新签订", HIRE_DAY)
    session.commit()
    assert listed(town) == [a.id]  # a voided draft is no signing: back on the worklist


def _awaiting_by_the_rule(session) -> set[int]:
    """Hired applications with no non-void contract, by the rule alone (no flag, no index)."""
    from pwposts.models.contracts import Contract
    from pwposts.models.hiring import Application

    signed = select(Contract.application_id).where(
        Contract.status != "void", Contract.application_id.is_not(None)
    )
    return set(
        session.scalars(
            select(Application.id).where(Application.status == "hired", Application.id.not_in(signed))
        )
    )


def _flag_is_the_rule(session) -> bool:
    from pwposts.models.contracts import Contract
    from pwposts.models.hiring import Application

    signed = set(
        session.scalars(
            select(Contract.application_id).where(
                Contract.status != "void", Contract.application_id.is_not(None)
            )
        )
    )
    return all(a.contract_signed == (a.id in signed) for a in session.scalars(select(Application)))


def test_the_awaiting_count_stays_exact_through_signing_voiding_and_contracts_written_by_hand(
    session, county, town, notice
):
    """application.contract_signed narrows the banner's count to the few unsigned: it follows every flush
    that writes a contract — the services, a contract built by hand, a status changed on the object — and the
    count always equals the rule (no non-void contract) counted without it."""
    from pwposts.models.contracts import Contract, refresh_contract_signed
    from tests.contracts_support import raw_contract

    a, b, _ = shortlisted(session, county, town, notice)
    svc.hire(session, town, a.id, HIRE_DAY)
    svc.hire(session, town, b.id, HIRE_DAY)
    session.commit()

    def check(expected: int) -> None:
        session.expire_all()
        assert contract_svc.awaiting_signing_count(session, town) == expected
        assert len(_awaiting_by_the_rule(session)) == expected and _flag_is_the_rule(session)

    check(2)
    c = contract_svc.sign_contract(
        session, town, a.id, "劳务协议", date(2026, 12, 4), date(2027, 12, 3), HIRE_DAY
    )
    session.commit()
    check(1)  # a signed contract no longer waits
    contract_svc.void_draft(session, town, c, "日期填错，重新签订", HIRE_DAY)
    session.commit()
    check(2)  # voided: waiting again
    contract_svc.sign_contract(
        session, town, a.id, "劳务协议", date(2026, 12, 5), date(2027, 12, 4), HIRE_DAY
    )
    session.commit()
    check(1)

    # written by hand (no service): added, then voided by setting the attribute, then deleted
    post = session.get(Notice, notice.id).post
    raw = raw_contract(post, county.persons["li"], date(2026, 12, 4), date(2027, 12, 3))
    raw.application_id = b.id
    session.add(raw)
    session.commit()
    check(0)
    raw.status = "void"
    session.commit()
    check(1)
    raw.status = "draft"
    session.commit()
    check(0)
    session.delete(session.get(Contract, raw.id))
    session.commit()
    check(1)

    # a bulk writer that bypasses the session sets the flags right with refresh_contract_signed()
    session.execute(Contract.__table__.update().where(Contract.id == c.id + 1).values(status="void"))
    refresh_contract_signed(session)
    session.commit()
    check(2)


def test_the_daily_sweep_puts_right_a_signed_flag_a_raw_write_left_wrong_and_says_so(
    session, county, town, notice
):
    from pwposts.models.contracts import Contract
    from pwposts.services.sweep import run_sweep

    a, _, _ = shortlisted(session, county, town, notice)
    svc.hire(session, town, a.id, HIRE_DAY)
    session.commit()
    c = contract_svc.sign_contract(
        session, town, a.id, "劳务协议", date(2026, 12, 4), date(2027, 12, 3), HIRE_DAY
    )
    session.commit()
    assert contract_svc.awaiting_signing_count(session, town) == 0
    # a writer that goes around the ORM: the flag still says signed, the banner misses the hire
    session.execute(Contract.__table__.update().where(Contract.id == c.id).values(status="void"))
    session.commit()
    assert contract_svc.awaiting_signing_count(session, town) == 0 and not _flag_is_the_rule(session)
    report = run_sweep(session, HIRE_DAY)
    session.commit()
    assert report.signed_fixed == 1 and any("标记校正：1 条" in line for line in report.lines())
    assert contract_svc.awaiting_signing_count(session, town) == 1 and _flag_is_the_rule(session)
    assert run_sweep(session, HIRE_DAY).signed_fixed == 0
