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
