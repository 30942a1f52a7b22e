"""Is a preview still what its inputs would give? The set-based SQL check, its Python reference, and the
holders whose attendance was approved late."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from ...domain import payroll as rules
from ...domain.formats import month_bounds
from ...models.contracts import Assessment, Contract
from ...models.pay import AttendanceRecord, Payment, PayrollRun
from ...models.people import Person
from ...models.posts import Post
from .common import PAID_ATTENDANCE, PAYMENT, Unpaid
from .inputs import _EXISTING, _POST_FUND, _REGULAR, _YEAR_FUND

_STALE_KEYS = (
    "amount_fen",
    "attended_days",
    "covered_days",
    "standard_fen",
    "grade",
    "fund_id",
    "account_no",
    "account_name",
)


LATE_REASON = "考勤在清册审批后才审核，未列入本清册"


def _late_holders(session: Session, run: PayrollRun, fresh: list[dict]) -> list[Unpaid]:
    """Holders who would have a line now but are not in the approved run (attendance approved late)."""
    stored = set(
        session.execute(
            select(Payment.contract_id, Payment.month).where(
                Payment.run_id == run.id, Payment.kind == "regular"
            )
        ).all()
    )
    late = {(ln["contract_id"], ln["month"]) for ln in fresh} - stored
    if not late:
        return []
    who = {
        r.id: r
        for r in session.execute(
            select(
                Contract.id,
                Contract.code,
                Contract.person_id,
                Person.name,
                Person.id_number,
                Post.village_id,
                Post.title,
            )
            .join(Person, Contract.person_id == Person.id)
            .join(Post, Contract.post_id == Post.id)
            .where(Contract.id.in_({cid for cid, _ in late}))
        ).all()
    }
    return [
        Unpaid(
            cid,
            who[cid].code,
            who[cid].person_id,
            who[cid].name,
            who[cid].id_number,
            who[cid].village_id,
            who[cid].title,
            m,
            LATE_REASON,
        )
        for cid, m in sorted(late, key=lambda k: (k[1], who[k[0]].name))
    ]


def _stale_names_computed(session: Session, run: PayrollRun, fresh: list[dict]) -> list[str]:
    """Holders whose line would now come out differently, found by comparing the run's lines with a
    re-computation (`fresh`, from compute_run) — the reference the set-based _stale_names is tested
    against."""
    cols = [PAYMENT.c[k] for k in _STALE_KEYS]
    stored = {
        (cid, m): (pid, rest)
        for cid, m, pid, *rest in session.connection()
        .execute(
            select(PAYMENT.c.contract_id, PAYMENT.c.month, PAYMENT.c.person_id, *cols).where(
                PAYMENT.c.run_id == run.id, PAYMENT.c.kind == "regular"
            )
        )
        .all()
    }
    changed_persons = set()
    for ln in fresh:
        old = stored.pop((ln["contract_id"], ln["month"]), None)
        if old is None or old[1] != [ln[k] for k in _STALE_KEYS]:
            changed_persons.add(ln["person_id"])
    changed_persons.update(pid for pid, _ in stored.values())  # lines that would no longer be made
    if not changed_persons:
        return []
    return list(
        session.scalars(select(Person.name).where(Person.id.in_(changed_persons)).order_by(Person.name))
    )


def covered_days_sql(dialect: str, contract, person, first: date, last: date):
    """domain.payroll.covered_days in SQL (tested against it on the demo county, where c ≥ 1): days from
    max(start, first) to min(exit or end, death, last), both included."""
    lo_args = (contract.start_on, literal(first, Date))
    hi_args = (
        func.coalesce(contract.exit_on, contract.end_on),
        func.coalesce(person.death_date, func.coalesce(contract.exit_on, contract.end_on)),
        literal(last, Date),
    )
    if dialect == "postgresql":
        return func.least(*hi_args) - func.greatest(*lo_args) + 1
    # SQLite: dates are ISO strings; min()/max() with several arguments are its scalar least/greatest
    return cast(func.julianday(func.min(*hi_args)) - func.julianday(func.max(*lo_args)), Integer) + 1


def performance_sql(grade, perf_excellent_fen, perf_pass_fen):
    """domain.payroll.performance_fen in SQL (tested against it on the demo county)."""
    return case((grade == "优秀", perf_excellent_fen), (grade == "合格", perf_pass_fen), else_=0)


@lru_cache(maxsize=64)
def _stale_statement(dialect: str, month: str):
    """Ids of the persons whose line in run :st_run (of township :st_township) for `month` is stale, in ONE
    statement (built once per dialect and month — building it costs more than running it):
    (a) a line with no current row giving exactly its inputs — the contract (still payable, covering the
        month, same standard, required days and covered days), attendance still approved (or locked) with
        the same days, the same grade and performance component, the same fund, the person's current
        account number and name; or
    (b) a contract of the township covering the month, with approved attendance (and alive on a day of
        the month), that has no regular line in any run (attendance approved after the preview).
    Same inputs → the same line: compute_line is a pure function of them."""
    first, last = month_bounds(month)
    run_id, township_id = bindparam("st_run", type_=Integer), bindparam("st_township", type_=Integer)
    post_fund, year_fund = _POST_FUND, _YEAR_FUND
    p = PAYMENT.alias("p")
    perf = performance_sql(Assessment.grade, Contract.perf_excellent_fen, Contract.perf_pass_fen)
    current = (
        select(literal(1))
        .select_from(Contract)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id)
        .join(post_fund, post_fund.id == Post.fund_id)
        .outerjoin(
            year_fund,
            and_(
                year_fund.county_id == post_fund.county_id,
                year_fund.name == post_fund.name,
                year_fund.year == int(month[:4]),
            ),
        )
        .join(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, AttendanceRecord.month == month),
        )
        .outerjoin(
            Assessment,
            and_(
                Assessment.contract_id == Contract.id,
                Assessment.kind == "monthly",
                Assessment.period == month,
            ),
        )
        .where(
            Contract.id == p.c.contract_id,
            Contract.person_id == p.c.person_id,
            p.c.month_days == (last - first).days + 1,
            Post.township_id == township_id,
            Contract.status.in_(rules.PAYABLE_CONTRACT_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
            Contract.allowance_fen == p.c.standard_fen,
            Contract.required_days == p.c.required_days,
            covered_days_sql(dialect, Contract, Person, first, last) == p.c.covered_days,
            AttendanceRecord.status.in_(PAID_ATTENDANCE),
            AttendanceRecord.days_worked == p.c.attended_days,
            Assessment.grade.is_not_distinct_from(p.c.grade),
            perf == p.c.performance_fen,
            func.coalesce(year_fund.id, Post.fund_id).is_not_distinct_from(p.c.fund_id),
            Person.account_no.is_not_distinct_from(p.c.account_no),
            Person.account_name.is_not_distinct_from(p.c.account_name),
        )
    )
    changed = select(p.c.person_id).where(
        p.c.run_id == run_id, p.c.kind == _REGULAR, p.c.month == month, ~current.exists()
    )
    existing = _EXISTING
    late = (
        select(Contract.person_id)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id)
        # month || '' and status || '' : SQLite's planner starts from the township's posts, not from the
        # county's attendance of the month (see _input_rows)
        .join(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, (AttendanceRecord.month + "") == month),
        )
        .where(
            Post.township_id == township_id,
            (Contract.status + "").in_(rules.PAYABLE_CONTRACT_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
            or_(
                Person.death_date.is_(None),
                Person.death_date
                >= func.coalesce(case((Contract.start_on > first, Contract.start_on)), literal(first, Date)),
            ),
            AttendanceRecord.status.in_(PAID_ATTENDANCE),
            # a scalar subquery, not NOT EXISTS: PostgreSQL would plan an anti-join on statistics that
            # predate the preview's lines (scanning the month's lines per contract); this is one probe
            # of the partial unique index per contract, as in _input_rows (keyed on the attendance's
            # contract_id, so that it runs after the township's contracts are found, not on every contract)
            select(existing.id)
            .where(
                existing.contract_id == AttendanceRecord.contract_id,
                existing.month == month,
                existing.kind == _REGULAR,
            )
            .scalar_subquery()
            .is_(None),
        )
    )
    return union_all(changed, late)


def _stale_names(
    session: Session, run: PayrollRun, months: list[str], *, months_of_lines: bool = False
) -> list[str]:
    """Holders whose line would now come out differently (attendance, grade, contract, account changed) or
    who would now get a line but have none — one set-based statement per month of the run, no re-computation.
    months_of_lines=True: `months` are the distinct months of the run's lines (run_months found lines), so no
    line lies outside them and that check is skipped."""
    conn = session.connection()
    dialect = conn.dialect.name
    persons = set()
    for m in months:
        persons.update(
            conn.execute(
                _stale_statement(dialect, m), {"st_run": run.id, "st_township": run.township_id}
            ).scalars()
        )
    # a line for a month outside the run's months cannot be checked against anything: stale
    if not months_of_lines:
        persons.update(
            conn.execute(
                select(PAYMENT.c.person_id).where(
                    PAYMENT.c.run_id == run.id, PAYMENT.c.kind == _REGULAR, PAYMENT.c.month.not_in(months)
                )
            ).scalars()
        )
    if not persons:
        return []
    return list(session.scalars(select(Person.name).where(Person.id.in_(persons)).order_by(Person.name)))
