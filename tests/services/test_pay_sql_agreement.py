"""Where SQL computes for speed what a pure domain function computes (the covered days c, the performance
component), both give the same result on the demo county — SQLite by default, PostgreSQL when
PWPOSTS_TEST_DATABASE_URL is set."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, select

from pwposts import demo
from pwposts.domain import payroll as rules
from pwposts.domain.formats import month_bounds
from pwposts.models.contracts import Assessment, Contract
from pwposts.models.pay import AttendanceRecord
from pwposts.models.people import Person
from pwposts.services.pay.staleness import covered_days_sql, performance_sql

PERSONS = 500  # the smallest demo county (demo.MIN_PERSONS)
SEED = 2026


def test_covered_days_and_performance_in_sql_agree_with_the_domain_on_the_demo_county(session, today):
    demo.generate_county(session, seed=SEED, persons=PERSONS, today=today)
    session.commit()
    dialect = session.get_bind().dialect.name
    # every month from the earliest contract's start to the latest attendance: every contract in each
    # (also months it does not cover, where c = 0)
    y, m = session.scalar(select(func.min(Contract.start_on))).timetuple()[:2]
    end = session.scalar(select(func.max(AttendanceRecord.month)))
    months = []
    while f"{y:04d}-{m:02d}" <= end:
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    assert len(months) >= 6
    by_death = by_exit = 0
    checked = cut = 0
    for month in months:
        first, last = month_bounds(month)
        rows = session.execute(
            select(
                Contract.id,
                Contract.start_on,
                Contract.end_on,
                Contract.exit_on,
                Person.death_date,
                covered_days_sql(dialect, Contract, Person, first, last),
                Assessment.grade,
                Contract.perf_excellent_fen,
                Contract.perf_pass_fen,
                performance_sql(Assessment.grade, Contract.perf_excellent_fen, Contract.perf_pass_fen),
            )
            .join(Person, Contract.person_id == Person.id)
            .outerjoin(
                Assessment,
                and_(
                    Assessment.contract_id == Contract.id,
                    Assessment.kind == "monthly",
                    Assessment.period == month,
                ),
            )
        ).all()
        for cid, start, end, exit_on, died, c_sql, grade, excellent, passed, perf_sql in rows:
            c = rules.covered_days(month, start, end, exit_on, died)
            # the SQL is used only where c ≥ 1 (a line's covered days); below, it may go negative
            assert (c_sql if c_sql > 0 else 0) == c, (month, cid, start, end, exit_on, died, c_sql)
            assert perf_sql == rules.performance_fen(grade, excellent, passed), (month, cid, grade)
            checked += 1
            cut += 0 < c < rules.month_days(month)
            by_death += died is not None and first <= died <= last and died < (exit_on or end) and c > 0
            by_exit += exit_on is not None and first <= exit_on <= last and c > 0
    # the county has partial months: a start, an exit (退岗), an end or a death inside a month
    assert checked > 150 and cut >= 5 and by_death and by_exit, (checked, cut, by_death, by_exit)
    grades = set(session.scalars(select(Assessment.grade).where(Assessment.kind == "monthly").distinct()))
    assert {"优秀", "合格"} <= grades


def test_covered_days_in_sql_agree_with_the_domain_on_every_edge(session, county):
    """The demo county has few partial months; here one contract and its holder take every combination of
    start, end, exit and death around a month's first and last days (a leap February and a 31-day month)."""
    from datetime import timedelta

    from tests.payroll_support import make_contract, make_fund, make_post

    dialect = session.get_bind().dialect.name
    post = make_post(session, county, county.villages[0], make_fund(session, county))
    person = county.persons["wang"]
    contract = make_contract(session, person, post, start=date(2027, 1, 1), end=date(2027, 1, 1))
    checked = partial = 0
    for month in ("2028-02", "2026-12"):
        first, last = month_bounds(month)
        edges = [first - timedelta(days=1), first, first + timedelta(days=1), first + timedelta(days=14)]
        edges += [last - timedelta(days=1), last, last + timedelta(days=1)]
        for start in edges:
            for end in [e for e in edges if e >= start] + [last + timedelta(days=40)]:
                for exit_on in [None, *(e for e in edges if start <= e <= end)]:
                    for died in (
                        None,
                        first - timedelta(days=1),
                        first + timedelta(days=14),
                        last,
                        last + timedelta(days=1),
                    ):
                        contract.start_on, contract.end_on, contract.exit_on = start, end, exit_on
                        person.death_date = died
                        session.flush()
                        c_sql = session.scalar(
                            select(covered_days_sql(dialect, Contract, Person, first, last))
                            .select_from(Contract)
                            .join(Person, Contract.person_id == Person.id)
                            .where(Contract.id == contract.id)
                        )
                        c = rules.covered_days(month, start, end, exit_on, died)
                        assert (c_sql if c_sql > 0 else 0) == c, (month, start, end, exit_on, died, c_sql)
                        checked += 1
                        partial += 0 < c < rules.month_days(month)
    session.rollback()
    assert checked > 1000 and partial > 300, (checked, partial)
