"""Commands on a busy database: what the web answers with 503 "系统繁忙，请稍后重试" (concurrency.py) a
command says in one Chinese sentence instead of a traceback — and the commands whose whole work is one
transaction that can simply be run again (the daily sweep, a scan) try again a few times first.

On SQLite a command's transactions begin deferred: if a clerk's request commits between the command's
first read and its first write, SQLite refuses the write at once ("database is locked",
SQLITE_BUSY_SNAPSHOT: the command's reads are no longer current), and a write waits at most the busy
timeout for the write lock. On PostgreSQL the same holds for lock and statement timeouts, deadlocks and
"too many connections". Either way nothing of the transaction is written; it is rolled back here.
"""

from __future__ import annotations

import functools
import time
from typing import Callable

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .concurrency import is_busy
from .extensions import db

BUSY_TEXT = "数据库正忙（另有写入正在进行），本次未写入任何内容：请稍后重试"
RETRY_WAITS = (5, 15)  # seconds before the second and the third attempt

_sleep = time.sleep  # tests replace it


def busy_message(fn: Callable) -> Callable:
    """A busy database ends the command with BUSY_TEXT (exit status 1), its transaction rolled back."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (OperationalError, PoolTimeout) as err:
            if not is_busy(err):
                raise
            db.session.rollback()
            raise click.ClickException(BUSY_TEXT) from None

    return wrapper


def retry_when_busy(work: Callable[[], object], what: str) -> object:
    """Run `work` (one whole transaction: it commits at its end) up to 1 + len(RETRY_WAITS) times while the
    database is busy, rolling back in between; then end with BUSY_TEXT. Only for work that is the same when
    run again (it reads everything afresh and writes nothing before its commit)."""
    for wait in (*RETRY_WAITS, None):
        try:
            return work()
        except (OperationalError, PoolTimeout) as err:
            if not is_busy(err):
                raise
            db.session.rollback()
            if wait is None:
                raise click.ClickException(f"{what}未完成：{BUSY_TEXT}") from None
            click.echo(f"数据库正忙，{wait}秒后重试{what}……", err=True)
            _sleep(wait)
    raise AssertionError("unreachable")
