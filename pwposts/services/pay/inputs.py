"""A run's inputs (one SELECT per township-month) and its lines (domain.payroll.compute_line)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session, aliased

from ...domain import payroll as rules
from ...domain.formats import month_bounds
from ...models.contracts import Assessment, Contract
from ...models.pay import AttendanceRecord, Payment
from ...models.people import Person
from ...models.policy import Fund
from ...models.posts import Post
from ..plans import custom_plans
from .common import PAID_ATTENDANCE, Unpaid

# Module-level aliases: the statement's cache key stays the same from call to call, so SQLAlchemy
# compiles it once.
_POST_FUND = aliased(Fund, name="post_fund")
_YEAR_FUND = aliased(Fund, name="year_fund")
_EXISTING = aliased(Payment, name="existing")
_REGULAR = literal_column("'regular'")


def _input_rows(session: Session, township_id: int, month: str):
    """Every contract of the township covering `month`, with what its line needs — one SELECT."""
    # Core execution (no ORM row loading): tens of thousands of plain rows, unpacked by position in _lines
    conn = session.connection()
    stmt = _input_statement(month, conn.dialect.name == "postgresql")
    return conn.execute(stmt, {"in_township": township_id}).all()


@lru_cache(maxsize=64)
def _input_statement(month: str, pg: bool):
    """_input_rows' SELECT for `month`, township bound as :in_township (built once per month and dialect)."""
    township_id = bindparam("in_township", type_=Integer)
    first, last = month_bounds(month)
    year = int(month[:4])
    post_fund, year_fund, existing = _POST_FUND, _YEAR_FUND, _EXISTING
    q = (
        select(
            Contract.id.label("contract_id"),
            Contract.code,
            Contract.person_id,
            Contract.start_on,
            Contract.end_on,
            Contract.exit_on,
            Contract.allowance_fen,
            Contract.required_days,
            Contract.perf_excellent_fen,
            Contract.perf_pass_fen,
            Person.name,
            Person.id_number,
            Person.account_kind,
            Person.account_no,
            Person.account_name,
            Person.death_date,
            Post.title,
            Post.village_id,
            # the post's fund, or the fund of the same name for the month's year (allocations are yearly)
            func.coalesce(year_fund.id, Post.fund_id).label("fund_id"),
            AttendanceRecord.status.label("att_status"),
            AttendanceRecord.days_worked,
            Assessment.grade,
            # a scalar subquery, not a join: one index probe per contract, whatever the statistics say
            # (a payroll inserts thousands of payments faster than PostgreSQL's autoanalyze notices)
            # ('regular' written into the SQL, not bound: PostgreSQL's generic plan for a prepared
            # statement can then still use the partial unique index … WHERE kind = 'regular').
            # month || '': the probe goes by the contract (its dozen lines), never by ix_payment_month —
            # with statistics taken before this month's lines were inserted, PostgreSQL estimated one
            # line for the month and scanned every line of the month once per contract (1.5 s for a
            # township once 11 others were prepared, EXPLAIN ANALYZE; 0.02 s with this). SQLite (no
            # statistics) gets the plain month: with both columns it probes the partial unique index
            # (contract_id, month) once, where `month || ''` made it read every line of the contract
            # through ix_payment_contract_id, a row more per contract for each month paid
            select(existing.run_id)
            .where(
                existing.contract_id == Contract.id,
                ((existing.month + "") if pg else existing.month) == month,
                existing.kind == _REGULAR,
            )
            .scalar_subquery()
            .label("paid_run_id"),
        )
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id)
        .join(post_fund, post_fund.id == Post.fund_id)
        .outerjoin(
            year_fund,
            and_(
                year_fund.county_id == post_fund.county_id,
                year_fund.name == post_fund.name,
                year_fund.year == year,
            ),
        )
        .outerjoin(
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
        # status || '' keeps SQLite's planner (no statistics) from scanning every contract of the county
        # through the status index: it starts from the township's posts instead
        .where(
            Post.township_id == township_id,
            (Contract.status + "").in_(rules.PAYABLE_CONTRACT_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
        )
        .order_by(Post.village_id, Person.name, Contract.id)
    )
    return q


def _lines(rows, month: str, run_id: int | None) -> tuple[list[dict], list[Unpaid]]:
    """Payment rows (dicts for executemany) and the unpaid holders, from _input_rows."""
    first, last = month_bounds(month)
    d = (last - first).days + 1
    lines, unpaid = [], []
    compute, covered = rules.compute_line, rules.covered_days
    for (
        contract_id,
        code,
        person_id,
        start_on,
        end_on,
        exit_on,
        allowance_fen,
        required_days,
        perf_excellent,
        perf_pass,
        name,
        id_number,
        account_kind,
        account_no,
        account_name,
        death_date,
        title,
        village_id,
        fund_id,
        att_status,
        days_worked,
        grade,
        paid_run_id,
    ) in rows:
        if paid_run_id is not None and paid_run_id != run_id:
            continue  # paid in another run (e.g. a quarterly one)
        c = covered(month, start_on, end_on, exit_on, death_date)
        if c <= 0 or att_status not in PAID_ATTENDANCE:
            reason = (
                f"已故（{death_date.isoformat()}），当月不予计发"
                if c <= 0
                else "无考勤记录"
                if att_status is None
                else "考勤待审核"
            )
            unpaid.append(
                Unpaid(contract_id, code, person_id, name, id_number, village_id, title, month, reason)
            )
            continue
        line = compute(allowance_fen, required_days, days_worked, c, d, grade, perf_excellent, perf_pass)
        lines.append(
            {
                "contract_id": contract_id,
                "person_id": person_id,
                "fund_id": fund_id,
                "month": month,
                "standard_fen": allowance_fen,
                "required_days": required_days,
                "attended_days": days_worked,
                "covered_days": c,
                "month_days": d,
                "cap_fen": line.cap_fen,
                "base_fen": line.base_fen,
                "grade": grade,
                "performance_fen": line.performance_fen,
                "amount_fen": line.amount_fen,
                "calc_text": line.calc_text,
                "account_kind": account_kind,
                "account_no": account_no,
                "account_name": account_name,
            }
        )
    return lines, unpaid


def compute_run(session: Session, township_id: int, months: list[str], run_id: int | None):
    """(lines, unpaid) for a township and the run's months; no writes."""
    lines, unpaid = [], []
    for m in months:
        with custom_plans(session):  # planned for this township (plans.py)
            rows = _input_rows(session, township_id, m)
        ls, us = _lines(rows, m, run_id)
        lines += ls
        unpaid += us
    return lines, unpaid
