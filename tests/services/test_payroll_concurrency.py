"""Two prepares or two approvals at the same moment, each in its own thread, session and database
connection: exactly one run and one set of payments; exactly one approval.

Runs on PostgreSQL only (PWPOSTS_TEST_DATABASE_URL): SQLite serialises every writer on one file
lock, so the race these tests provoke cannot happen there.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pwposts.domain.errors import DomainError
from pwposts.extensions import db
from pwposts.models.accounts import User
from pwposts.models.audit import AuditEntry
from pwposts.models.pay import AttendanceRecord, Payment, PayrollRun
from pwposts.services import pay as svc
from pwposts.services.clock_binding import bind_now
from pwposts.services.pay import runs as pay_runs
from tests.conftest import NOW
from tests.payroll_support import township_setup

TODAY = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set PWPOSTS_TEST_DATABASE_URL): SQLite serialises all writers, "
            "so two transactions can never race there"
        )


def _race(usernames, action):
    """Run action(session, actor) in one thread per username, released together by a barrier;
    each thread commits or rolls back its own transaction. Returns [(username, outcome)]."""
    barrier = threading.Barrier(len(usernames))
    results, lock = [], threading.Lock()
    engine = db.engine  # one connection per thread from the app's pool

    def worker(username):
        with Session(engine) as s:
            bind_now(s, NOW)
            actor = s.scalar(select(User).where(User.username == username))
            s.commit()  # start the race with a fresh transaction
            barrier.wait()
            try:
                outcome = action(s, actor)
                s.commit()
            except DomainError as err:
                s.rollback()
                outcome = err
            except Exception as err:  # noqa: BLE001 — reported by the assertion below
                s.rollback()
                outcome = err
        with lock:
            results.append((username, outcome))

    threads = [threading.Thread(target=worker, args=(u,)) for u in usernames]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def _assert_one_run_one_set(session):
    session.expire_all()
    runs = session.scalars(select(PayrollRun).where(PayrollRun.status != "void")).all()
    assert len(runs) == 1
    assert session.scalar(select(func.count(PayrollRun.id))) == 1
    pays = session.execute(select(Payment.contract_id, Payment.month, Payment.run_id)).all()
    assert len(pays) == 2 and len({(c, m) for c, m, _ in pays}) == 2
    assert {r for _, _, r in pays} == {runs[0].id}
    assert runs[0].line_count == 2 and runs[0].total_fen == 79000
    return runs[0]


@pytest.mark.parametrize("with_lock", [True, False], ids=["advisory-lock", "unique-index-only"])
def test_two_concurrent_prepares_make_one_run_and_one_set_of_payments(
    session, county, monkeypatch, with_lock
):
    township_setup(session, county)
    if not with_lock:  # the database's partial unique indexes alone must still hold
        monkeypatch.setattr(pay_runs, "_lock_run_key", lambda *a, **k: None)
    tid = county.townships[0].id
    results = _race(["town", "town2"], lambda s, actor: svc.prepare_run(s, actor, tid, "2026-10", TODAY).id)
    outcomes = [o for _, o in results]
    assert all(isinstance(o, int) or getattr(o, "code", "") == "payroll_run_exists" for o in outcomes), (
        outcomes
    )
    assert any(isinstance(o, int) for o in outcomes)
    _assert_one_run_one_set(session)


@pytest.mark.parametrize("with_lock", [True, False], ids=["advisory-lock", "conditional-update-only"])
def test_two_concurrent_approvals_exactly_one_wins(session, county, monkeypatch, with_lock):
    data = township_setup(session, county)
    run = svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    run_id = run.id
    if not with_lock:  # UPDATE … WHERE status = 'preview' and the rowcount alone must still decide
        monkeypatch.setattr(pay_runs, "_lock_run_key", lambda *a, **k: None)
    results = _race(["town2", "admin"], lambda s, actor: svc.approve_run(s, actor, run_id, TODAY).id)
    won = [u for u, o in results if o == run_id]
    lost = [o for _, o in results if o != run_id]
    assert len(won) == 1, results
    assert len(lost) == 1 and getattr(lost[0], "code", "") == "payroll_not_preview", results
    final = _assert_one_run_one_set(session)
    assert final.status == "approved"
    assert final.approved_by_id == session.scalar(select(User.id).where(User.username == won[0]))
    assert (
        session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "approve_payroll")) == 1
    )
    locked = session.scalars(
        select(AttendanceRecord.contract_id).where(AttendanceRecord.status == "locked")
    ).all()
    assert sorted(locked) == sorted([data["wang"].id, data["li"].id])
