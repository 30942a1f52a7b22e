"""`pwposts backup` / `pwposts restore`: a whole copy of the database,
and the audit chain checked after a restore.

SQLite: the online backup API (a consistent copy while the app keeps running; readers are not blocked).
PostgreSQL: pg_dump in its custom format, restored with pg_restore (--clean --if-exists, one transaction),
so the same client tools an operator already knows read the file.
An operational tool, not a use case: it works on whole databases, below the services.
"""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message is in Chinese for the operator."""


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("内存数据库无法备份")
    return path


def _libpq(url: str) -> str:
    """postgresql+psycopg://… → postgresql://… for the PostgreSQL client tools."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, target: str | Path) -> Path:
    """Write a complete copy of the database at `url` to `target` (refuses to overwrite a file)."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"备份文件已存在：{target}；请换一个文件名，避免覆盖以前的备份")
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        src = sqlite3.connect(_sqlite_path(url))
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    elif backend == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(url)], "pg_dump")
    else:
        raise BackupError(f"不支持的数据库类型：{backend}")
    return target


def restore(url: str, source: str | Path) -> None:
    """Replace the whole database at `url` with the copy in `source`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"备份文件不存在：{source}")
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"备份文件已损坏（完整性检查未通过）：{source}")
            dst = sqlite3.connect(_sqlite_path(url))
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as err:
            raise BackupError(f"不是有效的SQLite备份文件：{source}（{err}）") from None
        finally:
            src.close()
    elif backend == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq(url)}",
                str(source),
            ],
            "pg_restore",
        )
        # pg_restore leaves the planner without statistics until autovacuum's next pass: gather them now
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
        finally:
            engine.dispose()
    else:
        raise BackupError(f"不支持的数据库类型：{backend}")


def _run(cmd: list[str], tool: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"未找到 {tool}：请安装 PostgreSQL 客户端工具（postgresql-client）") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} 失败（退出码 {done.returncode}）：{done.stderr.strip()[:500]}")
