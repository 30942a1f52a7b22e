"""db.paginate() (pwposts/pagination.py): the page by ids first, the total over ids,
the audit count capped."""

from __future__ import annotations

from sqlalchemy import event, select

from pwposts.extensions import db
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Person
from pwposts.pagination import paginate_capped
from pwposts.services import audit


def test_pages_follow_the_order_and_the_total_counts_the_filter(app, county):
    stmt = select(Person).order_by(Person.name.desc(), Person.id)
    everyone = db.session.scalars(stmt).all()
    assert len(everyone) >= 3
    seen = []
    for n in range(1, len(everyone) + 1):
        page = db.paginate(stmt, page=n, per_page=1, error_out=False)
        assert page.total == len(everyone) and not page.total_capped
        seen += page.items
    assert seen == everyone
    one_village = db.paginate(stmt.where(Person.village_id == everyone[0].village_id), page=1, per_page=2)
    assert one_village.total == sum(p.village_id == everyone[0].village_id for p in everyone)
    assert db.paginate(stmt, page=99, per_page=10, error_out=False).items == []


def test_the_audit_count_stops_at_its_cap(app, county):
    for i in range(15):
        audit.record(db.session, None, "test_entry", "test", i)
    db.session.commit()
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    total = len(db.session.scalars(stmt).all())
    capped = paginate_capped(db, stmt, page=1, per_page=1, cap=5)
    assert capped.total_capped and capped.total == 10 < total  # at least 10 pages ahead are counted
    assert capped.items[0].id == max(e.id for e in db.session.scalars(stmt))
    whole = paginate_capped(db, stmt, page=1, per_page=1, cap=total)
    assert not whole.total_capped and whole.total == total


def test_a_large_total_is_cached_until_this_process_writes(app, county, monkeypatch):
    from pwposts import pagination

    pagination.forget_counts()
    monkeypatch.setattr(pagination, "COUNT_CACHE_FROM", 2)
    stmt = select(Person).order_by(Person.id)
    total = db.paginate(stmt, page=1, per_page=1).total
    assert total >= 2 and len(pagination._counts) == 1
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert db.paginate(stmt, page=1, per_page=1).total == total
        assert not any("count(" in s.lower() for s in statements)  # answered from the cache
        # another filter is another total
        assert db.paginate(stmt.where(Person.id < 0), page=1, per_page=1).total == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    audit.record(db.session, None, "test_entry", "test", 1)
    db.session.flush()  # any write through SQLAlchemy forgets every cached total
    assert pagination._counts == {}
    db.session.rollback()


def test_a_small_total_is_not_cached(app, county):
    from pwposts import pagination

    pagination.forget_counts()
    stmt = select(Person).order_by(Person.id)
    assert 0 < db.paginate(stmt, page=1, per_page=1).total < pagination.COUNT_CACHE_FROM
    assert pagination._counts == {}


def test_a_small_total_comes_with_the_ids_exactly(app, county):
    """Not cached, a total is read with the page's ids (a subquery beside them): exact, one statement."""
    from pwposts import pagination

    pagination.forget_counts()
    stmt = select(Person).order_by(Person.id)
    everyone = db.session.scalars(stmt).all()
    statements = []
    listener = lambda *a: statements.append(a[2].lower())  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = db.paginate(stmt, page=1, per_page=1)
        ids_and_total = [s for s in statements if "as page_total" in s]
        assert page.total == len(everyone) and len(ids_and_total) == 1
        assert not any(s.startswith("select count(*)") for s in statements)
        db.session.add(Person(**{**_copy(everyone[0]), "id_number": "11010119900307999X"}))
        db.session.flush()
        assert db.paginate(stmt, page=1, per_page=1).total == len(everyone) + 1
        # beyond the last page there are no ids to carry it: counted
        assert db.paginate(stmt, page=99, per_page=1, error_out=False).total == len(everyone) + 1
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
        db.session.rollback()


def _copy(person):
    cols = ("name", "sex", "birth_date", "village_id", "household_id")
    return {c: getattr(person, c) for c in cols}


def test_what_decides_a_list_plan_is_in_its_sql_and_a_page_of_ids_is_one_array_on_postgresql(app, county):
    """PostgreSQL keeps one generic plan for a prepared statement: the scope's region prefix and a page's
    LIMIT/OFFSET are written into the SQL as literals (not $1, costed as 2 regions and a tenth of the rows),
    and a page's ids are one array parameter there (one statement for every page size, cached by psycopg)."""
    from sqlalchemy.dialects import postgresql, sqlite

    from pwposts.api.list_rows import CURRENT_CATEGORIES, PERSON_ROWS
    from pwposts.services.permissions import scope_persons, scope_prefix

    admin = county.users["admin"]
    sql: list[tuple[str, object]] = []

    def log(_conn, _cursor, statement, params, *_args):
        sql.append((" ".join(statement.split()), params))

    stmt = scope_persons(admin, select(Person)).order_by(Person.name, Person.id)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", log)
        try:
            page = db.paginate(stmt, page=2, per_page=2, error_out=False)
        finally:
            event.remove(db.engine, "before_cursor_execute", log)
    assert len(page.items) == 2
    ids_sql = next(s for s, _p in sql if s.startswith("SELECT person.id") and "LIMIT" in s)
    assert f"LIKE '{scope_prefix(admin)}%" in ids_sql and "LIMIT 2 OFFSET 2" in ids_sql

    on_pg = str(PERSON_ROWS.compile(dialect=postgresql.psycopg.dialect()))
    assert "person.id = ANY (%(ids)s::INTEGER[])" in on_pg and "ids_1" not in on_pg
    # a plain IN beside the other conditions, not "IN (…) = 1" (SQLite's way of testing a boolean value: a
    # scan of the whole table)
    on_sqlite = str(CURRENT_CATEGORIES.compile(dialect=sqlite.dialect()))
    assert "person_category.person_id IN (__[POSTCOMPILE_ids]) AND" in on_sqlite
