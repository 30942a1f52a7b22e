"""Two supplementary prepares at the same moment (PostgreSQL only, as test_payroll_concurrency): one
supplementary run, one line per left-out holder — with the advisory lock, and with the partial unique
indexes alone."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pwposts.extensions import db
from pwposts.models.pay import Payment, PayrollRun
from pwposts.services import attendance
from pwposts.services import pay as svc
from pwposts.services.pay import runs as pay_runs
from tests.payroll_support import township_setup
from tests.services.test_payroll_concurrency import _race

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set PWPOSTS_TEST_DATABASE_URL): SQLite serialises all writers")


@pytest.mark.parametrize("with_lock", [True, False], ids=["advisory-lock", "unique-index-only"])
def test_two_concurrent_supplementary_prepares_make_one_run(session, county, monkeypatch, with_lock):
    data = township_setup(session, county)
    tid = county.townships[0].id
    run = svc.prepare_run(session, county.users["town"], tid, "2026-10", TODAY)
    session.commit()
    svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    attendance.approve_month(session, county.users["town"], tid, "2026-10", TODAY)
    session.commit()
    if not with_lock:
        monkeypatch.setattr(pay_runs, "_lock_run_key", lambda *a, **k: None)
    results = _race(
        ["town", "town2"],
        lambda s, actor: svc.prepare_run(s, actor, tid, "2026-10", TODAY, "supplementary").id,
    )
    outcomes = [o for _, o in results]
    assert all(
        isinstance(o, int) or getattr(o, "code", "") in ("payroll_run_exists", "payroll_lines_exist")
        for o in outcomes
    ), outcomes
    assert any(isinstance(o, int) for o in outcomes)
    session.expire_all()
    supp = session.scalars(select(PayrollRun).where(PayrollRun.kind == "supplementary")).all()
    assert len(supp) == 1 and supp[0].status == "preview" and supp[0].line_count == 1
    assert session.scalar(select(func.count(Payment.id)).where(Payment.contract_id == data["wife"].id)) == 1
