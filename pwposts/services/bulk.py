"""Plain executemany for the set-based writers (the roster import, the audit chain's record_many).

Rows go to the driver as tuples in the columns' order: SQLAlchemy neither builds a parameter dict nor runs
a processor per row. A value the column type would convert on the way in (a date or datetime on SQLite)
is converted by the caller with bind_processor() — once, when it is the same for every row.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import CheckConstraint, Column, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # positional: a tuple per row


def bind_processor(session: Session, column: Column) -> Callable[[Any], Any]:
    """The function that turns a Python value into what the driver takes for `column` (identity if none).
    SQLite's DATE and DATETIME in their default storage formats: the same text by isoformat() for a date
    (a datetime) — SQLAlchemy's own processor formats a dict of its fields, several times slower."""
    dialect = session.get_bind().dialect
    impl = column.type.dialect_impl(dialect)
    proc = impl.bind_processor(dialect)  # e.g. SQLite's DATETIME, not DateTime
    if proc is None:
        return lambda value: value
    if dialect.name == "sqlite":
        fast = _sqlite_fast(impl, proc)
        if fast is not None:
            return fast
    return proc


_SQLITE_FORMATS = {
    "DATE": "%(year)04d-%(month)02d-%(day)02d",
    "DATETIME": "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d",
}


def _sqlite_fast(impl, proc) -> Callable[[Any], Any] | None:
    """For SQLite's DATE or DATETIME in the default storage format: isoformat() for values of exactly that
    type (naive, for a datetime: what the format writes for years 1–9999), SQLAlchemy's processor for
    anything else (None, an aware datetime, a datetime given for a DATE …)."""
    from sqlalchemy.dialects import sqlite

    if isinstance(impl, sqlite.DATETIME) and impl._storage_format == _SQLITE_FORMATS["DATETIME"]:

        def stamp(value):
            if type(value) is datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return proc(value)

        return stamp
    if isinstance(impl, sqlite.DATE) and impl._storage_format == _SQLITE_FORMATS["DATE"]:

        def day(value):
            return value.isoformat() if type(value) is date else proc(value)

        return day
    return None


def _marks(session: Session, n: int) -> tuple[str, bool]:
    """n positional parameter marks for the driver's paramstyle, and whether it takes a tuple (else a dict
    p0, p1 …)."""
    style = session.get_bind().dialect.paramstyle
    if style in _MARKS:
        return ", ".join([_MARKS[style]] * n), True
    if style == "numeric":
        return ", ".join(f":{i}" for i in range(1, n + 1)), True
    return ", ".join(f":p{i}" for i in range(n)), False


def select_in(session: Session, table: Table, columns: Sequence[str], key: str, values: Sequence) -> list:
    """SELECT `columns` FROM `table` WHERE `key` IN (values) — one statement, the values bound as driver
    parameters (no per-value work by SQLAlchemy); the caller keeps `values` within the driver's limit."""
    if not values:
        return []
    conn = session.connection()
    quote = conn.dialect.identifier_preparer.quote
    marks, positional = _marks(session, len(values))
    params = tuple(values) if positional else {f"p{i}": v for i, v in enumerate(values)}
    names = ", ".join(quote(c) for c in columns)
    sql = f"SELECT {names} FROM {quote(table.name)} WHERE {quote(key)} IN ({marks})"
    return conn.exec_driver_sql(sql, params).all()


def insert_tuples(session: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT `rows` (tuples in `columns` order, values as the driver takes them) with one executemany — on
    PostgreSQL with psycopg one COPY — in the caller's transaction, in the list's order (the ids follow it:
    the audit chain relies on that)."""
    if not rows:
        return
    conn = session.connection()
    marks, positional = _marks(session, len(columns))
    quote = conn.dialect.identifier_preparer.quote
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) VALUES "
    if conn.dialect.driver == "psycopg":
        # COPY … FROM STDIN: the server takes the rows as one stream, in order (a multi-row INSERT of 15,000
        # placeholders costs psycopg more to parse than the rows cost to send)
        cursor = conn.connection.driver_connection.cursor()
        names = ", ".join(quote(c) for c in columns)
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    if not positional:
        rows = [{f"p{i}": v for i, v in enumerate(row)} for row in rows]
    if conn.dialect.name == "sqlite" and len(rows) >= CHECKS_AFTER_FROM:
        _insert_checked_after(conn, table, columns, rows, head + f"({marks})")
        return
    conn.exec_driver_sql(head + f"({marks})", rows)


# SQLite: CHECK constraints per row vs. once over the rows loaded
#
# SQLite evaluates a CHECK constraint's `x IN ('a', 'b', 'c', …)` while inserting a row by building a
# temporary b-tree of the list's values — again for every row (the constraint refers to the new row, so
# the list is not built once per statement as in a WHERE clause). The enumerations' CHECKs
# (ck_*_valid) were half of the cost of a bulk insert (relation: 0.57 s for 86,659 rows, 0.19 s without).
# For a bulk insert the same constraints, read from the table's own DDL, are evaluated once over the rows
# just loaded by one SELECT (where the lists are built once), in the same transaction, before anything
# else runs on the connection; a row that fails raises IntegrityError("CHECK constraint failed: <name>")
# as the row-by-row check would (the statement's rows are then in the transaction, which the caller
# rolls back as after any failed INSERT). NOT NULL, UNIQUE and foreign keys are checked row by row as
# ever (PRAGMA ignore_check_constraints touches CHECK constraints only).

CHECKS_AFTER_FROM = 100  # rows: below this, the row-by-row checks cost less than the extra statements


def _insert_checked_after(conn, table: Table, columns: Sequence[str], rows: list, sql: str) -> None:
    # the model declares none: no statement spent on the DDL (a CHECK the database alone had stays row by row)
    if not any(isinstance(c, CheckConstraint) for c in table.constraints):
        conn.exec_driver_sql(sql, rows)
        return
    found = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
    ).scalar()
    checks = table_checks(found or "")
    if not checks:  # none, or a DDL this parser does not read: the row-by-row checks
        conn.exec_driver_sql(sql, rows)
        return
    # the rows loaded: rowids from the next one after the current largest, or from the smallest id given
    lower = (conn.exec_driver_sql(f'SELECT max(rowid) FROM "{table.name}"').scalar() or 0) + 1
    if "id" in columns:
        at = list(columns).index("id")
        given = [r[at] for r in rows if isinstance(r[at], int)]
        if given:
            lower = min(lower, min(given))
    conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
    try:
        conn.exec_driver_sql(sql, rows)
    finally:
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
    failed = " ".join(f"WHEN NOT ({expr}) THEN ?" for _name, expr in checks)
    which = " OR ".join(f"NOT ({expr})" for _name, expr in checks)
    bad = conn.exec_driver_sql(
        f'SELECT CASE {failed} END FROM "{table.name}" WHERE rowid >= ? AND ({which}) LIMIT 1',
        (*(name for name, _expr in checks), lower),
    ).scalar()
    if bad is not None:
        raise IntegrityError(sql, None, sqlite3.IntegrityError(f"CHECK constraint failed: {bad}"))


_CHECK = re.compile(r"(?<![\w$])CHECK\s*\(", re.IGNORECASE)
_NAMED = re.compile(r"CONSTRAINT\s+(\"[^\"]+\"|\w+)\s+$", re.IGNORECASE)


@lru_cache(maxsize=256)
def table_checks(ddl: str) -> tuple[tuple[str, str], ...] | None:
    """The CHECK constraints of a CREATE TABLE statement as (name, expression) in the statement's order
    (an unnamed one named after its expression); None when the statement is one this reader does not take
    apart with certainty (WITHOUT ROWID, an unbalanced parenthesis or quote)."""
    if not ddl.upper().startswith("CREATE TABLE") or re.search(r"WITHOUT\s+ROWID", ddl, re.IGNORECASE):
        return None
    out = []
    i, n = 0, len(ddl)
    while i < n:
        ch = ddl[i]
        if ch in "'\"`[":  # a literal or a quoted name: skipped whole
            close = "]" if ch == "[" else ch
            end = ddl.find(close, i + 1)
            while end != -1 and close != "]" and ddl[end + 1 : end + 2] == close:  # '' inside a literal
                end = ddl.find(close, end + 2)
            if end == -1:
                return None
            i = end + 1
            continue
        m = _CHECK.match(ddl, i) if ch in "cC" else None
        if m is None or (i and (ddl[i - 1].isalnum() or ddl[i - 1] == "_")):
            i += 1
            continue
        start = m.end()
        end = _closing(ddl, start)
        if end is None:
            return None
        expr = ddl[start:end].strip()
        named = _NAMED.search(ddl, 0, i)
        out.append((named.group(1).strip('"') if named else expr, expr))
        i = end + 1
    return tuple(out)


def _closing(ddl: str, i: int) -> int | None:
    """Index of the parenthesis closing the one opened just before `i` (quotes skipped), or None."""
    depth = 1
    n = len(ddl)
    while i < n:
        ch = ddl[i]
        if ch in "'\"`[":
            close = "]" if ch == "[" else ch
            end = ddl.find(close, i + 1)
            while end != -1 and close != "]" and ddl[end + 1 : end + 2] == close:
                end = ddl.find(close, end + 2)
            if end == -1:
                return None
            i = end + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


@contextmanager
def roomy_cache(session: Session, mib: int = 32):
    """SQLite: a page cache of up to `mib` MiB on the session's connection while a bulk write runs, then the
    size it had. With the default 2 MiB, a write of tens of thousands of rows (a 花名册 of 50,000 persons:
    rows, six indexes, the audit entries) evicts its own dirty pages to the WAL mid-transaction and reads
    the indexes' pages back again and again. The pages are only taken as they are used."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar())
    conn.exec_driver_sql(f"PRAGMA cache_size = {-1024 * int(mib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


CHUNK = 500  # values per IN (…): psycopg refuses a statement of more than 65,535 parameters


def chunks(values: Iterable, size: int | None = None) -> Iterator[list]:
    """The distinct values (first-seen order) in lists of at most `size` (CHUNK)."""
    size = size or CHUNK
    distinct = list(dict.fromkeys(values))
    for i in range(0, len(distinct), size):
        yield distinct[i : i + size]


def execute_in(session: Session, make: Callable[[list], Any], values: Iterable) -> Iterator:
    """The rows of session.execute(make(part)) for each chunk of `values` — for an IN (…) over a set that
    grows with the county (every exited holder, every household member) and may pass the driver's limit."""
    for part in chunks(values):
        yield from session.execute(make(part))


def scalars_in(session: Session, make: Callable[[list], Any], values: Iterable) -> Iterator:
    """As execute_in, the first column (ORM entities for a select of one entity)."""
    for part in chunks(values):
        yield from session.scalars(make(part))
