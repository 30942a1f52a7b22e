"""Builders for the oversight tests: a township with holders, payments and the records rules look at."""

from __future__ import annotations

from datetime import date
from itertools import count

from pwposts.models.pay import Payment, PayrollRun

_seq = count(1)


def make_run(session, township, month, preparer, approver=None, approved_on=date(2026, 11, 5)) -> PayrollRun:
    run = PayrollRun(
        township_id=township.id,
        month=month,
        status="approved" if approver else "preview",
        prepared_by_id=preparer.id,
        approved_by_id=approver.id if approver else None,
        approved_at=session.info.get("pwposts_now") if approver else None,
        approved_on=approved_on if approver else None,
    )
    session.add(run)
    session.flush()
    return run


def pay(
    session,
    contract,
    month,
    amount_fen=None,
    *,
    run=None,
    kind="regular",
    status="paid",
    attended=20,
    covered=None,
    month_days=30,
    grade=None,
    perf=0,
    original=None,
    reason=None,
    account_no=None,
    account_name=None,
) -> Payment:
    person = contract.person
    standard = contract.allowance_fen
    amount = standard if amount_fen is None else amount_fen
    p = Payment(
        run_id=run.id if run else None,
        contract_id=contract.id,
        person_id=contract.person_id,
        fund_id=contract.post.fund_id,
        month=month,
        kind=kind,
        standard_fen=standard,
        required_days=contract.required_days,
        attended_days=attended,
        covered_days=covered if covered is not None else month_days,
        month_days=month_days,
        cap_fen=standard,
        base_fen=amount - perf,
        grade=grade,
        performance_fen=perf,
        amount_fen=amount,
        calc_text="test",
        account_kind="社保卡",
        account_no=account_no or person.account_no,
        account_name=account_name or person.account_name,
        status=status,
        paid_on=date(2026, 11, 10) if status == "paid" else None,
        reason=reason,
        original_payment_id=original.id if original else None,
    )
    session.add(p)
    session.flush()
    return p


def scanned_demo_county(session, *, persons: int, today: date):
    """Empty the tables, build the demo county dated `today` (seed 2026) at the suite's bound now, scan it
    with every rule and commit: (the scan's result, {(rule, subject): flag}, the planted cases' info)."""
    from sqlalchemy import select

    from pwposts import demo
    from pwposts.demo.oversight import planted
    from pwposts.models.oversight import Flag
    from pwposts.services.clock_binding import bind_now
    from pwposts.services.oversight import run_scan
    from tests.conftest import NOW, _empty_tables

    _empty_tables()
    bind_now(session, NOW)
    demo.generate_county(session, seed=2026, persons=persons, today=today)
    session.commit()
    result = run_scan(session, today)
    session.commit()
    flags = {(f.rule_id, f.subject_key): f for f in session.scalars(select(Flag))}
    return result, flags, planted(session)
