"""A list page of plain rows: the page's ids from the filter and its ORDER BY alone, then only the shown
columns for those ids in one statement — no ORM objects, no eager loads (the contracts list loaded ~300
objects per page: contract, person, post, regions, policies).

`paginate_rows(ids, rows, …)` pages through `ids` (a SELECT of one id column, ordered); `rows(page)` returns
the list's rows for `page` — `ids` limited to one page — in its order, in one statement (the page's ids as
a subquery joined to the shown columns). The total is counted over the ids (cached when large, as
db.paginate() does: pwposts/pagination.py); on the last page it is known without counting. When it is
not cached, the page's ids carry it (pagination.with_total) and `rows` returns it with each row
(select pagination.total_columns(ids) last, after the shown columns): no count statement. The items are
then named tuples of the shown columns alone (by name and by position, as the rows were).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from ..extensions import db
from ..pagination import (
    PAGE_LIMIT,
    PAGE_OFFSET,
    TOTAL_LABEL,
    cached_count,
    count_cache_key,
    known_count,
    one_page,
    remember_count,
    with_total,
)


@functools.lru_cache(maxsize=64)
def _shown_row(fields: tuple[str, ...]):
    return collections.namedtuple("ListRow", fields, rename=True)


# Per ids select (kept by pagination.cached_select, one per scope and filter): its count, and the rows'
# statement for a page of it — plain, and with the total beside the ids — with the page's bounds as
# parameters. Built once: a list's select with its joins cost ~0.5 ms to build and key on every request.
_PAGE_LIMIT, _PAGE_OFFSET = PAGE_LIMIT, PAGE_OFFSET  # written into the SQL (pagination.PAGE_LIMIT)
_statements: dict[int, tuple] = {}


def _row_statements(ids: sa.Select, statement: Callable[[sa.Select], sa.Select]) -> tuple:
    # keyed by the ids select and the builder's code (a lambda is a new object on every request)
    key = (id(ids), getattr(statement, "__code__", statement))
    hit = _statements.get(key)
    if hit is not None and hit[0] is ids:
        return hit[1:]
    count = sa.select(sa.func.count()).select_from(ids.order_by(None).subquery())
    plain = statement(ids.limit(_PAGE_LIMIT).offset(_PAGE_OFFSET))
    counted = statement(with_total(ids, count).limit(_PAGE_LIMIT).offset(_PAGE_OFFSET))
    if len(_statements) > 512:
        _statements.clear()
    _statements[key] = (ids, count, plain, counted)  # the ids select is kept: its id stays its own
    return count, plain, counted


class RowPagination(Pagination):
    total_capped = False
    _total_read: int | None = None

    def _count_statement(self) -> sa.Select:
        if self._query_args.get("statement") is not None:
            return _row_statements(self._query_args["ids"], self._query_args["statement"])[0]
        ids = self._query_args["ids"].order_by(None)
        return sa.select(sa.func.count()).select_from(ids.subquery())

    def _query_items(self) -> list:
        ids, statement = self._query_args["ids"], self._query_args.get("statement")
        if statement is not None:
            count, plain, counted = _row_statements(ids, statement)
        else:
            count = self._count_statement()
        key = count_cache_key(db.session, count)
        known = known_count(key) is not None
        if statement is not None:
            bounds = {"_page_limit": self.per_page, "_page_offset": self._query_offset}
            rows = db.session.execute(plain if known else counted, bounds).all()
        elif known:
            return self._query_args["rows"](one_page(ids, self.per_page, self._query_offset))
        else:
            page = one_page(with_total(ids, count), self.per_page, self._query_offset)
            rows = self._query_args["rows"](page)
        if rows and rows[0]._fields[-1] == TOTAL_LABEL:
            self._total_read = rows[0][-1]
            remember_count(key, self._total_read)
            shown = _shown_row(rows[0]._fields[:-1])  # the shown columns again, by name and position
            rows = [shown(*r[:-1]) for r in rows]
        return rows

    def _query_count(self) -> int:
        if self._total_read is not None:
            return self._total_read
        if self.items and len(self.items) < self.per_page:  # the last page: the total is known
            return self._query_offset + len(self.items)
        if not self.items and self._query_offset == 0:
            return 0
        return cached_count(db.session, self._count_statement())


def paginate_rows(
    ids: sa.Select,
    rows: Callable[[sa.Select], list] | None = None,
    *,
    page: int,
    per_page: int,
    error_out: bool = False,
    statement: Callable[[sa.Select], sa.Select] | None = None,
) -> RowPagination:
    """`rows(page)` runs the rows' statement for a page of `ids`; or `statement(page)` builds it, once per
    `ids` select object (give the same object for the same scope and filter: cached_select), and the page
    runs it with its bounds as parameters."""
    return RowPagination(
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=error_out,
        ids=ids,
        rows=rows,
        statement=statement,
    )
