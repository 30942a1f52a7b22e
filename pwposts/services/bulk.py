"""Plain executemany for the set-based writers (the roster import, the audit chain's record_many).

Rows go to the driver as tuples in the columns' order: SQLAlchemy neither builds a parameter dict nor runs
a processor per row. A value the column type would convert on the way in (a date or datetime on SQLite)
is converted by the caller with bind_processor() — once, when it is the same for every row.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Sequence

from sqlalchemy import Column, Table
from sqlalchemy.orm import Session

_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # positional: a tuple per row


def bind_processor(session: Session, column: Column) -> Callable[[Any], Any]:
    """The function that turns a Python value into what the driver takes for `column` (identity if none)."""
    dialect = session.get_bind().dialect
    proc = column.type.dialect_impl(dialect).bind_processor(dialect)  # e.g. SQLite's DATETIME, not DateTime
    return proc or (lambda value: value)


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
    conn.exec_driver_sql(head + f"({marks})", rows)


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
