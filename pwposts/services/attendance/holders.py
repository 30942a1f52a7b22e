"""The holders of a village-month (contracts covering it), loading a village, and the version of a
village-month sheet (two clerks saving one sheet cannot overwrite each other)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from ...domain import attendance as rules
from ...domain import payroll as pay_rules
from ...domain.errors import Conflict, DomainError, NotFound
from ...domain.formats import beijing, month_bounds, month_heading
from ...domain.pay import ATTENDANCE_STATE_LABELS
from ...models.accounts import User
from ...models.attendance_sheet import AttendanceSheetVersion
from ...models.contracts import Assessment, Contract
from ...models.pay import AttendanceRecord
from ...models.people import Person, Region
from ...models.posts import Post
from ..clock_binding import now_of
from ..permissions import require

HOLDER_STATES = ("active", "ended", "terminated")
RECORD_FIELDS = ("days_worked", "leave_days", "absent_days", "hours_worked", "note")


@dataclass
class Holder:
    """One line of a village-month sheet: a contract covering the month and what is recorded for it."""

    row: int
    contract: Contract
    covered: int
    term: rules.Term
    record: AttendanceRecord | None = None
    grade: Assessment | None = None
    month: str = ""

    @property
    def person(self) -> Person:
        return self.contract.person

    @property
    def post(self) -> Post:
        return self.contract.post

    @property
    def attendable(self) -> int:
        """Days of the month that can count: the contract's covered days, cut at the holder's death."""
        t = self.term
        return pay_rules.covered_days(self.month, t.start_on, t.last_day, death_date=t.died_on)

    @property
    def status(self) -> str:
        return self.record.status if self.record else "missing"

    @property
    def status_label(self) -> str:
        return ATTENDANCE_STATE_LABELS.get(self.status, "未录入")

    @property
    def editable(self) -> bool:
        return self.record is None or self.record.status == "draft"

    @property
    def dates_text(self) -> str:
        if self.record is None:
            return ""
        return rules.format_marks(rules.DayMark(d.day, d.kind) for d in self.record.days)


@dataclass
class VillageMonth:
    village: Region
    month: str
    holders: list[Holder]
    version: int = 0  # the sheet's version this view was read at (sent back with a save)
    changed_by_id: int | None = None
    changed_at: datetime | None = None

    @property
    def month_days(self) -> int:
        return rules.month_days(self.month)

    def count(self, status: str) -> int:
        return sum(1 for h in self.holders if h.status == status)

    @property
    def graded(self) -> int:
        return sum(1 for h in self.holders if h.grade is not None)


@dataclass
class EntryResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    records: list[AttendanceRecord] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated


# ---------------------------------------------------------------- loading


def term_of(contract: Contract) -> rules.Term:
    """The contract as attendance sees it, with its exit and its holder's recorded death."""
    standard = contract.post.standard if contract.post is not None else None
    counts_hours = (not contract.full_time) and standard is not None and standard.required_hours is not None
    return rules.Term(
        contract.start_on,
        contract.last_day,
        contract.required_days,
        counts_hours,
        exit_on=contract.exit_on,
        died_on=contract.person.death_date,
    )


def covering_contracts(month: str):
    """A select() of contracts (joined to their post) that cover some day of `month` and need attendance."""
    first, last = month_bounds(month)
    return (
        select(Contract)
        .join(Post, Contract.post_id == Post.id)
        .where(
            Contract.status.in_(HOLDER_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
        )
    )


def load_village(session: Session, actor, village_id: Any, action: str) -> Region:
    """The village, checked to be in the actor's scope for `action` (404 outside it)."""
    require(actor, action)
    try:
        vid = int(village_id)
    except (TypeError, ValueError):
        raise NotFound("村") from None
    village = session.get(Region, vid)
    if village is None or village.level != "village":
        raise NotFound("村")
    require(actor, action, village, what="村")
    return village


def holders_for_month(session: Session, village_id: int, month: str) -> list[Holder]:
    """The village's holders for the month with their record and monthly grade (no permission check)."""
    q = (
        covering_contracts(month)
        .join(Person, Contract.person_id == Person.id)
        .where(Post.village_id == village_id)
        .options(joinedload(Contract.person), joinedload(Contract.post).joinedload(Post.standard))
        .order_by(Person.name, Person.id, Contract.start_on)
    )
    contracts = session.scalars(q).unique().all()
    ids = [c.id for c in contracts]
    records, grades = {}, {}
    if ids:
        records = {
            r.contract_id: r
            for r in session.scalars(
                select(AttendanceRecord)
                .where(AttendanceRecord.contract_id.in_(ids), AttendanceRecord.month == month)
                .options(selectinload(AttendanceRecord.days))
            )
        }
        grades = {
            a.contract_id: a
            for a in session.scalars(
                select(Assessment).where(Assessment.contract_id.in_(ids), Assessment.period == month)
            )
        }
    out = []
    for n, c in enumerate(contracts, start=1):
        term = term_of(c)
        out.append(
            Holder(
                n,
                c,
                pay_rules.covered_days(month, term.start_on, term.last_day),
                term,
                records.get(c.id),
                grades.get(c.id),
                month,
            )
        )
    return out


def village_month(session: Session, actor, village_id: Any, month: Any, today: date) -> VillageMonth:
    """The sheet of a village-month for anyone who may view attendance there."""
    village = load_village(session, actor, village_id, "view_attendance")
    month = rules.check_month(month, today)
    vm = VillageMonth(village, month, holders_for_month(session, village.id, month))
    vm.version, vm.changed_by_id, vm.changed_at = sheet_version(session, village.id, month)
    return vm


# ---------------------------------------------------------------- the sheet's version

SHEET = AttendanceSheetVersion.__table__
_CLAIMED = "pwposts_attendance_sheets_claimed"


@event.listens_for(Session, "after_transaction_end")
def _forget_claims(session, transaction):
    """A sheet claimed by a save is claimed for that transaction only."""
    if transaction.parent is None:
        session.info.pop(_CLAIMED, None)


def sheet_version(session: Session, village_id: int, month: str) -> tuple[int, int | None, datetime | None]:
    """(version, changed_by_id, changed_at) of a village-month sheet; version 0 before its first save."""
    row = session.execute(
        select(SHEET.c.version, SHEET.c.changed_by_id, SHEET.c.changed_at).where(
            SHEET.c.village_id == village_id, SHEET.c.month == month
        )
    ).first()
    return tuple(row) if row is not None else (0, None, None)


def parse_version(raw: Any) -> int | None:
    """The sheet version a page or API client saw: a whole number ≥ 0, or None when not sent."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, bool) or not (
        isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())
    ):
        raise DomainError(
            "version_invalid",
            f"考勤表版本号须为非负整数（读取考勤表时返回的 version），收到“{str(raw)[:20]}”",
        )
    value = int(raw)
    if value > 2**31:
        raise DomainError("version_invalid", f"考勤表版本号{value}无效")
    return value


def claim_sheet(session: Session, actor, village: Region, month: str, seen: int | None) -> int:
    """Before a save changes a village-month sheet: move its version on by one, atomically, but only if it is
    still the version `seen` the clerk's page (or API client) was read at — `UPDATE … WHERE version = :seen`.

    Otherwise another save came first: Conflict naming who made it and when; the caller rolls its
    transaction back, so nothing of this save is written. `seen=None` (a client that sends no version)
    skips the comparison but still moves the version on. Once per sheet per transaction; returns the new
    version.
    """
    claimed = session.info.setdefault(_CLAIMED, {})
    if (village.id, month) in claimed:
        return claimed[(village.id, month)]
    where = and_(SHEET.c.village_id == village.id, SHEET.c.month == month)
    bump = SHEET.update().where(where)
    if seen is not None:
        bump = bump.where(SHEET.c.version == seen)
    changed_by, changed_at = getattr(actor, "id", None), now_of(session)
    if (
        session.execute(
            bump.values(version=SHEET.c.version + 1, changed_by_id=changed_by, changed_at=changed_at)
        ).rowcount
        == 1
    ):
        claimed[(village.id, month)] = session.scalar(select(SHEET.c.version).where(where))
        return claimed[(village.id, month)]
    current = session.execute(
        select(SHEET.c.version, SHEET.c.changed_by_id, SHEET.c.changed_at).where(where)
    ).first()
    if current is None and not seen:
        try:
            with (
                session.begin_nested()
            ):  # a first save at the same moment elsewhere wins; this one is refused
                session.execute(
                    SHEET.insert().values(
                        village_id=village.id,
                        month=month,
                        version=1,
                        changed_by_id=changed_by,
                        changed_at=changed_at,
                    )
                )
            claimed[(village.id, month)] = 1
            return 1
        except IntegrityError:
            current = session.execute(
                select(SHEET.c.version, SHEET.c.changed_by_id, SHEET.c.changed_at).where(where)
            ).first()
    raise _stale_sheet(session, village, month, seen, current)


def _stale_sheet(session: Session, village: Region, month: str, seen: int | None, current) -> Conflict:
    where = f"{village.name}{month_heading(month)}考勤表"
    if current is None:
        return Conflict(
            "attendance_sheet_stale",
            f"{where}没有第{seen}版：页面或请求中的版本号有误，本次未保存任何数据；请刷新页面后重新填写",
        )
    version, user_id, at = current
    user = session.get(User, user_id) if user_id else None
    who = user.display_name if user is not None else "他人"
    based = f"，您的页面基于第{seen}版" if seen is not None else ""
    return Conflict(
        "attendance_sheet_stale",
        f"{where}已被{who}于{beijing(at)}（北京时间）修改（现为第{version}版{based}）；"
        "为免覆盖对方的修改，本次未保存任何数据。请刷新页面，核对后重新填写",
    )
