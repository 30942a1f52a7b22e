"""The scan after a payroll approval is limited to what the run can change (its Subjects): it records
exactly the findings the whole-county scan gives about those subjects, with the same evidence, so a
second scan and the daily sweep afterwards change none of its flags."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from pwposts.models.audit import AuditEntry
from pwposts.models.oversight import Disposition, Flag, FlagNote, Rectification
from pwposts.models.pay import PayrollRun
from pwposts.models.people import EmploymentRecord, Person
from pwposts.services import pay as payroll
from pwposts.services.oversight import PAY_RULES, daily_sweep, detect, scan_after_payroll_approval
from pwposts.services.oversight._base import Subjects
from tests.builders import add_person
from tests.oversight_support import pay
from tests.payroll_support import make_contract, make_fund, make_post, township_setup


def hashes(found: dict, subjects: Subjects | None = None) -> dict[tuple[str, str], str]:
    """{(rule, subject): evidence hash} of detect's findings, those about `subjects` when given."""
    return {
        (rule, fd.subject_key): fd.evidence_hash
        for rule, fds in found.items()
        for fd in fds
        if subjects is None or subjects.covers(fd.subject_key)
    }


def recorded(session) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.subject_key): f.evidence_hash for f in session.scalars(select(Flag))}


def _forget_flags(session) -> None:
    for model in (Rectification, Disposition, FlagNote, Flag):
        session.execute(delete(model))
    session.flush()


def test_an_approval_records_the_runs_findings_wherever_they_are_and_no_others(session, county, today):
    """Through approve_run: the run's payee employed elsewhere and its fund overrun (a county-level
    finding, no township) are recorded; a death in the same township paid in another run is not."""
    setup = township_setup(session, county)
    wang = session.get(Person, county.persons["wang"].id)
    session.add(
        EmploymentRecord(
            id_number=wang.id_number, employer="某工厂", full_time=True, start_on=date(2026, 9, 1)
        )
    )
    # the run's fund: a line charged outside any run takes it over its allocation (approval counts
    # approved runs only, so the approval itself goes through)
    pay(session, setup["wang"], "2026-09", 100_000_001)
    # a payment after death in the same township, on another fund and contract: not the run's subject
    other = make_post(session, county, county.villages[1], make_fund(session, county, name="其他资金"))
    dead = add_person(session, county.villages[1], "何艳", date(1975, 1, 1), "F", death_date=date(2026, 8, 3))
    pay(session, make_contract(session, dead, other), "2026-09", 42000)
    session.commit()

    run = payroll.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", today)
    session.commit()
    payroll.approve_run(session, county.users["town2"], run.id, today)
    session.commit()

    subjects = Subjects.of_run(session, run.id, run.township_id)
    expected = hashes(detect(session, today, PAY_RULES)[0], subjects)
    fund_key = ("FUND_OVERRUN", f"fund:{setup['fund'].id}")
    assert ("EMPLOYED_ELSEWHERE", f"person:{wang.id}") in expected and fund_key in expected
    assert recorded(session) == expected
    assert ("PAID_AFTER_DEATH", f"person:{dead.id}") not in recorded(session)

    entries = session.scalar(select(func.count(AuditEntry.id)))
    again = scan_after_payroll_approval(session, run, today)
    session.commit()
    assert (again.new, again.updated, again.unchanged) == (0, 0, len(expected))
    assert session.scalar(select(func.count(AuditEntry.id))) == entries

    before = {(f.rule_id, f.subject_key): (f.id, f.evidence_hash) for f in session.scalars(select(Flag))}
    sweep = daily_sweep(session, today)
    session.commit()
    assert sweep.updated == 0 and sweep.new >= 1  # the death is found by the sweep, nothing is updated
    after = {(f.rule_id, f.subject_key): (f.id, f.evidence_hash) for f in session.scalars(select(Flag))}
    assert {k: after[k] for k in before} == before


def test_a_runs_parity_and_shared_account_findings_are_the_full_scans(session, county, today):
    """The approval scan's own statements for posts outside the parity band and for accounts shared by a
    holder and a non-holder (on PostgreSQL: the posts fenced with their county, the holder test probed per
    person, no second copy of the run's sets) find what the whole-county scan finds about the run's
    subjects — and a payee's deviating post and shared account are among them."""
    from pwposts.models.policy import Standard
    from tests.builders import add_person
    from tests.oversight_support import make_run

    fund = make_fund(session, county)
    v0 = county.villages[0]
    plain = make_post(session, county, v0, fund)
    session.add(
        Standard(
            county_id=county.county.id,
            category_id=plain.category_id,
            effective_from=date(2026, 1, 1),
            monthly_allowance_fen=60000,
            required_days=20,
        )
    )
    loose = make_post(session, county, v0, fund, allowance_fen=70000, title="高标准保洁")
    loose.deviation_status, loose.deviation_reason = "pending", "本村道路较长"
    clerk = add_person(session, v0, "马文书", date(1980, 1, 1), "M", categories=())  # no contract
    payee = add_person(session, v0, "孙一", date(1980, 2, 2), "M")
    payee.account_no, payee.account_name = clerk.account_no, clerk.name
    other = add_person(session, v0, "孙二", date(1981, 2, 2), "M")  # paid outside the run
    town, u1, u2 = county.townships[0], county.users["town"], county.users["town2"]
    run = make_run(session, town, "2026-10", u1, u2)
    pay(session, make_contract(session, payee, loose), "2026-10", run=run)
    pay(session, make_contract(session, other, plain), "2026-10")
    session.flush()

    rules = ["ABOVE_STANDARD", "SHARED_ACCOUNT"]
    subjects = Subjects.of_run(session, run.id, run.township_id)
    expected = hashes(detect(session, today, rules)[0], subjects)
    assert {
        ("ABOVE_STANDARD", f"post:{loose.id}"),
        ("SHARED_ACCOUNT", f"account:{clerk.account_no}"),
        ("SHARED_ACCOUNT", f"account_name:{payee.id}"),
    } <= set(expected)
    scoped = detect(session, today, rules, subjects=subjects)[0]
    assert hashes(scoped, subjects) == expected
    shared = next(f for f in scoped["SHARED_ACCOUNT"] if f.subject_key == f"account:{clerk.account_no}")
    roles = {n["id"]: n["role"] for n in shared.evidence["persons"]}
    assert "岗位人员" in roles[payee.id] and "岗位人员" not in roles[clerk.id]  # who holds a contract


@pytest.fixture(scope="module")
def demo_county(_app):
    """The 2,000-person demo county with its planted cases and payroll history, its flags forgotten."""
    from pwposts import demo
    from pwposts.extensions import db
    from pwposts.services.clock_binding import bind_now
    from tests.conftest import NOW, _empty_tables

    with _app.app_context():
        _empty_tables()
        bind_now(db.session, NOW)
        today = date(2026, 11, 25)
        demo.generate_county(db.session, seed=2026, persons=2000, today=today)
        _forget_flags(db.session)
        db.session.commit()
        runs = db.session.scalars(
            select(PayrollRun).where(PayrollRun.status == "approved").order_by(PayrollRun.id)
        ).all()
        yield {"session": db.session, "today": today, "runs": runs}
        db.session.rollback()
        _empty_tables()


def test_every_runs_scoped_findings_are_the_full_scans_about_its_subjects(demo_county):
    """For every approved run of the demo county: the rules limited to the run's subjects find exactly
    the whole-county findings about those subjects, with equal evidence hashes."""
    session, today = demo_county["session"], demo_county["today"]
    full = detect(session, today, PAY_RULES)[0]
    seen: set[str] = set()
    wrong = []
    for run in demo_county["runs"]:
        subjects = Subjects.of_run(session, run.id, run.township_id)
        scoped = hashes(detect(session, today, PAY_RULES, subjects=subjects)[0])
        expected = hashes(full, subjects)
        if scoped != expected:
            wrong.append((run.id, sorted(set(scoped.items()) ^ set(expected.items()))[:5]))
        seen |= {rule for rule, _ in scoped}
    assert not wrong
    assert seen == set(PAY_RULES)  # every payment rule had findings about some run's subjects


def test_the_approval_scan_of_a_run_then_a_second_scan_then_the_sweep(demo_county):
    session, today = demo_county["session"], demo_county["today"]
    full = detect(session, today, PAY_RULES)[0]

    def rules_and_findings(run):
        found = hashes(full, Subjects.of_run(session, run.id, run.township_id))
        return len({rule for rule, _ in found}), len(found)

    best = max(demo_county["runs"], key=rules_and_findings)  # the run whose subjects have most findings
    expected = hashes(full, Subjects.of_run(session, best.id, best.township_id))
    assert len({rule for rule, _ in expected}) >= 3, sorted(expected)
    try:
        first = scan_after_payroll_approval(session, best, today)
        assert recorded(session) == expected and first.new == len(expected)
        second = scan_after_payroll_approval(session, best, today)
        assert (second.new, second.updated, second.unchanged) == (0, 0, len(expected))
        sweep = daily_sweep(session, today)
        assert sweep.updated == 0
        assert {k: v for k, v in recorded(session).items() if k in expected} == expected
    finally:
        session.rollback()


def test_a_runs_sets_as_array_literals_keep_every_value_whole(session):
    """The approval scan binds the run's sets on PostgreSQL as array literals (Context._set): any text,
    quotes, backslashes, commas and braces included, comes back as the one value it was."""
    from sqlalchemy import text

    from pwposts.services.oversight._base import array_literal

    texts = ['6217"00', "62\\17", "1,2", "{ }", "NULL", "", " 6 "]
    assert array_literal([3, 1, 2]) == "{3,1,2}" and array_literal([]) == "{}"
    if session.get_bind().dialect.name != "postgresql":
        return
    assert (
        session.execute(text("SELECT CAST(:a AS VARCHAR[])"), {"a": array_literal(texts)}).scalar() == texts
    )
    ints = session.execute(text("SELECT CAST(:a AS INTEGER[])"), {"a": array_literal([5, -1])}).scalar()
    assert ints == [5, -1]
