"""Commands that write a county refuse, in one sentence, a database not at the migrations' head."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from pwposts import create_app
from pwposts.extensions import db
from pwposts.schema import schema_problem


def _app(tmp_path):
    url = "sqlite:///" + str(tmp_path / "s.sqlite3")
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})


def test_commands_refuse_a_database_never_upgraded_then_one_behind_then_accept_the_head(tmp_path):
    app = _app(tmp_path)
    runner = app.test_cli_runner()
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        empty = runner.invoke(args=["demo", "--reset", "--today", "2026-11-25"])
        assert empty.exit_code == 1
        assert "数据库尚未建表" in empty.output and "pwposts db upgrade" in empty.output
        assert "Traceback" not in empty.output and isinstance(empty.exception, SystemExit)
        swept = runner.invoke(args=["sweep", "--today", "2026-11-25"])
        assert swept.exit_code == 1 and "数据库尚未建表" in swept.output

        db.session.remove()  # each command is its own process in real use
        command.upgrade(config, "0020")
        behind = runner.invoke(args=["demo", "--reset", "--today", "2026-11-25"])
        assert behind.exit_code == 1
        assert "数据库结构不是最新（当前版本 0020" in behind.output and "pwposts db upgrade" in behind.output

        db.session.remove()
        command.upgrade(config, "head")
        with db.engine.connect() as conn:
            assert schema_problem(conn) is None
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
            conn.commit()
        with db.engine.connect() as conn:
            assert "比本程序新" in schema_problem(conn)
        db.engine.dispose()
