"""`pwposts backup` / `pwposts restore`: the round trip keeps every row,
and the audit chain verifies after it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from pwposts.backup import BackupError, backup, restore
from pwposts.extensions import db
from pwposts.services.audit import record, verify_chain


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def other_database(empty_database_url):
    """An empty database of the same kind as the test database, to restore into."""
    return empty_database_url


def test_backup_and_restore_round_trip_keeps_the_data_and_the_chain(
    app, session, county, tmp_path, other_database
):
    record(
        session, "测试", "probe", "person", county.persons["wang"].id, after={"x": 1}, summary="备份前的记录"
    )
    session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    before = _counts(url)
    assert before["person"] > 0 and before["audit_entry"] > 0
    path = backup(url, tmp_path / "pwposts.backup")
    assert path.stat().st_size > 0
    with pytest.raises(BackupError, match="已存在"):
        backup(url, path)  # never overwrites an earlier backup
    restore(other_database, path)
    assert _counts(other_database) == before
    engine = create_engine(other_database)
    try:
        with Session(engine) as s:
            result = verify_chain(s)
            assert result.ok and result.checked == before["audit_entry"]
            if engine.dialect.name == "postgresql":  # the restored tables have planner statistics
                stats = "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'person'"
                assert s.scalar(text(stats)) > 0
    finally:
        engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, other_database):
    bad = tmp_path / "not-a-backup.bin"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError):
        restore(other_database, bad)


def test_cli_restore_asks_for_confirmation(app, tmp_path):
    path = tmp_path / "x.backup"
    path.write_bytes(b"x")
    result = CliRunner().invoke(app.cli, ["restore", str(path)])
    assert result.exit_code != 0 and "--yes" in result.output
