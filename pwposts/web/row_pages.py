"""A list page of plain rows: the page's ids from the filter and its ORDER BY alone, then only the shown
columns for those ids in one statement — no ORM objects, no eager loads (the contracts list loaded ~300
objects per page: contract, person, post, regions, policies).

`paginate_rows(ids, rows, …)` pages through `ids` (a SELECT of one id column, ordered); `rows(page)` returns
the list's rows for `page` — `ids` limited to one page — in its order, in one statement (the page's ids as
a subquery joined to the shown columns). The total is counted over the ids (cached when large, as
db.paginate() does: pwposts/pagination.py); on the last page it is known without counting.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from ..extensions import db
from ..pagination import cached_count


class RowPagination(Pagination):
    total_capped = False

    def _query_items(self) -> list:
        page = self._query_args["ids"].limit(self.per_page).offset(self._query_offset)
        return self._query_args["rows"](page)

    def _query_count(self) -> int:
        if self.items and len(self.items) < self.per_page:  # the last page: the total is known
            return self._query_offset + len(self.items)
        if not self.items and self._query_offset == 0:
            return 0
        ids = self._query_args["ids"].order_by(None)
        return cached_count(db.session, sa.select(sa.func.count()).select_from(ids.subquery()))


def paginate_rows(
    ids: sa.Select, rows: Callable[[sa.Select], list], *, page: int, per_page: int, error_out: bool = False
) -> RowPagination:
    return RowPagination(
        page=page, per_page=per_page, max_per_page=None, error_out=error_out, ids=ids, rows=rows
    )
