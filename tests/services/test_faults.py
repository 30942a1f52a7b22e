"""The database connection lost in the middle of a use case: everything the use case wrote is rolled back, and
running it again gives the same result as a run that never failed (issue 10.6 d)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pwposts.models.audit import AuditCheckpoint, AuditEntry
from pwposts.models.pay import AttendanceRecord, Payment, PayrollRun
from pwposts.services import audit
from pwposts.services import pay as svc
from tests.payroll_support import township_setup

TODAY = date(2026, 11, 25)


def _state(session, run_id):
    session.expire_all()
    run = session.get(PayrollRun, run_id)
    return {
        "run": (run.status, run.approved_by_id, run.approved_on, run.total_fen),
        "payments": sorted(
            (p.contract_id, p.month, p.amount_fen, p.status)
            for p in session.scalars(select(Payment).where(Payment.run_id == run_id))
        ),
        "attendance": sorted((a.contract_id, a.status) for a in session.scalars(select(AttendanceRecord))),
        "audit": session.scalar(select(func.count(AuditEntry.id))),
        "checkpoints": session.scalar(select(func.count(AuditCheckpoint.id))),
    }


def test_connection_lost_during_payroll_approval_rolls_back_and_a_retry_matches(session, county, monkeypatch):
    township_setup(session, county)
    run = svc.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    before = _state(session, run.id)

    def lost(
        *_a, **_k
    ):  # the last write of the approval: by then the run, the lines and the attendance are written
        raise OperationalError(
            "INSERT INTO audit_checkpoint …", {}, Exception("server closed the connection unexpectedly")
        )

    monkeypatch.setattr(audit, "take_checkpoint", lost)
    with pytest.raises(OperationalError):
        svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.rollback()  # what the commit point does on any error
    assert _state(session, run.id) == before  # nothing half-written: still a preview, attendance not locked

    monkeypatch.undo()
    svc.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    after = _state(session, run.id)
    assert after["run"][0] == "approved" and after["checkpoints"] == before["checkpoints"] + 1
    assert after["payments"] == [
        (c, m, a, s) for c, m, a, s in before["payments"]
    ]  # the same lines, same amounts
    assert {s for _, s in after["attendance"]} >= {"locked"}


def test_connection_lost_during_a_roster_import_writes_no_person_and_a_retry_imports_them_all(
    session, county, monkeypatch
):
    from pwposts.services import roster
    from tests.services.test_roster import counts, new_id, person_row, run

    rows = [
        person_row("赵一", new_id()),
        person_row("钱二", new_id(date(1981, 3, 4), "F")),
        person_row("孙三", new_id(date(1982, 5, 6))),
    ]
    before = counts(session)
    real = audit.record

    def lost(session_, actor, action, *a, **k):  # the summary entry comes after every person and category row
        if action == "import_roster":
            raise OperationalError("INSERT INTO audit_entry …", {}, Exception("connection reset by peer"))
        return real(session_, actor, action, *a, **k)

    monkeypatch.setattr(roster.audit, "record", lost)
    with pytest.raises(OperationalError):
        run(session, county.users["admin"], rows)
    session.rollback()
    assert counts(session) == before
    monkeypatch.undo()
    result = run(session, county.users["admin"], rows)
    assert counts(session)[0] == before[0] + 3 and result is not None
