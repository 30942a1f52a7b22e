"""Several clerks at once: write transactions queue for the database, and a database too busy answers 503.

1. **The write lock at BEGIN (SQLite).** Every request that may write (any method but GET, HEAD and
   OPTIONS — logins included) begins its transactions with BEGIN IMMEDIATE (see
   extensions._sqlite_begin), so concurrent writers wait their turn for up to the busy timeout instead of
   failing when a read-then-write transaction finds the database changed under it. GET requests begin
   plain (deferred) transactions and, with WAL, never wait. Chosen over retrying at the commit point:
   a retry would have to replay the whole request (its checks were made on the old snapshot), whereas
   queueing at BEGIN makes every check and write of a request one serialised transaction. The price —
   writers are serialised for the length of their request — is what SQLite does anyway.

2. **Busy → 503, never 500.** Whatever still cannot get the database — SQLite "database is locked" after
   the busy timeout, and on PostgreSQL a serialization failure, deadlock, lock or statement timeout,
   "too many connections", or the connection pool's own timeout — is answered by one app-level handler:
   503 "系统繁忙，请稍后重试" (JSON on /api/, the Chinese error page elsewhere) with Retry-After, after
   rolling the transaction back, so nothing of the request is written. Any other database error is
   left to the 500 handling.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .extensions import db, set_write_intent

log = logging.getLogger(__name__)

BUSY_MESSAGE = "系统繁忙，请稍后重试"
RETRY_AFTER_SECONDS = 5
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# PostgreSQL SQLSTATEs that mean "busy, try again": serialization_failure, deadlock_detected,
# lock_not_available (lock_timeout, NOWAIT), query_canceled (statement_timeout), too_many_connections,
# configuration_limit_exceeded, cannot_connect_now (starting up).
PG_BUSY_STATES = frozenset({"40001", "40P01", "55P03", "57014", "53300", "53400", "57P03"})
_BUSY_WORDS = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "too many clients",
    "too many connections",
)
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def is_busy(err: BaseException) -> bool:
    """The database could not serve the request now (a retry later may succeed), as opposed to a bug."""
    if isinstance(err, PoolTimeout):
        return True
    if not isinstance(err, OperationalError):
        return False
    orig = getattr(err, "orig", None)
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return True
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state in PG_BUSY_STATES:
        return True
    text = str(orig if orig is not None else err).lower()
    return any(w in text for w in _BUSY_WORDS)


CONFLICT_MESSAGE = "数据刚被他人同时修改（同一记录不能重复保存），本次操作未执行：请刷新页面核对后重试"


def is_unique_violation(err: BaseException) -> bool:
    """Two requests racing to write the same unique row (a code, a line per contract-month): a conflict, not a
    bug in this request — the database kept the invariant, the loser is told to look again."""
    if not isinstance(err, IntegrityError):
        return False
    orig = getattr(err, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state == "23505" or "unique constraint failed" in str(orig if orig is not None else err).lower()


def busy_response():
    """503 with the Chinese message: JSON for the API, the error page for the web."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):
        from .api import error_response

        body, status = error_response(503, "busy", BUSY_MESSAGE)
        return body, status, headers
    try:  # the page reads the signed-in user for its menu: a read, which may itself find the database busy
        page = render_template("error.html", code=503, message=BUSY_MESSAGE)
    except Exception:  # noqa: BLE001 — still answer 503, in plain words
        db.session.rollback()
        page = (
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{BUSY_MESSAGE}</title>'
            f"<h1>503</h1><p>{BUSY_MESSAGE}</p></html>"
        )
    return page, 503, headers


def install(app: Flask) -> None:
    """Register the write-intent request hooks and the busy → 503 error handler."""

    @app.before_request
    def _declare_write_intent() -> None:
        set_write_intent(request.method not in READ_ONLY_METHODS)

    @app.teardown_request
    def _forget_write_intent(_exc) -> None:
        set_write_intent(False)

    def database_busy(err):
        if not is_busy(err):
            raise err  # not a busy database: the 500 handling takes it
        set_write_intent(False)  # what the answer still reads (the signed-in user) needs no write lock
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 — the connection may be gone; the transaction is then gone with it
            log.exception("rollback after a busy database failed")
        log.warning(
            "database busy, answered 503: %s %s: %s",
            request.method,
            request.path,
            str(getattr(err, "orig", err)).splitlines()[0][:200],
        )
        return busy_response()

    def unique_conflict(err):
        if not is_unique_violation(err):
            raise err  # another integrity error is a bug: the 500 handling takes it
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            log.exception("rollback after a unique violation failed")
        log.warning(
            "unique violation, answered 409: %s %s: %s",
            request.method,
            request.path,
            str(getattr(err, "orig", err)).splitlines()[0][:200],
        )
        if request.path.startswith("/api/"):
            from .api import error_response

            return error_response(409, "conflict", CONFLICT_MESSAGE)
        return render_template("error.html", code=409, message=CONFLICT_MESSAGE), 409

    app.register_error_handler(OperationalError, database_busy)
    app.register_error_handler(IntegrityError, unique_conflict)
    app.register_error_handler(PoolTimeout, database_busy)
