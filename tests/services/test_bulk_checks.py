"""services/bulk.py's bulk writer: on SQLite a bulk insert has its CHECK constraints evaluated once over the
rows it loaded (the constraints read from the table's own DDL) — refusing what the row-by-row checks
refuse, naming the constraint — and the fast date/time binding, the audit encoder built once, the page
cache widened for a bulk write and put back."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import CheckConstraint, Date, DateTime, func, select, text
from sqlalchemy.exc import IntegrityError

from pwposts.extensions import db
from pwposts.models.people import Person, PersonCategory
from pwposts.services import audit, bulk

COLUMNS = ("id", "person_id", "category", "start_on", "end_on")


def _sqlite(session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _rows(session, person_id: int, first_id: int, n: int, bad_at=None, bad=None) -> list[tuple]:
    day = bulk.bind_processor(session, PersonCategory.__table__.c.start_on)
    rows = []
    for i in range(n):
        start = date(2000, 1, 1) + timedelta(days=i)
        category, end = ("大龄", None) if i != bad_at else bad(start)
        rows.append((first_id + i, person_id, category, day(start), day(end) if end else None))
    return rows


def _refused(session):
    return pytest.raises((IntegrityError, session.get_bind().dialect.dbapi.IntegrityError))


def _max_id(session) -> int:
    return session.scalar(select(func.max(PersonCategory.id))) or 0


@pytest.mark.parametrize(
    "bad, name",
    [
        (lambda start: ("外星人", None), "ck_person_category_category_valid"),
        (lambda start: ("大龄", start - timedelta(days=1)), "ck_person_category_dates_ordered"),
    ],
)
def test_a_bulk_insert_refuses_a_row_its_checks_refuse_and_names_the_check(session, county, bad, name):
    person_id = session.scalar(select(Person.id).order_by(Person.id))
    top = _max_id(session)
    rows = _rows(session, person_id, top + 1, 3 * bulk.CHECKS_AFTER_FROM, bad_at=250, bad=bad)
    with _refused(session) as err:
        bulk.insert_tuples(session, PersonCategory.__table__, COLUMNS, rows)
    assert name in str(err.value)
    session.rollback()
    assert _max_id(session) == top  # nothing of the statement stays
    # the checks are row by row again afterwards: one bad row alone is refused as well
    with _refused(session):
        bulk.insert_tuples(session, PersonCategory.__table__, COLUMNS, rows[250:251])
    session.rollback()
    if _sqlite(session):
        assert session.execute(text("PRAGMA ignore_check_constraints")).scalar() == 0


def test_a_bulk_insert_with_ids_below_the_largest_is_checked_as_well(session, county):
    """The rows are found by rowid from the smallest id given: ids below rows already there are covered."""
    person_id = session.scalar(select(Person.id).order_by(Person.id))
    top = _max_id(session)
    n = bulk.CHECKS_AFTER_FROM
    bulk.insert_tuples(session, PersonCategory.__table__, COLUMNS, _rows(session, person_id, top + 10_000, n))
    # same days as the first batch would collide on (person, category, start): shift them by a year
    day = bulk.bind_processor(session, PersonCategory.__table__.c.start_on)
    lower = [
        (
            top + 1 + k,
            person_id,
            "外星人" if k == 60 else "大龄",
            day(date(2001, 6, 1) + timedelta(days=k)),
            None,
        )
        for k in range(n)
    ]
    with _refused(session) as err:
        bulk.insert_tuples(session, PersonCategory.__table__, COLUMNS, lower)
    assert "ck_person_category_category_valid" in str(err.value)
    session.rollback()


def test_a_valid_bulk_insert_is_written_whole(session, county):
    person_id = session.scalar(select(Person.id).order_by(Person.id))
    top = _max_id(session)
    rows = _rows(session, person_id, top + 1, 2 * bulk.CHECKS_AFTER_FROM)
    bulk.insert_tuples(session, PersonCategory.__table__, COLUMNS, rows)
    session.commit()
    assert session.scalar(select(func.count(PersonCategory.id)).where(PersonCategory.id > top)) == len(rows)


def test_every_check_of_the_schema_is_read_from_its_ddl(session):
    """The reader takes apart every table of the schema as created, and finds the model's named checks."""
    if not _sqlite(session):
        pytest.skip("the DDL reader serves SQLite only")
    ddl = dict(session.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    for table in db.metadata.sorted_tables:
        checks = bulk.table_checks(ddl[table.name])
        assert checks is not None, table.name
        named = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        assert {name for name, _expr in checks} == named, table.name


def test_the_ddl_reader_skips_quoted_text_and_refuses_what_it_cannot_read():
    ddl = (
        "CREATE TABLE t (a INTEGER CHECK (a > 0), b TEXT CONSTRAINT \"b ok\" CHECK (b <> 'CHECK (('), "
        "c INTEGER, d TEXT DEFAULT 'x)', CONSTRAINT ck_c CHECK (c IN (1, 2, (3))))"
    )
    assert bulk.table_checks(ddl) == (
        ("a > 0", "a > 0"),
        ("b ok", "b <> 'CHECK (('"),
        ("ck_c", "c IN (1, 2, (3))"),
    )
    assert bulk.table_checks("CREATE TABLE t (a INTEGER, CHECK (a > 0)) WITHOUT ROWID") is None
    assert bulk.table_checks("CREATE TABLE t (a INTEGER CHECK (a > (0)") is None
    assert bulk.table_checks("CREATE TABLE t (a TEXT CHECK (a <> 'x))") is None
    assert bulk.table_checks("CREATE TABLE t (rechecked INTEGER)") == ()


_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.dates()
    | st.datetimes()
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_JSONISH)
def test_the_audit_encoder_built_once_writes_what_the_json_encoder_writes(value):
    assert audit._encode(value) == audit._ENCODER.encode(value)


def test_the_audit_digest_and_canonical_forms_are_unchanged():
    """Pinned values: the chain's hashes of entries written before this encoder still verify."""
    assert audit.canonical({"b": Decimal("1.5"), "a": [date(2026, 1, 2), None, 'é"']}) == (
        '{"a":["2026-01-02",null,"é\\""],"b":"1.5"}'
    )
    at = datetime(2026, 11, 25, 2, 0)
    digest = audit._digest("0" * 64, at, 1, "admin", "x", "person", "7", "摘要", None, '{"a":1}')
    payload = json.dumps(
        [
            "0" * 64,
            at.isoformat(timespec="microseconds"),
            1,
            "admin",
            "x",
            "person",
            "7",
            "摘要",
            None,
            '{"a":1}',
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    import hashlib

    assert digest == hashlib.sha256(payload.encode()).hexdigest()


@pytest.mark.parametrize(
    "column, values",
    [
        (Date(), [date(1, 1, 1), date(2026, 11, 25), date(9999, 12, 31), None, datetime(2026, 1, 2, 3, 4)]),
        (
            DateTime(),
            [
                datetime(2026, 1, 2, 3, 4, 5),
                datetime(2026, 1, 2, 3, 4, 5, 6),
                datetime(1, 1, 1),
                datetime(9999, 12, 31, 23, 59, 59, 999_999),
                datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8))),
                None,
            ],
        ),
    ],
)
def test_the_fast_date_binding_gives_what_sqlalchemy_gives(session, column, values):
    from sqlalchemy import Column

    col = Column("x", column)
    dialect = session.get_bind().dialect
    slow = col.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    fast = bulk.bind_processor(session, col)
    assert [fast(v) for v in values] == [slow(v) for v in values]


def test_the_roomy_cache_is_put_back(session, county):
    if not _sqlite(session):
        with bulk.roomy_cache(session):
            pass
        return
    before = session.execute(text("PRAGMA cache_size")).scalar()
    with bulk.roomy_cache(session, mib=16):
        assert session.execute(text("PRAGMA cache_size")).scalar() == -16 * 1024
    assert session.execute(text("PRAGMA cache_size")).scalar() == before
    with pytest.raises(RuntimeError), bulk.roomy_cache(session):
        raise RuntimeError("the write failed")
    assert session.execute(text("PRAGMA cache_size")).scalar() == before
