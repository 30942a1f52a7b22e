"""`pwposts audit verify` and `pwposts create-user` through the CLI."""

from sqlalchemy import text

from pwposts.models.audit import AuditEntry
from pwposts.services import audit


def test_audit_verify_passes_then_names_the_altered_entry(app, session, county):
    for i in range(3):
        audit.record(session, "测试", "change", "thing", i, after={"v": i})
    session.commit()
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "审计链完整" in ok.output
    target = session.query(AuditEntry).order_by(AuditEntry.id).all()[4]
    session.execute(text("UPDATE audit_entry SET summary = '篡改' WHERE id = :i"), {"i": target.id})
    session.commit()
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert f"第 {target.id} 号记录" in bad.output


def test_create_user_command(app, session, county):
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=[
            "create-user",
            "--username",
            "clerk9",
            "--password",
            "long-enough-1",
            "--name",
            "九号",
            "--role",
            "village_clerk",
            "--region",
            county.villages[3].code,
        ]
    )
    assert r.exit_code == 0, r.output
    bad = runner.invoke(
        args=[
            "create-user",
            "--username",
            "clerk10",
            "--password",
            "long-enough-1",
            "--name",
            "十号",
            "--role",
            "village_clerk",
            "--region",
            county.county.code,
        ]
    )
    assert bad.exit_code != 0 and "管辖范围须为一个村" in bad.output
