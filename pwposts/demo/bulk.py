"""Bulk inserts for the demo: the same rows as Core `insert(table)` executemany, handed to the app's writer
of plain tuples (services.bulk.insert_tuples: executemany; COPY … FROM STDIN on PostgreSQL with psycopg)
— SQLAlchemy's per-row parameter handling was most of the cost.

Each value goes through the column type's own bind processor for the dialect (dates and booleans on
SQLite, JSON), and columns the rows leave out get their Python-side defaults, as Core would give them.
Same transaction as the session.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter

from sqlalchemy import Table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from ..services import bulk

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


_DATE_TEXTS = (date.isoformat, _sqlite_datetime)  # _processor's own, of hashable values


def insert_rows(session: Session, table: Table, rows: list[dict], columns: list[str] | None = None) -> int:
    """INSERT `rows` (dicts keyed by column name; every row with the keys of the first, or `columns`)
    into `table` in the session's transaction, through services.bulk.insert_tuples (the app's one writer
    of plain tuples: executemany, COPY on PostgreSQL); returns the number of rows."""
    if not rows:
        return 0
    session.flush()
    dialect = session.get_bind().dialect
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
    todo = [(i, p) for i, p in enumerate(procs[: len(names)]) if p is not None]
    pick = itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))
    for i in range(0, len(rows), CHUNK):
        values = list(map(pick, rows[i : i + CHUNK]))  # tuples in the columns' order
        if todo or fixed:
            # column by column: the few converted columns (dates, booleans, JSON) in one comprehension each
            by_column = list(zip(*values, strict=True))
            for j, proc in todo:
                column = by_column[j]
                if proc in _DATE_TEXTS and len(distinct := set(column)) * 2 <= len(column):
                    # dates and moments that repeat (the build's one `now`, days shared by many rows):
                    # each distinct value converted once
                    text_of = {v: None if v is None else proc(v) for v in distinct}
                    by_column[j] = list(map(text_of.__getitem__, column))
                else:
                    by_column[j] = [None if v is None else proc(v) for v in column]
            by_column.extend(repeat(v, len(values)) for v in fixed)
            values = list(zip(*by_column, strict=True))
        bulk.insert_tuples(session, table, [c.name for c in cols], values)
    return len(rows)


@contextmanager
def indexes_set_aside(session: Session, tables):
    """SQLite: the secondary indexes of `tables` dropped for a bulk load and created again after it, from
    their own stored DDL (the same indexes; building one from the loaded rows costs less than updating it
    row by row). Nothing may query these tables in between. Other databases: nothing changes."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    names = [t.name for t in tables]
    marks = ", ".join("?" for _ in names)
    conn = session.connection()
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name",
        tuple(names),
    ).all()
    for name, _sql in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    session.flush()
    for _name, sql in indexes:
        conn.exec_driver_sql(sql)


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
