"""Commands on a busy database: the sweep and the scan try again, every writing command ends with one
Chinese sentence instead of a traceback, and nothing is half-written."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pwposts import cli_busy
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Person


class _Busy(Exception):
    sqlite_errorcode = 5  # SQLITE_BUSY: "database is locked"


def _busy_error() -> OperationalError:
    return OperationalError("UPDATE person SET …", {}, _Busy("database is locked"))


@pytest.fixture
def waits(monkeypatch):
    slept = []
    monkeypatch.setattr(cli_busy, "_sleep", slept.append)
    return slept


def test_a_clerk_committing_during_the_sweep_makes_it_run_again(app, session, county, waits, monkeypatch):
    """SQLite, for real: the sweep reads, a clerk's request commits, the sweep's first write is refused
    (SQLITE_BUSY_SNAPSHOT) — the sweep rolls back, says so, and runs again on the current data."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's snapshot refusal; PostgreSQL's busy states are simulated below")
    from pwposts.extensions import db
    from pwposts.services import sweep as sweep_module

    real = sweep_module.run_sweep
    calls = []

    def run_sweep(s, today):
        calls.append(today)
        if len(calls) == 1:
            s.scalar(select(func.count(Person.id)))  # the sweep's snapshot begins
            other = sqlite3.connect(url.removeprefix("sqlite:///"))
            other.execute("UPDATE person SET phone = phone WHERE id = (SELECT min(id) FROM person)")
            other.execute(
                "INSERT INTO audit_checkpoint (at, entry_count, last_hash, reason, actor_label) "
                "VALUES ('2026-11-25 02:00:00', 0, '', 'command', '另一位经办人')"
            )
            other.commit()
            other.close()
        return real(s, today)

    monkeypatch.setattr(sweep_module, "run_sweep", run_sweep)
    session.commit()
    out = app.test_cli_runner().invoke(args=["sweep", "--today", "2026-11-25"])
    assert out.exit_code == 0, out.output
    assert len(calls) == 2 and waits == [cli_busy.RETRY_WAITS[0]]
    assert "数据库正忙，5秒后重试每日巡检" in out.output
    assert "每日巡检" in out.output.split("重试每日巡检……", 1)[1]  # the second run's report
    db.session.remove()


def test_a_sweep_that_stays_busy_ends_with_a_sentence(app, session, county, waits, monkeypatch):
    from pwposts.services import sweep as sweep_module

    def busy(s, today):
        raise _busy_error()

    monkeypatch.setattr(sweep_module, "run_sweep", busy)
    entries = session.scalar(select(func.count(AuditEntry.id)))
    out = app.test_cli_runner().invoke(args=["sweep", "--today", "2026-11-25"])
    assert out.exit_code == 1 and waits == list(cli_busy.RETRY_WAITS)
    assert "每日巡检未完成：数据库正忙（另有写入正在进行），本次未写入任何内容：请稍后重试" in out.output
    assert "Traceback" not in out.output
    assert session.scalar(select(func.count(AuditEntry.id))) == entries


def test_the_scan_tries_again_and_other_errors_are_not_called_busy(app, session, county, waits, monkeypatch):
    import pwposts.services.oversight as oversight

    monkeypatch.setattr(oversight, "run_scan", lambda *a, **k: (_ for _ in ()).throw(_busy_error()))
    out = app.test_cli_runner().invoke(args=["scan"])
    assert out.exit_code == 1 and "线索扫描未完成：数据库正忙" in out.output and len(waits) == 2

    def broken(*a, **k):
        raise OperationalError("SELECT nothing", {}, Exception("no such table: nothing"))

    monkeypatch.setattr(oversight, "run_scan", broken)
    out = app.test_cli_runner().invoke(args=["scan"])
    assert out.exit_code == 1 and isinstance(out.exception, OperationalError)  # a bug stays a bug
    assert len(waits) == 2  # and is not retried


def test_create_user_on_a_busy_database_says_so(app, session, county, monkeypatch):
    import pwposts.services.accounts as accounts

    def busy(*a, **k):
        raise _busy_error()

    monkeypatch.setattr(accounts, "create_user", busy)
    out = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--username",
            "busy1",
            "--password",
            "Abcdef-2026x",
            "--name",
            "测试",
            "--role",
            "county_admin",
        ]
    )
    assert out.exit_code == 1 and cli_busy.BUSY_TEXT in out.output and "Traceback" not in out.output
