"""Entering a village's month: from the web sheet, the API or an Excel import — all or nothing."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Any, Mapping, Sequence

from sqlalchemy.orm import Session

from ...documents import attendance_xlsx as xlsx
from ...documents.attendance_xlsx import AttendanceSheet
from ...domain import attendance as rules
from ...domain.errors import DomainError
from ...domain.formats import month_heading
from ...domain.people import mask_id_number
from ...models.pay import AttendanceDay, AttendanceRecord
from ...models.people import Region
from .. import audit
from ..clock_binding import now_of
from .holders import EntryResult, Holder, claim_sheet, holders_for_month, load_village, parse_version

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
    written = []
    for holder, entry, _row_no in planned:
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
        holder.record = rec
        result.records.append(rec)
        written.append((holder, rec, before, after))
    session.flush()  # once for the whole sheet: every record gets its id
    entries = []
    for holder, rec, before, after in written:
        ident = {"contract": holder.contract.code, "person": holder.person.name, "month": month}
        entries.append(
            (
                "enter_attendance",
                "attendance_record",
                rec.id,
                {**ident, **before} if before else None,
                {**ident, **after, "status": "draft"},
                f"{prefix}{'录入' if before is None else '修改'}考勤：{holder.person.name}"
                f"（合同{holder.contract.code}）{month_heading(month)} {_describe(after)}",
            )
        )
    audit.record_many(session, actor, entries)  # chained in one pass, one executemany
    return result


def _replace_days(session: Session, rec: AttendanceRecord, marks: list[rules.DayMark]) -> None:
    """Make the record's dated lines equal `marks`, keeping
    rows for days that stay (no delete-then-insert clash)."""
    wanted = {m.day: m.kind for m in marks}
    removed = False
    for line in list(rec.days):
        if line.day in wanted:
            line.kind = wanted.pop(line.day)
        else:
            rec.days.remove(line)
            removed = True
    if removed:  # the deletes go first, so that a day removed and added back cannot clash
        session.flush()
    for day, kind in sorted(wanted.items()):
        rec.days.append(AttendanceDay(day=day, kind=kind))
