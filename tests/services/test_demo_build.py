"""How the demo county is written (pwposts/demo/bulk.py, the sweep without its scan): the same rows as the
services and Core would write."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from pwposts import demo
from pwposts.demo.bulk import insert_rows
from pwposts.models.oversight import Flag
from pwposts.models.people import Person, Region
from pwposts.models.policy import Holiday
from pwposts.services.sweep import run_sweep


def _raw(session, table: str, ids: list[int]) -> list[tuple]:
    """The stored values as the database holds them (SQLite: the text of dates and booleans)."""
    rows = session.execute(
        text(f"SELECT * FROM {table} WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id")
    )
    return [tuple(v for k, v in r._mapping.items() if k not in ("id", "county_id")) for r in rows]


def test_bulk_insert_stores_what_core_insert_stores(session):
    session.add(Region(id=1, code="522799000000", name="青山县", level="county"))
    session.add(Region(id=3, code="522798000000", name="绿水县", level="county"))
    session.flush()
    holidays = [
        {"day": date(2026, 10, 1), "name": "国庆节", "is_workday": False},
        {"day": date(2026, 10, 11), "name": "国庆节调休上班", "is_workday": True},
    ]
    session.execute(
        insert(Holiday.__table__), [dict(h, id=10 + i, county_id=1) for i, h in enumerate(holidays)]
    )
    insert_rows(session, Holiday.__table__, [dict(h, id=20 + i, county_id=3) for i, h in enumerate(holidays)])
    assert _raw(session, "holiday", [10, 11]) == _raw(session, "holiday", [20, 21])
    # a column the rows leave out gets its Python-side default, as with Core (created_at, work_capacity …)
    session.add(Region(id=2, code="522799101201", name="上溪村", level="village", parent_id=1))
    session.flush()
    person = {"name": "田倩", "birth_date": date(1990, 8, 22), "sex": "F", "village_id": 2}
    insert_rows(session, Person.__table__, [dict(person, id=7, id_number="52279919900822202X")])
    stored = session.get(Person, 7)
    assert stored.work_capacity == "全劳力" and stored.cannot_leave_home is False
    assert isinstance(stored.created_at, datetime) and stored.birth_date == date(1990, 8, 22)


def test_a_daily_sweep_after_the_build_finds_nothing_left_to_do(session, today):
    """The demo runs the daily sweep's steps without the sweep's anomaly scan and scans the county once,
    at the end: a real sweep on the same day changes nothing and raises no new flag."""
    counts = demo.generate_county(session, seed=2026, persons=1200, today=today)
    session.commit()
    flags = session.scalar(select(func.count()).select_from(Flag))
    assert counts["flags_raised"] == flags > 0
    report = run_sweep(session, today)
    assert report.changes == 0, report.lines()
    assert "新增0项" in report.scan and "更新0项" in report.scan
    assert session.scalar(select(func.count()).select_from(Flag)) == flags


def test_the_build_leaves_every_index_as_it_found_it(session, today):
    """The registry's indexes are set aside for its bulk load (SQLite) and made again from their own DDL:
    the same indexes afterwards, and they hold (a duplicate ID number is still refused)."""

    def indexes():
        if session.get_bind().dialect.name == "sqlite":
            sql = "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        else:
            sql = (
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 2"
            )
        return session.execute(text(sql)).all()

    before = indexes()
    assert any(row[0] == "person" for row in before)
    demo.generate_county(session, seed=2026, persons=demo.MIN_PERSONS, today=today)
    session.flush()
    assert indexes() == before
    taken = session.scalar(select(Person).order_by(Person.id).limit(1))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(
            insert(Person.__table__).values(
                id=10**6,
                id_number=taken.id_number,
                name="重复",
                sex=taken.sex,
                birth_date=taken.birth_date,
                village_id=taken.village_id,
                created_at=datetime(2026, 1, 1),
            )
        )
