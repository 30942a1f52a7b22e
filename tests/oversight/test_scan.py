"""The scan keeps flags: idempotent, dismissed stays dismissed, changed evidence comes back linked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from pwposts.domain.errors import DomainError, Forbidden
from pwposts.models.oversight import Flag
from pwposts.models.people import Cadre, Relation
from pwposts.services.oversight import run_scan
from pwposts.services.oversight.workflow import add_note, complete_rectification, dispose_flag
from tests.builders import add_person
from tests.oversight_support import pay
from tests.payroll_support import make_contract, make_fund, make_post


@pytest.fixture
def dead(session, county):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    p = add_person(session, county.villages[0], "何艳", date(1975, 1, 1), "F", death_date=date(2026, 9, 13))
    c = make_contract(session, p, post)
    pay(session, c, "2026-09", 42000)
    session.commit()
    return c


def flags(session, rule="PAID_AFTER_DEATH"):
    return session.scalars(select(Flag).where(Flag.rule_id == rule).order_by(Flag.id)).all()


def test_scan_is_idempotent(session, county, dead, today):
    first = run_scan(session, today, rules=["PAID_AFTER_DEATH"])
    second = run_scan(session, today, rules=["PAID_AFTER_DEATH"])
    assert (first.new, second.new, second.unchanged) == (1, 0, 1)
    assert len(flags(session)) == 1


def test_dismissed_stays_dismissed_until_the_evidence_changes(session, county, dead, today):
    run_scan(session, today)
    (flag,) = flags(session)
    inspector = county.users["inspector"]
    dispose_flag(
        session,
        inspector,
        flag.id,
        "dismissed",
        today,
        reason_code="data_error",
        reason_text="死亡日期录入错误，待更正",
    )
    session.commit()
    again = run_scan(session, today)
    assert again.suppressed >= 1 and len(flags(session)) == 1 and flags(session)[0].status == "dismissed"
    pay(session, dead, "2026-10", 42000)  # a payment that extends the evidence
    third = run_scan(session, today)
    assert third.reraised == 1
    old, new = flags(session)
    assert (old.status, new.status) == ("dismissed", "open")
    assert new.previous_flag_id == old.id and new.previous.disposition.reason_code == "data_error"
    assert new.money_fen > old.money_fen


def test_region_and_period_filters_choose_findings_not_evidence(session, county, dead, today):
    assert run_scan(session, today, region_code=county.townships[1].code).found == 0
    assert run_scan(session, today, month_from="2026-10", month_to="2026-12").found == 0
    assert run_scan(session, today, region_code=county.townships[0].code, month_from="2026-09").new >= 1
    with pytest.raises(DomainError):
        run_scan(session, today, rules=["NOPE"])


def test_a_cadre_taking_office_after_the_hire_flags_the_relative(session, county, today):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    brother = add_person(session, county.villages[0], "钱一", date(1980, 1, 1), "M")
    make_contract(session, brother, post, start=date(2026, 1, 1), end=date(2026, 12, 31))
    assert run_scan(session, today, rules=["CADRE_KIN"]).found == 0
    sister = add_person(session, county.villages[0], "钱二", date(1978, 1, 1), "F", categories=())
    session.add(Relation(person=brother, relative=sister, kind="兄弟姐妹"))
    session.add(
        Cadre(person=sister, village=county.villages[0], office="村文书", term_start=date(2026, 10, 1))
    )
    session.flush()
    result = run_scan(session, today, rules=["CADRE_KIN"])
    assert result.new == 1
    (flag,) = flags(session, "CADRE_KIN")
    assert flag.person_id == brother.id and "钱二" in flag.evidence_json


def test_confirm_with_rectification_and_only_inspectors_dispose(session, county, dead, today):
    run_scan(session, today)
    (flag,) = flags(session)
    for user in ("town", "admin", "village"):
        with pytest.raises(Forbidden):
            dispose_flag(
                session, county.users[user], flag.id, "dismissed", today, reason_code="other", reason_text="x"
            )
    with pytest.raises(DomainError):
        dispose_flag(
            session,
            county.users["inspector"],
            flag.id,
            "dismissed",
            today,
            reason_code="other",
            reason_text="",
        )
    add_note(session, county.users["inspector"], flag.id, "已电话核实村委会", today)
    d = dispose_flag(
        session,
        county.users["inspector"],
        flag.id,
        "confirmed",
        today,
        rectification_kind="recover_money",
        rectification_text="追回死亡后发放的补贴",
    )
    (item,) = d.rectifications
    assert item.amount_fen == flag.money_fen and item.status == "open"
    complete_rectification(session, county.users["inspector"], item.id, "已追回", today)
    assert item.status == "done" and item.done_on == today
    assert run_scan(session, today).suppressed == 1  # confirmed on this evidence: not raised again


def test_payroll_approval_scans_the_township(session, county, today):
    from pwposts.models.people import EmploymentRecord, Person
    from pwposts.services import pay as payroll
    from tests.payroll_support import township_setup

    township_setup(session, county)
    wang = session.get(Person, county.persons["wang"].id)
    session.add(
        EmploymentRecord(
            id_number=wang.id_number, employer="某工厂", full_time=True, start_on=date(2026, 9, 1)
        )
    )
    session.commit()
    run = payroll.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", today)
    session.commit()
    payroll.approve_run(session, county.users["town2"], run.id, today)
    session.commit()
    assert [f.person_id for f in flags(session, "EMPLOYED_ELSEWHERE")] == [wang.id]


def test_the_daily_sweep_runs_every_rule_and_a_second_sweep_changes_nothing(session, county, dead, today):
    from pwposts.models.audit import AuditEntry
    from pwposts.services.sweep import run_sweep

    report = run_sweep(session, today)
    session.commit()
    assert [f.status for f in flags(session)] == ["open"] and "新增" in report.scan
    assert any(line.startswith("线索扫描：") for line in report.lines())
    entries = session.query(AuditEntry).count()
    again = run_sweep(session, today)
    session.commit()
    assert (
        len(flags(session)) == 1 and session.query(AuditEntry).count() == entries and "新增0项" in again.scan
    )


def test_new_flags_are_inserted_together_with_ids_after_the_highest(session, county, today):
    """Five dead payees: five new flags, in one INSERT statement (executemany on SQLite, where the scan gives
    the ids; one INSERT … RETURNING on PostgreSQL) and with ids above every flag already there."""
    from sqlalchemy import event

    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    for i in range(5):
        p = add_person(
            session, county.villages[0], f"故{i}", date(1970, 1, 1), "M", death_date=date(2026, 9, 1)
        )
        pay(session, make_contract(session, p, post), "2026-09", 42000)
    session.commit()
    before = session.scalar(select(Flag.id).order_by(Flag.id.desc()).limit(1)) or 0
    inserts = []

    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO OVERSIGHT_FLAG"):
            inserts.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert run_scan(session, today, rules=["PAID_AFTER_DEATH"]).new == 5
    finally:
        event.remove(engine, "before_cursor_execute", count)
    session.commit()
    ids = [f.id for f in flags(session)]
    assert len(inserts) == 1 and len(ids) == 5 and min(ids) > before
    assert run_scan(session, today, rules=["PAID_AFTER_DEATH"]).new == 0  # and a second scan keeps them
