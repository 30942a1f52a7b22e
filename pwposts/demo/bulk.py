"""Bulk inserts for the demo: the same rows as Core `insert(table)` executemany, written through the DBAPI
cursor with plain tuples (SQLAlchemy's per-row parameter handling was most of the cost).

Each value goes through the column type's own bind processor for the dialect (dates and booleans on
SQLite, JSON), and columns the rows leave out get their Python-side defaults, as Core would give them.
SQLite: cursor.executemany; PostgreSQL (psycopg 3): COPY … FROM STDIN. Same transaction as the session.
"""

from __future__ import annotations

from datetime import date, datetime
from operator import itemgetter

from sqlalchemy import Table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

CHUNK = 20000
_DEFAULT_FORMATS = {
    "DATE": "%(year)04d-%(month)02d-%(day)02d",
    "DATETIME": "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d",
}


def _default_of(column):
    """The Python-side default Core would fill in for a column the rows leave out (None: no default)."""
    default = column.default
    if default is None or getattr(default, "is_sequence", False):
        return None
    if default.is_scalar:
        return default.arg
    if default.is_callable:
        return default.arg(None)
    return None


def _processor(column, dialect):
    """The column type's bind processor; SQLite's DATE and DATETIME ones spelled out (the same text:
    'YYYY-MM-DD' and 'YYYY-MM-DD HH:MM:SS.ffffff', SQLAlchemy's default storage formats), 3× faster."""
    proc = column.type._cached_bind_processor(dialect)
    if proc is None or dialect.name != "sqlite":
        return proc
    impl = column.type.dialect_impl(dialect)
    for kind, fast in (("DATE", date.isoformat), ("DATETIME", _sqlite_datetime)):
        if isinstance(impl, getattr(sqlite, kind)) and impl._storage_format == _DEFAULT_FORMATS[kind]:
            return fast
    return proc


def _sqlite_datetime(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")


def insert_rows(session: Session, table: Table, rows: list[dict], columns: list[str] | None = None) -> int:
    """INSERT `rows` (dicts keyed by column name; every row with the keys of the first, or `columns`)
    into `table` in the session's transaction; returns the number of rows."""
    if not rows:
        return 0
    session.flush()
    conn = session.connection()
    dialect = conn.dialect
    names = [n for n in (columns or rows[0]) if n in table.c]
    defaults = {}
    for c in table.c:
        if c.name not in names:
            value = _default_of(c)
            if value is not None:
                defaults[c.name] = value
    cols = [table.c[n] for n in names] + [table.c[n] for n in defaults]
    procs = [_processor(c, dialect) for c in cols]
    fixed = tuple(p(v) if p else v for p, v in zip(procs[len(names) :], defaults.values(), strict=True))
    quote = dialect.identifier_preparer.quote
    col_sql = ", ".join(quote(c.name) for c in cols)
    todo = [(i, p) for i, p in enumerate(procs[: len(names)]) if p is not None]
    pick = itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))

    def tuples(chunk):
        for r in chunk:
            values = pick(r)
            if todo:
                values = list(values)
                for i, p in todo:
                    v = values[i]
                    if v is not None:
                        values[i] = p(v)
            yield (*values, *fixed) if fixed else tuple(values)

    raw = conn.connection.driver_connection
    if dialect.name == "postgresql":
        with raw.cursor() as cur:
            with cur.copy(f"COPY {quote(table.name)} ({col_sql}) FROM STDIN") as copy:
                for row in tuples(rows):
                    copy.write_row(row)
        return len(rows)
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in cols)
    sql = f"INSERT INTO {quote(table.name)} ({col_sql}) VALUES ({marks})"
    cur = raw.cursor()
    try:
        for i in range(0, len(rows), CHUNK):
            cur.executemany(sql, list(tuples(rows[i : i + CHUNK])))
    finally:
        cur.close()
    return len(rows)


def sync_sequences(session: Session, tables) -> None:
    """PostgreSQL: explicit ids leave the serial sequences behind; move each to MAX(id)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                )
            )
