"""Unbound extensions, initialised in create_app()."""
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


db = SQLAlchemy(model_class=Base)
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


def _sqlite_begin(conn):
    conn.exec_driver_sql("BEGIN")


def install_sqlite_pragmas(engine) -> None:
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
