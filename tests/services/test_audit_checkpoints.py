"""Checkpoints of the audit chain's head: deleting the newest entries is caught by `audit verify`."""

from datetime import date

from sqlalchemy import func, select, text

from pwposts.models.audit import AuditCheckpoint, AuditEntry
from pwposts.services import audit
from pwposts.services import pay as payroll_service
from tests.payroll_support import township_setup

TODAY = date(2026, 11, 25)


def _entries(session, n):
    for i in range(n):
        audit.record(session, "测试", "change", "thing", i, after={"v": i})
    session.commit()


def _ids(session):
    return [e for e in session.scalars(select(AuditEntry.id).order_by(AuditEntry.id))]


def _checkpointed(session, n):
    """n entries and a checkpoint after them; their ids."""
    _entries(session, n)
    audit.take_checkpoint(session, "测试", "command")
    session.commit()
    return _ids(session)


def _delete_from(session, first_id, last_id=None):
    session.execute(
        text("DELETE FROM audit_entry WHERE id >= :a AND id <= :b"),
        {"a": first_id, "b": last_id or first_id + 10**9},
    )
    session.commit()


def test_checkpoint_notes_the_head_and_verify_agrees(session):
    _entries(session, 4)
    cp = audit.take_checkpoint(session, "测试", "command")
    session.commit()
    ids = _ids(session)
    assert (cp.entry_count, cp.last_entry_id) == (4, ids[-1])
    assert cp.last_hash == session.get(AuditEntry, ids[-1]).entry_hash
    _entries(session, 2)  # entries after the checkpoint are fine
    result = audit.verify_chain(session)
    assert result.ok and result.checked == 6 and result.checkpoints == 1
    assert "与1个检查点相符" in result.describe()


def test_deleting_the_newest_entries_is_detected_and_named(session):
    ids = _checkpointed(session, 5)
    _delete_from(session, ids[3])
    result = audit.verify_chain(session)
    assert not result.ok
    assert f"记录第{ids[4]}号、共5条，现仅余3条：第{ids[3]}至{ids[4]}号记录缺失" in result.missing
    assert result.describe().startswith("审计链校验失败：")


def test_deleting_only_the_last_entry(session):
    last = _checkpointed(session, 3)[-1]
    _delete_from(session, last)
    result = audit.verify_chain(session)
    assert not result.ok and f"现仅余2条：第{last}号记录缺失" in result.missing


def test_tail_deleted_then_rewritten_is_detected(session):
    """Cut the tail and append new entries so that the ids
    come back: the checkpoint's hash no longer matches."""
    ids = _checkpointed(session, 3)
    _delete_from(session, ids[1])
    for i in range(2):  # re-chained onto the remaining head, with the same ids on SQLite
        audit.record(session, "测试", "forged", "thing", i)
        session.commit()
    result = audit.verify_chain(session)
    assert not result.ok
    assert "检查点" in result.describe()


def test_without_checkpoint_the_page_says_what_verify_cannot_see(session):
    _entries(session, 2)
    result = audit.verify_chain(session)
    assert result.ok and "尚无检查点" in result.describe()


def test_payroll_approval_writes_a_checkpoint(session, county):
    township_setup(session, county)
    run = payroll_service.prepare_run(session, county.users["town"], county.townships[0].id, "2026-10", TODAY)
    session.commit()
    payroll_service.approve_run(session, county.users["town2"], run.id, TODAY)
    session.commit()
    cp = session.scalars(select(AuditCheckpoint)).one()
    head = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    approval = session.scalars(select(AuditEntry).where(AuditEntry.action == "approve_payroll")).one()
    # the checkpoint holds the chain's head after everything
    # the approval wrote (its own entry, then the scan's)
    assert head.id >= approval.id and head.action in ("approve_payroll", "run_scan")
    assert (cp.last_entry_id, cp.last_hash, cp.reason) == (head.id, head.entry_hash, "approve_payroll")
    assert cp.entry_count == session.scalar(select(func.count()).select_from(AuditEntry))
    assert cp.actor_label == county.users["town2"].label
    assert audit.verify_chain(session).ok


def test_cli_checkpoint_then_deleting_the_last_row_fails_verify(app, session, county):
    _entries(session, 3)
    runner = app.test_cli_runner()
    r = runner.invoke(args=["audit", "checkpoint"])
    assert r.exit_code == 0, r.output
    ids = _ids(session)
    assert f"共 {len(ids)} 条审计记录，最后一条为第 {ids[-1]} 号" in r.output
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "审计链完整" in ok.output
    _delete_from(session, ids[-1])
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert f"共{len(ids)}条，现仅余{len(ids) - 1}条：第{ids[-1]}号记录缺失" in bad.output


def test_audit_page_shows_the_latest_checkpoint_and_verify_names_the_loss(session, county, login_as):
    client = login_as("inspector")
    _entries(session, 2)
    cp = audit.take_checkpoint(session, "测试", "command")
    session.commit()
    page = client.get("/audit/").get_data(as_text=True)
    assert "审计链检查点" in page and cp.last_hash in page
    _delete_from(session, cp.last_entry_id)
    r = client.post("/audit/verify")
    assert r.status_code == 200
    assert "记录缺失" in r.get_data(as_text=True)


def test_a_written_down_checkpoint_still_catches_the_cut_when_checkpoint_rows_are_deleted_too(app, session):
    ids = _checkpointed(session, 4)
    head_hash = session.get(AuditEntry, ids[-1]).entry_hash
    noted = audit.noted_checkpoint(str(ids[-1]), "4", head_hash[:12].upper())
    assert audit.verify_chain(session, noted=(noted,)).ok
    _delete_from(session, ids[2])
    session.execute(text("DELETE FROM audit_checkpoint"))
    session.commit()
    assert audit.verify_chain(session).ok  # nothing left inside the database to compare with
    result = audit.verify_chain(session, noted=(noted,))
    assert not result.ok and f"您抄录的检查点记录第{ids[-1]}号、共4条，现仅余2条" in result.missing
    runner = app.test_cli_runner()
    bad = runner.invoke(
        args=["audit", "verify", "--last-id", str(ids[-1]), "--count", "4", "--hash", head_hash[:12]]
    )
    assert bad.exit_code == 1 and f"第{ids[2]}至{ids[3]}号记录缺失" in bad.output
    usage = runner.invoke(args=["audit", "verify", "--last-id", "1"])
    assert usage.exit_code == 2 and "同时给出" in usage.output


def test_noted_checkpoint_input_is_checked_in_chinese(session, county, login_as):
    client = login_as("inspector")
    r = client.post("/audit/verify", data={"noted_id": "x", "noted_count": "3", "noted_hash": "abcdef12"})
    assert r.status_code in (400, 422) and "须为整数" in r.get_data(as_text=True)
    r = client.post("/audit/verify", data={"noted_id": "1", "noted_count": "1", "noted_hash": "xyz"})
    assert r.status_code in (400, 422) and "十六进制" in r.get_data(as_text=True)
