"""考勤表 workbooks for a village-month: the prefilled template and reading an uploaded one.

Plain values in and out — no queries and no attendance rules here (those are in
domain/attendance.py and services/attendance.py). Columns are found by their header text, so
reordered columns, a "*" or extra spaces in a header, and title rows above it are tolerated.
The template carries the month and the village code in its second row; the importer compares
them with the page the file is uploaded to.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..domain.errors import DomainError
from .cells import safe_row
from .workbooks import first_sheet

COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "序号"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("contract_code", "合同编号"),
    ("required_days", "规定出勤天数"),
    ("covered_days", "本月合同覆盖天数"),
    ("days_worked", "出勤天数"),
    ("leave_days", "请假天数"),
    ("absent_days", "缺勤天数"),
    ("hours", "出勤小时数"),
    ("dates", "出勤日期(可选, 如 1,2,5-9)"),
    ("note", "备注"),
)
KEYS = tuple(k for k, _ in COLUMNS)
HEADERS = dict(COLUMNS)
HEADERS_SHORT = {**HEADERS, "dates": "出勤日期"}  # how messages name the columns
REQUIRED = ("contract_code", "days_worked")
INPUT_KEYS = ("days_worked", "leave_days", "absent_days", "hours", "dates", "note")
TEXT_KEYS = frozenset({"id_number", "contract_code", "dates", "note"})
SHEET_NAME = "考勤表"
HELP_SHEET = "填写说明"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN_ROWS = 15
MAX_DATA_ROWS = 5_000

_ALIASES = {
    "seq": ("序号",),
    "name": ("姓名",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码"),
    "contract_code": ("合同编号", "协议编号", "合同号"),
    "required_days": ("规定出勤天数",),
    "covered_days": ("本月合同覆盖天数", "合同覆盖天数"),
    "days_worked": ("出勤天数", "本月累计出勤天数", "实际出勤天数"),
    "leave_days": ("请假天数",),
    "absent_days": ("缺勤天数", "旷工天数"),
    "hours": ("出勤小时数", "出勤小时", "工作小时数"),
    "dates": ("出勤日期", "出勤日期(可选,如1,2,5-9)", "出勤日期(可选)"),
    "note": ("备注",),
}
_MONTH_IN_TITLE = re.compile(r"考勤月份[:：]\s*(\d{4}-\d{2})")
_CODE_IN_TITLE = re.compile(r"\((\d{12})\)")


def normalize_header(text: Any) -> str:
    if text is None:
        return ""
    return re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", str(text)))


_HEADER_INDEX = {normalize_header(a): key for key, names in _ALIASES.items() for a in names}


def header_key(text: Any) -> str | None:
    h = normalize_header(text)
    if not h:
        return None
    if h in _HEADER_INDEX:
        return _HEADER_INDEX[h]
    return _HEADER_INDEX.get(re.sub(r"\([^()]*\)$", "", h))


@dataclass
class SheetRow:
    number: int  # as Excel shows it
    values: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class AttendanceSheet:
    header_row: int
    present: frozenset[str]
    rows: list[SheetRow] = field(default_factory=list)
    month: str | None = None  # from the template's title rows, when kept
    village_code: str | None = None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_attendance(stream: IO[bytes]) -> AttendanceSheet:
    """Read the attendance sheet of an uploaded .xlsx; DomainError when the file as a whole is unusable."""
    sheet = first_sheet(
        stream,
        _read_sheet,
        code="attendance_file_unreadable",
        preferred=SHEET_NAME,
        skip=HELP_SHEET,
        max_rows=MAX_DATA_ROWS + HEADER_SCAN_ROWS,
    )
    if sheet is not None:
        return sheet
    raise DomainError(
        "attendance_header",
        f"未找到考勤表表头：前{HEADER_SCAN_ROWS}行中没有包含“合同编号”“出勤天数”的表头行，"
        "请使用系统下载的考勤模板",
    )


def _read_sheet(ws) -> AttendanceSheet | None:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    rows = ws.iter_rows(values_only=True)
    month = code = None
    found: dict[str, list[int]] = {}
    header_row = 0
    for number, row in enumerate(rows, start=1):
        if number > HEADER_SCAN_ROWS:
            return None
        row = row or ()
        found = {}
        for i, cell in enumerate(row):
            key = header_key(cell)
            if key:
                found.setdefault(key, []).append(i)
        if "contract_code" in found and ("days_worked" in found or "name" in found):
            header_row = number
            break
        for cell in row:
            if isinstance(cell, str):
                text = unicodedata.normalize("NFKC", cell)
                m = _MONTH_IN_TITLE.search(text)
                if m:
                    month = m.group(1)
                c = _CODE_IN_TITLE.search(text)
                if c:
                    code = c.group(1)
    else:
        return None
    dupes = [(k, cols) for k, cols in found.items() if len(cols) > 1]
    if dupes:
        raise DomainError(
            "attendance_header",
            f"第{header_row}行表头中“{HEADERS_SHORT[dupes[0][0]]}”出现了多次，请只保留一列",
        )
    missing = [HEADERS_SHORT[k] for k in REQUIRED if k not in found]
    if missing:
        raise DomainError(
            "attendance_header",
            "考勤表缺少必需的列：" + "、".join(f"“{m}”" for m in missing) + "，请勿修改模板中的列名",
        )
    positions = {k: cols[0] for k, cols in found.items()}
    sheet = AttendanceSheet(header_row, frozenset(positions), month=month, village_code=code)
    for number, row in enumerate(rows, start=header_row + 1):
        row = row or ()
        values = {k: (row[i] if i < len(row) else None) for k, i in positions.items()}
        if all(_blank(v) for k, v in values.items() if k != "seq"):
            continue
        if len(sheet.rows) >= MAX_DATA_ROWS:
            raise DomainError("attendance_too_large", f"一个考勤表最多{MAX_DATA_ROWS:,}行，请按村分别导入")
        sheet.rows.append(SheetRow(number, values))
    return sheet


# ---------------------------------------------------------------- writing

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
_GIVEN_FILL = PatternFill("solid", fgColor="F2F2F2")  # prefilled by the system: not to be changed
_WIDTHS = {
    "seq": 6,
    "name": 10,
    "id_number": 21,
    "contract_code": 18,
    "required_days": 12,
    "covered_days": 16,
    "days_worked": 10,
    "leave_days": 10,
    "absent_days": 10,
    "hours": 11,
    "dates": 30,
    "note": 24,
}
GIVEN_KEYS = ("seq", "name", "id_number", "contract_code", "required_days", "covered_days")

NOTES = (
    "每行是一名在岗人员本月的考勤；灰色各列由系统预填，请勿修改，系统按“合同编号”识别人员（身份证号须与合同一致）。",
    "出勤、请假、缺勤天数填整数；三者之和不得超过“本月合同覆盖天数”（合同在本月覆盖的日历天数）。",
    "出勤日期可选：填本月的日数，如 1,2,3,5-9；也可分段填写“出勤:1-9；请假:10；缺勤:11”，"
    "或完整日期如 2026-10-05。"
    "填了出勤日期时，出勤天数须等于所列出勤日期的天数（出勤天数留空则按日期计算）。",
    "日期必须是真实存在的日期（如2月没有30日、9月没有31日），须在本月和合同期内，同一天不能重复。",
    "出勤小时数仅非全日制按小时计的岗位需要，其余可留空。",
    "某人整行考勤留空表示本次不录入该人；已审核或已发放锁定的人员不能通过导入修改。",
    "导入前系统检查整个文件：只要有一处错误，整个文件都不导入，并列出每处错误所在的行、列和原因。",
)


def write_template(
    out: IO[bytes], *, title: str, month: str, village_label: str, rows: Iterable[Sequence[Any]]
) -> int:
    """The village-month template: title, month/village line, header, one prefilled row per holder."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    ws.append(safe_row([title]))
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(safe_row([f"考勤月份：{month}　　村：{village_label}"]))
    ws.append(safe_row([h for _, h in COLUMNS]))
    for cell in ws[3]:
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for i, key in enumerate(KEYS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(key, 12)
    n = 0
    for values in rows:
        ws.append(
            safe_row(
                [
                    None if v in (None, "") else (str(v) if KEYS[i] in TEXT_KEYS else v)
                    for i, v in enumerate(values)
                ]
            )
        )
        n += 1
        r = ws.max_row
        for i, key in enumerate(KEYS, start=1):
            cell = ws.cell(row=r, column=i)
            if key in TEXT_KEYS:
                cell.number_format = "@"
            if key in GIVEN_KEYS:
                cell.fill = _GIVEN_FILL
    for i, key in enumerate(KEYS, start=1):  # empty cells below stay text where a number would be misread
        if key in TEXT_KEYS:
            for r in range(ws.max_row + 1, ws.max_row + 51):
                ws.cell(row=r, column=i).number_format = "@"
    ws.freeze_panes = "C4"

    hs = wb.create_sheet(HELP_SHEET)
    hs.column_dimensions["A"].width = 110
    hs.append(safe_row(["考勤表填写说明"]))
    hs["A1"].font = Font(bold=True, size=14)
    for note in NOTES:
        hs.append(safe_row([note]))
        hs.cell(row=hs.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(out)
    return n


def write_error_report(out: IO[bytes], errors: Iterable[Sequence[Any]], *, filename: str = "") -> None:
    """The refusal as a workbook: one line per problem (行号, 列, 填写的值, 问题)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "错误清单"
    for letter, width in zip("ABCD", (8, 16, 28, 90), strict=True):
        ws.column_dimensions[letter].width = width
    if filename:
        ws.append(safe_row([f"文件：{filename}"]))
    ws.append(safe_row(["行号", "列", "填写的值", "问题"]))
    for cell in ws[ws.max_row]:
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
    for row, column, value, reason in errors:
        ws.append(safe_row([row or None, column, None if value in (None, "") else str(value), reason]))
        ws.cell(row=ws.max_row, column=3).number_format = "@"
    wb.save(out)
