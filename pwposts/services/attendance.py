"""在岗领补 step 1: a village's month of attendance — entered, approved by the township, locked once paid.

States of an AttendanceRecord: draft (待审核) → approved (已审核) → locked (已发放锁定, set by the
payroll when the month is paid). A draft can be changed by whoever may enter attendance for
the village; an approved record only after the township sends it back (`reopen_record`); a
locked one never. Every write is audited; services flush only.

The holders of a village for a month are the contracts on the village's posts that cover some
day of the month, with status active, ended or terminated — a contract that ended mid-month
still needs that month's attendance.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import and_, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from ..documents import attendance_xlsx as xlsx
from ..documents.attendance_xlsx import AttendanceSheet
from ..domain import attendance as rules
from ..domain import payroll as pay_rules
from ..domain.errors import Conflict, DomainError, NotFound
from ..domain.formats import beijing, month_bounds, month_heading, parse_month
from ..domain.pay import ATTENDANCE_STATE_LABELS
from ..domain.people import mask_id_number
from ..models.accounts import User
from ..models.attendance_sheet import AttendanceSheetVersion
from ..models.contracts import Assessment, Contract
from ..models.pay import AttendanceDay, AttendanceRecord, Payment, PayrollRun
from ..models.people import Person, Region
from ..models.posts import Post
from . import audit
from . import settings as county_settings
from .clock_binding import now_of
from .permissions import require, scope_regions

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
    """Before a save changes a village-month sheet: move its version on by one, atomically, but only if it
    is still the version `seen` the clerk's page (or API client) was read at — `UPDATE … WHERE version = :seen`.

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


# ---------------------------------------------------------------- entering


def _int_or_none(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isdigit() else None


def _record_snapshot(rec: AttendanceRecord) -> dict:
    return {
        "days_worked": rec.days_worked,
        "leave_days": rec.leave_days,
        "absent_days": rec.absent_days,
        "hours_worked": rec.hours_worked,
        "note": rec.note,
        "dates": rules.format_marks(rules.DayMark(d.day, d.kind) for d in rec.days),
    }


def _entry_snapshot(e: rules.Entry) -> dict:
    return {
        "days_worked": e.days_worked,
        "leave_days": e.leave_days,
        "absent_days": e.absent_days,
        "hours_worked": e.hours,
        "note": e.note,
        "dates": rules.format_marks(e.marks),
    }


def _describe(e: dict) -> str:
    text = f"出勤{e['days_worked']}天、请假{e['leave_days']}天、缺勤{e['absent_days']}天"
    if e.get("hours_worked") is not None:
        text += f"、{e['hours_worked']}小时"
    return text


def _locked_message(rec: AttendanceRecord) -> str:
    if rec.status == "locked":
        return "该月考勤已发放锁定，不能再修改；如有差错请办理补发或扣回"
    return "该月考勤已审核，不能直接修改；如需更正，请乡镇经办人先“退回修改”"


def plan_month(
    session: Session, actor, village: Region, month: str, rows: Sequence[Mapping[str, Any]], today: date
) -> tuple[list[tuple[Holder, rules.Entry, int]], list[rules.Problem]]:
    """Check every row against the village's holders; nothing is written."""
    holders = {h.contract.id: h for h in holders_for_month(session, village.id, month)}
    problems: list[rules.Problem] = []
    planned: list[tuple[Holder, rules.Entry, int]] = []
    first_row: dict[int, int] = {}
    for i, raw in enumerate(rows, start=1):
        row_no = raw.get("row") if isinstance(raw.get("row"), int) else i
        cid = _int_or_none(raw.get("contract_id"))
        holder = holders.get(cid) if cid is not None else None
        shown = str(raw.get("contract_code") or raw.get("contract_id") or "")
        if holder is None:
            problems.append(
                rules.Problem(
                    "contract_id",
                    shown,
                    f"不是{village.name}{month_heading(month)}的在岗人员合同（合同须在本村岗位上且覆盖该月）",
                    row=row_no,
                )
            )
            continue
        shown = holder.contract.code
        if cid in first_row:
            problems.append(
                rules.Problem(
                    "contract_id", shown, f"与第{first_row[cid]}行重复：同一合同每月只能录入一行", row=row_no
                )
            )
            continue
        first_row[cid] = row_no
        if holder.record is not None and holder.record.status != "draft":
            problems.append(
                rules.Problem(
                    "contract_id",
                    shown,
                    f"{holder.person.name}：{_locked_message(holder.record)}",
                    row=row_no,
                )
            )
            continue
        entry, found = rules.check_entry(raw, month, holder.term, today)
        for p in found:
            p.row = row_no
            if p.field != "contract_id":
                p.reason = f"{holder.person.name}：{p.reason}"
        problems.extend(found)
        if entry is not None:
            planned.append((holder, entry, row_no))
    problems.sort(key=lambda p: p.row or 0)
    return planned, problems


def enter_month(
    session: Session,
    actor,
    village_id: Any,
    month: Any,
    rows: Sequence[Mapping[str, Any]],
    today: date,
    *,
    source: str = "",
    version: Any = None,
) -> EntryResult:
    """Validate every row, then write all of them as drafts — or nothing (AttendanceRejected).

    A row is a plain dict: contract_id, days_worked, leave_days, absent_days, hours, dates, note
    (and optionally `row`, the caller's row number for messages). An unchanged row writes nothing.
    `version` is the sheet version the caller read (see claim_sheet): a save that changes something
    on a sheet changed since is refused (Conflict) and the caller rolls back.
    """
    seen = parse_version(version)
    village = load_village(session, actor, village_id, "enter_attendance")
    month = rules.check_month(month, today)
    if not rows:
        raise DomainError("attendance_empty", "没有填写任何考勤：请至少填写一人的出勤天数")
    planned, problems = plan_month(session, actor, village, month, rows, today)
    if problems:
        raise rules.AttendanceRejected(problems)
    return _write(session, actor, village, month, planned, source, seen)


def import_month(
    session: Session,
    actor,
    village_id: Any,
    month: Any,
    sheet: AttendanceSheet,
    today: date,
    *,
    filename: str = "",
    version: Any = None,
) -> EntryResult:
    """An uploaded 考勤表 for the village-month: every row checked, then all written — or nothing.

    Rows are matched by 合同编号 (the 身份证号, when given, must be the contract holder's); a row
    with no attendance typed is left out. Problems carry the Excel row number and column header.
    Every row goes through the same checks as the sheet and the API (plan_month → rules.check_entry).
    """
    seen = parse_version(version)
    village = load_village(session, actor, village_id, "enter_attendance")
    month = rules.check_month(month, today)
    name = f"《{filename}》" if filename else ""
    if sheet.month and sheet.month != month:
        raise DomainError(
            "attendance_file_month",
            f"文件{name}是{month_heading(sheet.month)}的考勤表，与当前的"
            f"{month_heading(month)}不符：请下载本月模板，或到对应月份导入",
        )
    if sheet.village_code and sheet.village_code != village.code:
        raise DomainError(
            "attendance_file_village",
            f"文件{name}是区划代码{sheet.village_code}的村的考勤表，"
            f"不是{village.name}（{village.code}）的，未导入",
        )
    by_code = {h.contract.code: h for h in holders_for_month(session, village.id, month)}
    problems: list[rules.Problem] = []
    rows: list[dict] = []
    for r in sheet.rows:
        code = _cell(r.get("contract_code"))
        raw = {k: _cell(r.get(k)) for k in xlsx.INPUT_KEYS}
        if rules.is_blank_entry(raw):
            continue
        if not code:
            problems.append(
                rules.Problem(
                    "contract_id", "", "合同编号不能为空：请使用系统下载的模板，勿删改预填各列", row=r.number
                )
            )
            continue
        holder = by_code.get(code)
        if holder is not None and "id_number" in sheet.present:
            idn = _cell(r.get("id_number")).upper()
            if idn and idn not in (holder.person.id_number, mask_id_number(holder.person.id_number)):
                problems.append(
                    rules.Problem(
                        "id_number",
                        idn,
                        f"与合同{code}的持有人{holder.person.name}的身份证号不一致，请核对是否填错了行",
                        row=r.number,
                        label="身份证号",
                    )
                )
                continue
        rows.append(
            {
                **raw,
                "row": r.number,
                "contract_code": code,
                "contract_id": holder.contract.id if holder else None,
            }
        )
    if not rows and not problems:
        raise DomainError("attendance_empty", f"文件{name}中没有填写任何人的考勤（出勤天数等列均为空）")
    planned, found = plan_month(session, actor, village, month, rows, today)
    problems = sorted(problems + found, key=lambda p: p.row or 0)
    if problems:
        raise rules.AttendanceRejected(
            problems, f"考勤表{name}有{len(problems)}处错误，未导入任何数据；请改正后重新上传"
        )
    return _write(session, actor, village, month, planned, f"考勤表导入{name}", seen)


def _cell(value: Any) -> str:
    """An Excel cell as text: 20.0 → '20', a date cell → '2026-10-05'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _write(
    session: Session, actor, village: Region, month: str, planned, source: str, seen: int | None
) -> EntryResult:
    """Write the planned rows; the first row that changes anything claims the sheet (see claim_sheet)."""
    result = EntryResult()
    prefix = f"{source}：" if source else ""
    for holder, entry, row_no in planned:
        after = _entry_snapshot(entry)
        rec = holder.record
        before = _record_snapshot(rec) if rec is not None else None
        if before == after:
            result.unchanged += 1
            continue
        claim_sheet(session, actor, village, month, seen)
        if rec is None:
            rec = AttendanceRecord(
                contract_id=holder.contract.id,
                person_id=holder.contract.person_id,
                month=month,
                status="draft",
            )
            session.add(rec)
            result.created += 1
        else:
            result.updated += 1
        rec.days_worked, rec.leave_days, rec.absent_days = (
            entry.days_worked,
            entry.leave_days,
            entry.absent_days,
        )
        rec.hours_worked, rec.note = entry.hours, entry.note
        rec.entered_by_id, rec.entered_at = getattr(actor, "id", None), now_of(session)
        _replace_days(session, rec, entry.marks)
        session.flush()
        holder.record = rec
        result.records.append(rec)
        ident = {"contract": holder.contract.code, "person": holder.person.name, "month": month}
        audit.record(
            session,
            actor,
            "enter_attendance",
            "attendance_record",
            rec.id,
            before={**ident, **before} if before else None,
            after={**ident, **after, "status": "draft"},
            summary=f"{prefix}{'录入' if before is None else '修改'}考勤：{holder.person.name}"
            f"（合同{holder.contract.code}）{month_heading(month)} {_describe(after)}",
        )
    return result


def _replace_days(session: Session, rec: AttendanceRecord, marks: list[rules.DayMark]) -> None:
    """Make the record's dated lines equal `marks`, keeping rows for days that stay (no delete-then-insert clash)."""
    wanted = {m.day: m.kind for m in marks}
    for line in list(rec.days):
        if line.day in wanted:
            line.kind = wanted.pop(line.day)
        else:
            rec.days.remove(line)
    session.flush()
    for day, kind in sorted(wanted.items()):
        rec.days.append(AttendanceDay(day=day, kind=kind))


# ---------------------------------------------------------------- approving, sending back


def load_region(session: Session, actor, region_id: Any, action: str) -> Region:
    require(actor, action)  # a role without the right hears 403, whatever the region
    try:
        rid = int(region_id)
    except (TypeError, ValueError):
        raise NotFound("乡镇或村") from None
    region = session.get(Region, rid)
    if region is None:
        raise NotFound("乡镇或村")
    require(actor, action, region, what="乡镇或村")
    return region


def villages_under(session: Session, region: Region) -> list[int]:
    if region.level == "village":
        return [region.id]
    return list(
        session.scalars(
            select(Region.id).where(
                Region.level == "village",
                Region.code.like(region.code[: 9 if region.level == "township" else 6] + "%"),
            )
        )
    )


def approve_month(
    session: Session, actor, township_or_village: Any, month: Any, today: date
) -> list[AttendanceRecord]:
    """The township approves every entered (draft) record of its villages — or of one village — for an ended month."""
    region = load_region(session, actor, township_or_village, "approve_attendance")
    if region.level == "county":
        raise DomainError("approve_scope", "考勤按乡镇（或村）审核：请选择一个乡镇")
    month = parse_month(month, "考勤月份")
    last = month_bounds(month)[1]
    if last >= today:
        raise DomainError(
            "month_not_ended",
            f"{month_heading(month)}尚未结束（月末为{last.isoformat()}），月份结束后才能审核考勤",
        )
    village_ids = villages_under(session, region)
    records = (
        session.scalars(
            select(AttendanceRecord)
            .join(Contract, AttendanceRecord.contract_id == Contract.id)
            .join(Post, Contract.post_id == Post.id)
            .where(
                Post.village_id.in_(village_ids),
                AttendanceRecord.month == month,
                AttendanceRecord.status == "draft",
            )
            .options(joinedload(AttendanceRecord.contract).joinedload(Contract.person))
            .order_by(AttendanceRecord.id)
        )
        .unique()
        .all()
    )
    if not records:
        raise DomainError(
            "nothing_to_approve",
            f"{region.name}{month_heading(month)}没有待审核的考勤（未录入，或已全部审核）",
        )
    own = [
        r for r in records if r.entered_by_id is not None and r.entered_by_id == getattr(actor, "id", None)
    ]
    if own and four_eyes(session, region, today):
        who = getattr(actor, "display_name", "")
        raise DomainError(
            "attendance_four_eyes",
            f"录入人不能审核自己录入的考勤：{region.name}{month_heading(month)}待审核的考勤中有{len(own)}条由您（{who}）"
            f"录入或最后修改（{'、'.join(r.contract.person.name for r in own[:5])}{'等' if len(own) > 5 else ''}），"
            "须由另一名乡镇经办人或县级管理员审核；本次未审核任何记录（县级设置“考勤录入与审核须为不同人员”）",
            details=[
                f"{r.contract.person.name}（合同{r.contract.code}）：由{who}于{beijing(r.entered_at)}录入"
                for r in own
            ],
        )
    now = now_of(session)
    for rec in records:
        rec.status, rec.approved_by_id, rec.approved_at = "approved", getattr(actor, "id", None), now
    session.flush()
    for rec in records:
        audit.record(
            session,
            actor,
            "approve_attendance",
            "attendance_record",
            rec.id,
            before={"status": "draft"},
            after={"status": "approved", **_record_snapshot(rec)},
            summary=f"审核考勤：{rec.contract.person.name}（合同{rec.contract.code}）{month_heading(month)} "
            f"{_describe(_record_snapshot(rec))}",
        )
    return list(records)


def four_eyes(session: Session, region: Region, today: date) -> bool:
    """County setting attendance_four_eyes (on by default): whoever entered a record may not approve it."""
    county = county_settings.county_of(session, region)
    return county_settings.setting(session, county.id, "attendance_four_eyes", today) == "on"


def month_paid(session: Session, contract_id: int, month: str) -> bool:
    """A regular payment for the contract-month is paid, or sits in an approved payroll run."""
    hit = session.scalar(
        select(Payment.id)
        .outerjoin(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(
            Payment.contract_id == contract_id,
            Payment.month == month,
            Payment.kind == "regular",
            (Payment.status == "paid") | (PayrollRun.status == "approved"),
        )
        .limit(1)
    )
    return hit is not None


def reopen_record(session: Session, actor, record_id: Any, reason: str, today: date) -> AttendanceRecord:
    """Send an approved record back to draft before payment; a locked (paid) one never."""
    rec = session.get(AttendanceRecord, _int_or_none(record_id) or 0)
    if rec is None:
        raise NotFound("考勤记录")
    require(actor, "approve_attendance", rec.contract.post, what="考勤记录")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", "请填写退回原因（至少2个字），以便录入人员更正")
    name = rec.contract.person.name
    if rec.status == "locked":
        raise DomainError(
            "attendance_locked",
            f"{name}{month_heading(rec.month)}的考勤已发放锁定，不能退回；如有差错请办理补发或扣回",
        )
    if rec.status != "approved":
        raise DomainError(
            "attendance_not_approved", f"{name}{month_heading(rec.month)}的考勤尚未审核，可直接修改，无需退回"
        )
    if month_paid(session, rec.contract_id, rec.month):
        raise DomainError(
            "attendance_in_payroll",
            f"{name}{month_heading(rec.month)}的补贴已审批发放，考勤不能退回；如有差错请办理补发或扣回",
        )
    before = {"status": rec.status, "approved_by_id": rec.approved_by_id}
    rec.status, rec.approved_by_id, rec.approved_at = "draft", None, None
    session.flush()
    audit.record(
        session,
        actor,
        "reopen_attendance",
        "attendance_record",
        rec.id,
        before=before,
        after={"status": "draft", "reason": reason},
        summary=f"退回考勤：{name}（合同{rec.contract.code}）{month_heading(rec.month)}，原因：{reason}",
    )
    return rec


# ---------------------------------------------------------------- overviews


@dataclass
class VillageSummary:
    village: Region
    holders: int = 0
    draft: int = 0
    approved: int = 0
    locked: int = 0
    graded: int = 0

    @property
    def entered(self) -> int:
        return self.draft + self.approved + self.locked

    @property
    def missing(self) -> int:
        return max(self.holders - self.entered, 0)


def month_overview(
    session: Session, actor, month: str, *, township_id: int | None = None
) -> list[VillageSummary]:
    """Per village in the actor's scope: holders, entered (by status), missing, graded — a few grouped queries."""
    require(actor, "view_attendance")
    vq = scope_regions(actor, select(Region).where(Region.level == "village"), Region.id)
    if township_id:
        vq = vq.where(Region.parent_id == township_id)
    villages = session.scalars(vq.options(joinedload(Region.parent)).order_by(Region.code)).all()
    out = {v.id: VillageSummary(v) for v in villages}
    if not out:
        return []
    ids = list(out)
    holders = covering_contracts(month).where(Post.village_id.in_(ids))
    for vid, n in session.execute(
        holders.with_only_columns(Post.village_id, func.count(Contract.id)).group_by(Post.village_id)
    ):
        out[vid].holders = n
    covered_ids = holders.with_only_columns(Contract.id)
    for vid, status, n in session.execute(
        select(Post.village_id, AttendanceRecord.status, func.count(AttendanceRecord.id))
        .join(Contract, AttendanceRecord.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .where(AttendanceRecord.month == month, Post.village_id.in_(ids), Contract.id.in_(covered_ids))
        .group_by(Post.village_id, AttendanceRecord.status)
    ):
        setattr(out[vid], status, n)
    for vid, n in session.execute(
        select(Post.village_id, func.count(Assessment.id))
        .join(Contract, Assessment.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .where(
            Assessment.period == month,
            Assessment.kind == "monthly",
            Post.village_id.in_(ids),
            Contract.id.in_(covered_ids),
        )
        .group_by(Post.village_id)
    ):
        out[vid].graded = n
    return list(out.values())


def count_drafts(session: Session, actor) -> int:
    """Entered records waiting for the township's approval, in the actor's scope."""
    q = (
        select(func.count(AttendanceRecord.id))
        .join(Contract, AttendanceRecord.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .where(AttendanceRecord.status == "draft")
    )
    return session.scalar(scope_regions(actor, q, Post.village_id)) or 0


def count_missing(session: Session, actor, month: str) -> int:
    """Holders of `month` in the actor's scope with no attendance record."""
    q = (
        covering_contracts(month)
        .with_only_columns(func.count(Contract.id))
        .outerjoin(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, AttendanceRecord.month == month),
        )
        .where(AttendanceRecord.id.is_(None))
    )
    return session.scalar(scope_regions(actor, q, Post.village_id)) or 0


def records_for_person(
    session: Session, person_id: int, months: Iterable[str] | None = None
) -> list[AttendanceRecord]:
    """A holder's attendance records, newest month first (for the holder portal)."""
    q = select(AttendanceRecord).where(AttendanceRecord.person_id == person_id)
    if months is not None:
        q = q.where(AttendanceRecord.month.in_(list(months)))
    return list(
        session.scalars(
            q.options(selectinload(AttendanceRecord.days), joinedload(AttendanceRecord.contract)).order_by(
                AttendanceRecord.month.desc()
            )
        ).unique()
    )
