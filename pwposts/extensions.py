"""Unbound extensions, initialised in create_app()."""

from contextlib import contextmanager
from contextvars import ContextVar

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class _SQLAlchemy(SQLAlchemy):
    def paginate(
        self, select, *, page=None, per_page=None, max_per_page=None, error_out=True, count=True, rows=None
    ):
        """db.paginate() counting over ids only; `rows(ids)` loads the page's rows (pwposts/pagination.py)."""
        from .pagination import IdCountPagination

        return IdCountPagination(
            select=select,
            rows=rows,
            session=self.session(),
            page=page,
            per_page=per_page,
            max_per_page=max_per_page,
            error_out=error_out,
            count=count,
        )


db = _SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()


def _sqlite_connect(dbapi_connection, _record):
    """SQLite: enforce foreign keys; WAL so readers don't block the writer (and the writer is faster).

    pysqlite would only open a transaction at the first INSERT/UPDATE, so the reads a service makes to
    check a rule would run outside it. Turning its own handling off and emitting BEGIN at the start of
    every transaction (the recipe in SQLAlchemy's SQLite notes) makes checks and writes one transaction:
    if another writer commits in between, the write fails instead of acting on what was read before.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# Whether the transactions begun in this thread/context will write: the request hook sets it for
# every request that is not GET/HEAD/OPTIONS (see pwposts/concurrency.py); CLI, demo and tests keep
# plain BEGIN unless they ask for writes with `sqlite_writes()`.
_WRITE_INTENT: ContextVar[bool] = ContextVar("pwposts_sqlite_write_intent", default=False)


def set_write_intent(writes: bool):
    """Declare whether transactions begun from now on (in this context) will write; returns a reset token."""
    return _WRITE_INTENT.set(writes)


def reset_write_intent(token) -> None:
    _WRITE_INTENT.reset(token)


@contextmanager
def sqlite_writes():
    """Transactions begun inside take SQLite's write lock at BEGIN (a CLI command or a thread that writes)."""
    token = set_write_intent(True)
    try:
        yield
    finally:
        reset_write_intent(token)


def _sqlite_begin(conn):
    """BEGIN IMMEDIATE for a transaction that will write, plain (deferred) BEGIN for one that only reads.

    A deferred transaction that reads and then writes asks for the write lock only at its first write;
    if another writer committed since its read began, SQLite cannot let it write on that old snapshot and
    answers "database is locked" at once — the busy timeout never applies (2 concurrent API writes gave a
    500, 20 concurrent logins gave 18). Taking the write lock at BEGIN makes writers queue up for it,
    each waiting up to the busy timeout (config.engine_options), while readers (WAL) never wait.
    """
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _WRITE_INTENT.get() else "BEGIN")


def install_sqlite_pragmas(engine) -> None:
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
