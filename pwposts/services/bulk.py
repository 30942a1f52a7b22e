"""Plain executemany for the set-based writers (the roster import, the audit chain's record_many).

Rows go to the driver as tuples in the columns' order: SQLAlchemy neither builds a parameter dict nor runs
a processor per row. A value the column type would convert on the way in (a date or datetime on SQLite)
is converted by the caller with bind_processor() — once, when it is the same for every row.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from sqlalchemy import Column, Table
from sqlalchemy.orm import Session

_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # positional: a tuple per row


def bind_processor(session: Session, column: Column) -> Callable[[Any], Any]:
    """The function that turns a Python value into what the driver takes for `column` (identity if none)."""
    proc = column.type.bind_processor(session.get_bind().dialect)
    return proc or (lambda value: value)


def insert_tuples(session: Session, table: Table, columns: Sequence[str], rows: list[tuple]) -> None:
    """INSERT `rows` (tuples in `columns` order, values as the driver takes them) with one executemany, in
    the caller's transaction, in the list's order."""
    if not rows:
        return
    conn = session.connection()
    style = conn.dialect.paramstyle
    if style in _MARKS:
        marks = [_MARKS[style]] * len(columns)
    elif style == "numeric":
        marks = [f":{i}" for i in range(1, len(columns) + 1)]
    else:  # named: the driver takes a dict per row
        marks = [f":p{i}" for i in range(len(columns))]
        rows = [{f"p{i}": v for i, v in enumerate(row)} for row in rows]
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marks)})"
    )
    conn.exec_driver_sql(sql, rows)
