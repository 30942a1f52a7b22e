from sqlalchemy import text

from pwposts.models.audit import AuditEntry
from pwposts.services import audit


def test_chain_verifies_and_names_altered_entry(session):
    for i in range(5):
        audit.record(session, "测试", "change", "thing", i, before={"v": i}, after={"v": i + 1})
    session.commit()
    assert audit.verify_chain(session).ok
    third = session.query(AuditEntry).order_by(AuditEntry.id).all()[2]
    session.execute(
        text("UPDATE audit_entry SET after_json = :a WHERE id = :i"), {"a": '{"v":999}', "i": third.id}
    )
    session.commit()
    result = audit.verify_chain(session)
    assert not result.ok
    assert result.bad_id == third.id
    assert result.checked == 2


def test_deleted_entry_breaks_chain(session):
    for i in range(3):
        audit.record(session, "测试", "change", "thing", i)
    session.commit()
    ids = [e.id for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    session.execute(text("DELETE FROM audit_entry WHERE id = :i"), {"i": ids[1]})
    session.commit()
    result = audit.verify_chain(session)
    assert not result.ok and result.bad_id == ids[2]


def test_record_many_chains_like_record_across_batches_and_between_single_entries(session, monkeypatch):
    """Entries by record(), then record_many() in batches of 2, then record() again: one chain, in id order,
    each hash the one record() would have computed."""
    monkeypatch.setattr(audit, "_MANY_BATCH", 2)
    audit.record(session, "测试", "before", "thing", 0, after={"v": 0})  # pending when record_many starts
    n = audit.record_many(
        session, "测试", (("change", "thing", i, {"v": i - 1}, {"v": i}, f"第{i}条") for i in range(1, 6))
    )
    audit.record(session, "测试", "after", "thing", 9, after={"v": 9})
    session.commit()
    assert n == 5
    rows = session.query(AuditEntry).order_by(AuditEntry.id).all()[-7:]
    assert [r.action for r in rows] == ["before"] + ["change"] * 5 + ["after"]
    assert all(b.prev_hash == a.entry_hash for a, b in zip(rows, rows[1:], strict=False))
    r = rows[3]
    assert r.entry_hash == audit._digest(
        r.prev_hash,
        r.at,
        r.actor_id,
        r.actor_label,
        r.action,
        r.object_type,
        r.object_id,
        r.summary,
        r.before_json,
        r.after_json,
    )
    assert audit.verify_chain(session).ok


def test_the_chain_head_is_read_once_a_transaction_through_flushes_but_again_after_a_savepoint(session):
    """The head is cached for the transaction: a flush between two entries does not read it again
    (each flush is a subtransaction of the session, not a database transaction); a savepoint's end
    does, and a new transaction does; the chain verifies."""
    from sqlalchemy import event

    reads = []

    def count(conn, cursor, statement, *args):
        if "FROM audit_entry ORDER BY" in statement:
            reads.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", count)
    try:
        audit.record(session, "测试", "change", "thing", 1)
        session.flush()
        audit.record(session, "测试", "change", "thing", 2)
        session.flush()
        audit.record_many(session, "测试", [("change", "thing", 3, None, None, "第3条")])
        assert len(reads) == 1
        with session.begin_nested():
            audit.record(session, "测试", "change", "thing", 4)
        audit.record(session, "测试", "change", "thing", 5)
        assert len(reads) == 2
        session.commit()
        audit.record(session, "测试", "change", "thing", 6)
        session.commit()
        assert len(reads) == 3
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", count)
    assert audit.verify_chain(session).ok and audit.verify_chain(session).checked == 6
