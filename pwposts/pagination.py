"""Pagination whose page and count cost what the page's filter costs, not what its columns cost.

Flask-SQLAlchemy counts over a subquery of the whole entity (every column, and for some queries the
eager-loaded joins). `IdCountPagination` counts over the primary keys the page's filter selects; the
`db` object (pwposts/extensions.py) hands it out from `db.paginate()`, so every list page and API
list uses it. `CappedCountPagination` stops counting beyond a limit (the audit trail, which only
grows): the page shows "10,000+" instead of a count that gets slower with every entry.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import lazyload
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

# Totals of COUNT_CACHE_FROM rows or more are kept per process for COUNT_CACHE_SECONDS, keyed by the
# count statement and its parameters, and forgotten whenever this process writes anything (any
# INSERT/UPDATE/DELETE through SQLAlchemy). Counting 50,000 persons took 11 ms of a 24 ms people page;
# a total that large shown a few seconds late after another worker's write is harmless, a small one
# (where one new row is visible in the count) is always exact.
COUNT_CACHE_FROM = 1000
COUNT_CACHE_SECONDS = 30.0
_counts: dict = {}
_counts_lock = threading.Lock()


@sa.event.listens_for(Engine, "after_cursor_execute")
def _forget_counts(_conn, _cursor, _statement, _params, context, _executemany) -> None:
    if _counts and context is not None and (context.isinsert or context.isupdate or context.isdelete):
        with _counts_lock:
            _counts.clear()


def forget_counts() -> None:
    """Drop every cached total (tests; writes made outside SQLAlchemy)."""
    with _counts_lock:
        _counts.clear()


def count_cache_key(session, stmt: sa.Select):
    try:
        ck = stmt._generate_cache_key()  # noqa: SLF001 — the key SQLAlchemy's own statement cache uses
        values = tuple(
            tuple(v) if isinstance(v, list) else v for v in (b.effective_value for b in ck.bindparams)
        )
        bind = session.get_bind()
        key = (id(bind), str(bind.url), ck.key, values)
        hash(key)
        return key
    except (TypeError, AttributeError):
        return None


def cached_count(session, stmt: sa.Select) -> int:
    """session.execute(stmt).scalar() for a COUNT statement, cached as said above when it is large."""
    key = count_cache_key(session, stmt)
    n = known_count(key)
    if n is not None:
        return n
    n = session.execute(stmt).scalar()
    remember_count(key, n)
    return n


def known_count(key) -> int | None:
    """The cached total under `key` (from count_cache_key), or None."""
    if key is None:
        return None
    hit = _counts.get(key)
    if hit is not None and time.monotonic() - hit[1] < COUNT_CACHE_SECONDS:
        return hit[0]
    return None


def remember_count(key, n: int) -> None:
    """Keep the total `n` under `key` when it is large (COUNT_CACHE_FROM)."""
    if key is not None and n >= COUNT_CACHE_FROM:
        with _counts_lock:
            if len(_counts) > 1000:
                _counts.clear()
            _counts[key] = (n, time.monotonic())


# ---- a page's ids and bounds in its statements

# A page's LIMIT and OFFSET are written into the statement as numbers, not bound: PostgreSQL plans a
# prepared statement (psycopg prepares after 5 runs) once for all values, and with `LIMIT $1` it costs
# the page as a tenth of the rows — the people page's rows joined all 50,000 persons and 15,000
# households by hash (12 ms) in that plan instead of looking up 50. Each LIMIT/OFFSET pair is then its own
# statement: the first pages are prepared with their own plan, deep pages run unprepared (planned once
# each). Typed integers: anything else fails to render (never text in the SQL).
PAGE_LIMIT = sa.bindparam("_page_limit", type_=sa.Integer, literal_execute=True)
PAGE_OFFSET = sa.bindparam("_page_offset", type_=sa.Integer, literal_execute=True)


def one_page(select: sa.Select, limit: int, offset: int) -> sa.Select:
    """`select` LIMIT `limit` OFFSET `offset`, both written into the SQL (see PAGE_LIMIT)."""
    return select.limit(sa.literal(int(limit), sa.Integer, literal_execute=True)).offset(
        sa.literal(int(offset), sa.Integer, literal_execute=True)
    )


class InIds(ColumnElement):
    """`column IN (…)` over the list of ids bound as `name` at execution (a page's ids).

    SQLite: an expanding IN, one parameter per id. PostgreSQL: `column = ANY(%(name)s::INTEGER[])`, the list
    as one array parameter — one statement text for every page size (one prepared statement instead of one
    per length), and psycopg converts it from its cache: a statement of more than 50 parameters is parsed
    again on every run (psycopg's MAX_CACHED_STATEMENT_PARAMS; 0.5 ms for the people page's categories)."""

    inherit_cache = True
    type = sa.Boolean()
    # a comparison: not written "… IN (…) = 1" on SQLite, which then scans the table (13–22 ms a page)
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column, name: str = "ids") -> None:
        self.column = column
        self.name = name


@compiles(InIds)
def _in_ids(element, compiler, **kw):
    return compiler.process(element.column.in_(sa.bindparam(element.name, expanding=True)), **kw)


@compiles(InIds, "postgresql")
def _in_ids_postgresql(element, compiler, **kw):
    array = sa.bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == sa.any_(array), **kw)


def in_ids(column, name: str = "ids") -> InIds:
    """`column` IN the ids bound as `name` when the statement runs ({name: [ids…]}): see InIds."""
    return InIds(column, name)


# The total of a page's filter read with its ids, in the same statement: the filter's COUNT as an
# uncorrelated scalar subquery beside each id (evaluated once: SQLite caches it, PostgreSQL runs it as an
# InitPlan), while the ids keep their own plan and stop at the page. Used when the total is not cached
# (small totals never are): exact, and one statement fewer. (count(*) OVER () was tried: it makes the
# database collect and sort every matching row before the LIMIT — the posts list's ids went 0.16 → 0.55 ms.)
TOTAL_LABEL = "page_total"


def with_total(ids: sa.Select, count: sa.Select) -> sa.Select:
    """`ids` (a select of one id column) with `count` (the COUNT of its filter) as a second column."""
    return ids.add_columns(count.scalar_subquery().label(TOTAL_LABEL))


def total_columns(ids) -> list:
    """[the TOTAL_LABEL column] of a page's ids subquery that carries it (with_total), else []:
    for a list's rows statement, so that the total comes back with its rows."""
    return [ids.c[TOTAL_LABEL]] if TOTAL_LABEL in ids.c else []


def cached_rows(session, stmt: sa.Select) -> list:
    """session.execute(stmt).all(), kept as large totals are (per process, forgotten on any write through
    SQLAlchemy in this process and after COUNT_CACHE_SECONDS) whatever its size: for choice lists that
    change only with the data, e.g. the audit page's actions and object types (two SELECT DISTINCTs
    over the whole trail on every page otherwise). The list and its rows are shared: do not mutate."""
    key = count_cache_key(session, stmt)
    now = time.monotonic()
    if key is not None:
        key = ("rows", key)
        hit = _counts.get(key)
        if hit is not None and now - hit[1] < COUNT_CACHE_SECONDS:
            return hit[0]
    rows = session.execute(stmt).all()
    if key is not None:
        with _counts_lock:
            if len(_counts) > 1000:
                _counts.clear()
            _counts[key] = (rows, now)
    return rows


def _single_pk(select: sa.Select):
    """The primary-key column of the one entity `select`
    lists, or None (several columns, DISTINCT, GROUP BY…)."""
    if select._distinct or select._group_by_clauses or select._having_criteria:  # noqa: SLF001
        return None
    descriptions = select.column_descriptions
    if (
        len(descriptions) != 1
        or descriptions[0].get("entity") is None
        or descriptions[0].get("expr") is not descriptions[0].get("entity")
    ):
        return None
    pk = sa.inspect(descriptions[0]["entity"]).primary_key
    return pk[0] if len(pk) == 1 else None


def id_count_statement(select: sa.Select) -> sa.Select | None:
    """SELECT count(*) over the ids `select` would page through, or None when that is not safe."""
    pk = _single_pk(select)
    if pk is None:
        return None
    ids = select.options(lazyload("*")).order_by(None).with_only_columns(pk)
    return sa.select(sa.func.count()).select_from(ids.subquery())


# The statements a page derives from its list's select (its ids, a page of them, their count), kept per
# select object: a list page that builds its select once per filter (an lru_cache) then reuses them, and
# SQLAlchemy's cache keys, memoized per statement object, are not generated again on every request.
_PAGE_LIMIT, _PAGE_OFFSET = PAGE_LIMIT, PAGE_OFFSET
_derived: dict[int, tuple] = {}


def page_statements(select: sa.Select) -> tuple:
    """(pk, a page of ids with :_page_limit/:_page_offset, the id count or None, the page of ids with the
    total beside each (with_total)) for `select`; pk None when the select is not one entity's."""
    hit = _derived.get(id(select))
    if hit is not None and hit[0] is select:
        return hit[1:]
    pk = _single_pk(select)
    ids = count = counted = None
    if pk is not None:
        ids = select.options(lazyload("*")).with_only_columns(pk).limit(_PAGE_LIMIT).offset(_PAGE_OFFSET)
        count = id_count_statement(select)
        counted = (
            with_total(select.options(lazyload("*")).with_only_columns(pk), count)
            .limit(_PAGE_LIMIT)
            .offset(_PAGE_OFFSET)
        )
    if len(_derived) > 512:
        _derived.clear()
    # the select is kept: its id cannot be reused meanwhile
    _derived[id(select)] = (select, pk, ids, count, counted)
    return pk, ids, count, counted


_selects: dict = {}


def cached_select(key: tuple, build) -> sa.Select:
    """build(), or the select built before under `key` — which must hold everything build() reads (the
    actor's permissions.scope_key, the filter's values, today). Building a list's select with its scope
    subquery and filters cost ~0.5 ms a request; the same select object also lets `page_statements`
    and SQLAlchemy's memoized cache keys work once per filter instead of once per request."""
    hit = _selects.get(key)
    if hit is None:
        hit = build()
        if len(_selects) > 256:
            _selects.clear()
        _selects[key] = hit
    return hit


class IdCountPagination(SelectPagination):
    """db.paginate() with the page's ids found first and the total counted over ids.

    `rows`, when given, is a function of the page's ids returning the rows to show (anything with an
    `id`, in any order — e.g. a Core projection of just the shown columns): a list page then pays for
    neither ORM instances nor eager loads. The select still decides filter, order and count.

    The page's ids come from the filter and the ORDER BY alone; its rows, with their eager-loaded
    relations, are then loaded for those ids only — otherwise the database joins every matching row
    to its eager loads before it sorts and cuts the page (3,356 contracts joined to persons, posts and
    regions for 50 shown). Falls back to Flask-SQLAlchemy's way for selects that are not one entity.
    """

    total_capped = False
    _total_read: int | None = None

    def _query_items(self) -> list:
        select = self._query_args["select"]
        pk, page_ids, count, counted = page_statements(select)
        if pk is None:
            return super()._query_items()
        session = self._query_args["session"]
        bounds = {"_page_limit": self.per_page, "_page_offset": self._query_offset}
        key = count_cache_key(session, count)
        if known_count(key) is None:
            # the total is not cached: read it with the ids (one statement instead of two)
            found = session.execute(counted, bounds).all()
            ids = [r[0] for r in found]
            if found:
                self._total_read = found[0][1]
                remember_count(key, self._total_read)
        else:
            ids = session.execute(page_ids, bounds).scalars().all()
        if not ids:
            return []
        rows = self._query_args.get("rows")
        if rows is not None:  # the page's own projection of these ids (db.paginate(…, rows=…))
            by_id = {r.id: r for r in rows(ids)}
            return [by_id[i] for i in ids if i in by_id]
        # The rows by primary key alone, with the list's eager loads, in the page's order. Not the list's
        # own select narrowed to these ids: its filter (a scope's villages) and ORDER BY led SQLite to walk
        # the scope's index over every person, checking each against the 50 ids (16–24 ms of a people page
        # at 50,000 persons, instead of 50 lookups). The ids already satisfy the filter (same transaction).
        entity = select.column_descriptions[0]["entity"]
        mapper = sa.inspect(entity)
        if not isinstance(mapper, sa.orm.Mapper):  # an aliased entity: the list's select, narrowed
            return list(session.execute(select.where(pk.in_(ids))).unique().scalars())
        key = mapper.get_property_by_column(pk).key
        rows = sa.select(entity).options(*select._with_options).where(in_ids(pk))  # noqa: SLF001
        by_id = {getattr(o, key): o for o in session.execute(rows, {"ids": ids}).unique().scalars()}
        return [by_id[i] for i in ids if i in by_id]

    def _query_count(self) -> int:
        if self._total_read is not None:
            return self._total_read
        if self.items and len(self.items) < self.per_page:  # the last page: the total is known
            return self._query_offset + len(self.items)
        stmt = page_statements(self._query_args["select"])[2]
        if stmt is None:
            return super()._query_count()
        return cached_count(self._query_args["session"], stmt)


class CappedCountPagination(SelectPagination):
    """Counts at most `cap` rows (more when the reader has paged further); `total_capped` says so."""

    cap = 10_000
    total_capped = False

    def _query_count(self) -> int:
        if self.items and len(self.items) < self.per_page:
            return self._query_offset + len(self.items)
        select = self._query_args["select"]
        limit = max(self.cap, self._query_offset + 10 * self.per_page)
        ids = select.options(lazyload("*")).order_by(None).limit(limit + 1)
        description = select.column_descriptions[0] if len(select.column_descriptions) == 1 else {}
        entity = description.get("entity")
        if entity is not None and description.get("expr") is entity and not select._distinct:  # noqa: SLF001
            ids = ids.with_only_columns(sa.inspect(entity).primary_key[0])
        n = cached_count(self._query_args["session"], sa.select(sa.func.count()).select_from(ids.subquery()))
        self.total_capped = n > limit
        return min(n, limit)


def paginate_capped(
    db,
    select: sa.Select,
    *,
    page: int | None = None,
    per_page: int | None = None,
    max_per_page: int | None = None,
    error_out: bool = True,
    cap: int = CappedCountPagination.cap,
) -> CappedCountPagination:
    """Like db.paginate(), counting no further than `cap` rows beyond which the total reads 'cap+'."""
    cls = type("CappedCountPagination", (CappedCountPagination,), {"cap": cap})
    return cls(
        select=select,
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=max_per_page,
        error_out=error_out,
        count=True,
    )
