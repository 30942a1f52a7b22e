"""在岗领补 step 2: monthly grades (优秀/合格/不合格) and the annual grade per contract and year.

The township (or county) grades. A month's grades are due by the county's assessment_due_day
of the next month (default the 10th); ungraded months past that day are late. A 不合格 or
missing monthly grade means no performance component for that month, and the holder is told
of it before payment (`deductions_for`). A month that is paid (its attendance locked, or a
paid / approved regular payment) can no longer be graded. Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from ..domain import attendance as rules
from ..domain import payroll as pay_rules
from ..domain.errors import DomainError, NotFound
from ..domain.formats import month_bounds, month_heading
from ..models.contracts import Assessment, Contract
from ..models.pay import AttendanceRecord, Payment
from ..models.people import Person, Region
from ..models.posts import Post
from . import audit
from .attendance import HOLDER_STATES, covering_contracts, holders_for_month, load_village, month_paid
from .clock_binding import now_of
from .permissions import require, scope_regions
from .settings import county_of, int_setting


def _load_contract(session: Session, actor, contract_id: Any, action: str) -> Contract:
    try:
        cid = int(contract_id)
    except (TypeError, ValueError):
        raise NotFound("合同") from None
    contract = session.get(Contract, cid)
    if contract is None:
        raise NotFound("合同")
    require(actor, action, contract.post, what="合同")
    return contract


def month_locked(session: Session, contract_id: int, month: str) -> bool:
    """Paid: the attendance is locked, or a regular payment is paid or in an approved run."""
    locked = session.scalar(
        select(AttendanceRecord.id).where(
            AttendanceRecord.contract_id == contract_id,
            AttendanceRecord.month == month,
            AttendanceRecord.status == "locked",
        )
    )
    return locked is not None or month_paid(session, contract_id, month)


def _check_monthly(session: Session, contract: Contract, month: str, grade: Any, today: date) -> str:
    """The grade to store, or DomainError naming the rule."""
    grade = rules.parse_grade(grade)
    who = f"{contract.person.name}（合同{contract.code}）"
    if contract.status not in HOLDER_STATES:
        raise DomainError("contract_not_in_force", f"{who}的合同尚未生效或已作废，不能考核")
    if pay_rules.covered_days(month, contract.start_on, contract.last_day) == 0:
        raise DomainError(
            "month_outside_contract",
            f"{who}：{month_heading(month)}不在合同期内"
            f"（{contract.start_on.isoformat()} 至 {contract.last_day.isoformat()}）",
        )
    if month_locked(session, contract.id, month):
        raise DomainError("month_locked", f"{who}{month_heading(month)}已发放锁定，月度考核不能再修改")
    return grade


def _upsert(
    session: Session, actor, contract: Contract, kind: str, period: str, grade: str, note: str | None
) -> Assessment:
    row = session.scalar(
        select(Assessment).where(Assessment.contract_id == contract.id, Assessment.period == period)
    )
    note = (note or "").strip() or None
    if row is not None and row.grade == grade and (note is None or row.note == note):
        return row
    before = {"grade": row.grade, "note": row.note} if row is not None else None
    if row is None:
        row = Assessment(contract_id=contract.id, kind=kind, period=period)
        session.add(row)
    row.grade = grade
    if note is not None:
        row.note = note
    row.assessed_by_id = getattr(actor, "id", None)
    row.assessed_at = now_of(session)
    session.flush()
    label = month_heading(period) if kind == "monthly" else f"{period}年度"
    what = "月度考核" if kind == "monthly" else "年度考核"
    audit.record(
        session,
        actor,
        "set_monthly_grade" if kind == "monthly" else "set_annual_grade",
        "assessment",
        row.id,
        before=before,
        after={
            "contract": contract.code,
            "person": contract.person.name,
            "period": period,
            "grade": grade,
            "note": row.note,
        },
        summary=f"{what}：{contract.person.name}（合同{contract.code}）{label} "
        f"{(before['grade'] + ' → ') if before else ''}{grade}",
    )
    return row


def set_monthly_grade(
    session: Session, actor, contract_id: Any, month: Any, grade: Any, today: date, note: str | None = None
) -> Assessment:
    """Grade one holder's month (优秀/合格/不合格); refused for a month already paid."""
    contract = _load_contract(session, actor, contract_id, "enter_assessment")
    month = rules.check_month(month, today)
    grade = _check_monthly(session, contract, month, grade, today)
    return _upsert(session, actor, contract, "monthly", month, grade, note)


def set_month_grades(
    session: Session, actor, village_id: Any, month: Any, grades: Mapping[int, Any], today: date
) -> int:
    """Grades for several holders of a village-month at once: all checked first, then written — or none.

    `grades` maps contract id → grade; a blank grade is skipped (a grade is never erased here).
    Returns the number of grades that changed.
    """
    village = load_village(session, actor, village_id, "enter_assessment")
    month = rules.check_month(month, today)
    holders = {h.contract.id: h for h in holders_for_month(session, village.id, month)}
    problems: list[rules.Problem] = []
    todo = []
    for cid, raw in grades.items():
        if raw is None or str(raw).strip() == "":
            continue
        h = holders.get(int(cid))
        if h is None:
            problems.append(
                rules.Problem(
                    "contract_id", str(cid), f"不是{village.name}{month_heading(month)}的在岗人员合同"
                )
            )
            continue
        try:
            grade = _check_monthly(session, h.contract, month, raw, today)
        except DomainError as err:
            problems.append(rules.Problem("grade", str(raw), err.message, row=h.row))
            continue
        if h.grade is None or h.grade.grade != grade:
            todo.append((h.contract, grade))
    if problems:
        raise rules.AttendanceRejected(problems, f"月度考核有{len(problems)}处错误，未保存任何考核结果")
    for contract, grade in todo:
        _upsert(session, actor, contract, "monthly", month, grade, None)
    return len(todo)


def set_annual_grade(
    session: Session, actor, contract_id: Any, year: Any, grade: Any, today: date, note: str | None = None
) -> Assessment:
    """The annual grade of a contract for a year it covers (used when deciding a renewal)."""
    contract = _load_contract(session, actor, contract_id, "enter_assessment")
    year = rules.parse_year(year, today)
    grade = rules.parse_grade(grade)
    who = f"{contract.person.name}（合同{contract.code}）"
    if contract.status not in HOLDER_STATES:
        raise DomainError("contract_not_in_force", f"{who}的合同尚未生效或已作废，不能考核")
    if rules.days_in_year_covered(contract.start_on, contract.last_day, int(year)) == 0:
        raise DomainError(
            "year_outside_contract",
            f"{who}：{year}年不在合同期内"
            f"（{contract.start_on.isoformat()} 至 {contract.last_day.isoformat()}）",
        )
    return _upsert(session, actor, contract, "annual", year, grade, note)


# ---------------------------------------------------------------- reading


@dataclass
class AnnualLine:
    contract: Contract
    grade: Assessment | None
    monthly: dict[str, int]  # grade → months so graded in the year


def annual_sheet(
    session: Session, actor, village_id: Any, year: Any, today: date
) -> tuple[Region, str, list[AnnualLine]]:
    """Contracts on the village's posts covering some day
    of `year`, with their annual grade and monthly tally."""
    village = load_village(session, actor, village_id, "view_attendance")
    year = rules.parse_year(year, today)
    first, last = date(int(year), 1, 1), date(int(year), 12, 31)
    contracts = (
        session.scalars(
            select(Contract)
            .join(Post, Contract.post_id == Post.id)
            .join(Person, Contract.person_id == Person.id)
            .where(
                Post.village_id == village.id,
                Contract.status.in_(HOLDER_STATES),
                Contract.start_on <= last,
                func.coalesce(Contract.exit_on, Contract.end_on) >= first,
            )
            .options(joinedload(Contract.person))
            .order_by(Person.name, Contract.start_on)
        )
        .unique()
        .all()
    )
    ids = [c.id for c in contracts]
    annual, tally = {}, {}
    if ids:
        for a in session.scalars(
            select(Assessment).where(Assessment.contract_id.in_(ids), Assessment.period == year)
        ):
            annual[a.contract_id] = a
        for cid, grade, n in session.execute(
            select(Assessment.contract_id, Assessment.grade, func.count(Assessment.id))
            .where(
                Assessment.contract_id.in_(ids),
                Assessment.kind == "monthly",
                Assessment.period.like(year + "-%"),
            )
            .group_by(Assessment.contract_id, Assessment.grade)
        ):
            tally.setdefault(cid, {})[grade] = n
    return village, year, [AnnualLine(c, annual.get(c.id), tally.get(c.id, {})) for c in contracts]


def due_day(session: Session, region: Region, on: date) -> int:
    county = county_of(session, region)
    return int_setting(session, county.id, "assessment_due_day", on) or 10


@dataclass
class LateMonth:
    village: Region
    month: str
    due_on: date
    missing: int


def late_assessments(session: Session, actor, today: date, *, lookback: int = 12) -> list[LateMonth]:
    """Village-months of the last `lookback` months whose grades are past due and still missing.

    One grouped query per month; the due day is the county setting in force on the due month's first day.
    """
    require(actor, "view_attendance")
    if actor.region is None:
        return []
    out: list[LateMonth] = []
    month = rules.previous_month(f"{today.year:04d}-{today.month:02d}")
    villages: dict[int, Region] = {}
    for _ in range(lookback):
        due = rules.assessment_due(
            month, due_day(session, actor.region, month_bounds(rules.next_month(month))[0])
        )
        if due < today:
            q = (
                covering_contracts(month)
                .with_only_columns(Post.village_id, func.count(Contract.id))
                .outerjoin(
                    Assessment, and_(Assessment.contract_id == Contract.id, Assessment.period == month)
                )
                .where(Assessment.id.is_(None))
                .group_by(Post.village_id)
            )
            for vid, n in session.execute(scope_regions(actor, q, Post.village_id)):
                if vid not in villages:
                    villages[vid] = session.get(Region, vid)
                out.append(LateMonth(villages[vid], month, due, n))
        month = rules.previous_month(month)
    return sorted(out, key=lambda x: (x.month, x.village.code), reverse=True)


@dataclass
class Deduction:
    """A month of a holder's contract that will be paid without its performance component."""

    contract_id: int
    contract_code: str
    month: str
    grade: str | None  # None = not graded yet
    performance_fen: int  # the component at stake (what 合格 would pay)
    due_on: date

    @property
    def reason(self) -> str:
        if self.grade == "不合格":
            return f"{month_heading(self.month)}月度考核为“不合格”，该月不发放绩效补贴"
        return (
            f"{month_heading(self.month)}尚未评定月度考核（应于{self.due_on.isoformat()}前评定），"
            "评定为优秀或合格前，该月不发放绩效补贴"
        )


def deductions_for(session: Session, person_id: int, today: date) -> list[Deduction]:
    """For the holder portal: ended months about to be paid (attendance recorded, not yet locked or paid) of
    the person's contracts graded 不合格 or not yet graded, where the contract has a performance component.
    Newest month first. No permission check — the caller shows a holder only their own person."""
    contracts = (
        session.scalars(
            select(Contract)
            .where(
                Contract.person_id == person_id,
                Contract.status.in_(HOLDER_STATES),
                (Contract.perf_pass_fen > 0) | (Contract.perf_excellent_fen > 0),
            )
            .options(joinedload(Contract.person).joinedload(Person.village))
        )
        .unique()
        .all()
    )
    out: list[Deduction] = []
    for c in contracts:
        if c.start_on >= today:
            continue
        months = [
            m for m in rules.months_between(c.start_on, min(c.last_day, today)) if rules.month_ended(m, today)
        ]
        if not months:
            continue
        grades = dict(
            session.execute(
                select(Assessment.period, Assessment.grade).where(
                    Assessment.contract_id == c.id,
                    Assessment.kind == "monthly",
                    Assessment.period.in_(months),
                )
            ).all()
        )
        paid = set(
            session.scalars(
                select(Payment.month).where(
                    Payment.contract_id == c.id,
                    Payment.kind == "regular",
                    Payment.status == "paid",
                    Payment.month.in_(months),
                )
            )
        )
        # only months about to be paid: attendance recorded and not yet locked by a payment
        pending = set(
            session.scalars(
                select(AttendanceRecord.month).where(
                    AttendanceRecord.contract_id == c.id,
                    AttendanceRecord.status != "locked",
                    AttendanceRecord.month.in_(months),
                )
            )
        )
        for m in months:
            g = grades.get(m)
            if m in paid or m not in pending or pay_rules.pays_performance(g):
                continue
            due = rules.assessment_due(
                m, due_day(session, c.person.village, month_bounds(rules.next_month(m))[0])
            )
            out.append(Deduction(c.id, c.code, m, g, c.perf_pass_fen, due))
    return sorted(out, key=lambda d: (d.month, d.contract_code), reverse=True)
