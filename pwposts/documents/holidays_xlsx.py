"""County holiday calendar workbooks: read an uploaded list (columns 日期, 名称, 是否调休上班) and
write the empty template. Plain values out; the rules about days live in domain/settings.py.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font

from ..domain.errors import DomainError
from ..domain.formats import parse_date
from .cells import safe_row
from .workbooks import open_workbook

HEADERS = ("日期", "名称", "是否调休上班")
YES = {"是", "y", "yes", "1", "true", "调休", "上班", "调休上班", "√"}
NO = {"", "否", "n", "no", "0", "false", "休", "放假", "×"}
HEADER_SCAN_ROWS = 10
MAX_ROWS = 2000


def _norm(value) -> str:
    return "".join(str(value or "").split()).replace("*", "")


def read_holidays(stream: IO[bytes]) -> tuple[list[tuple[int, date, str, bool]], list[str]]:
    """(rows, errors): rows are (row number, day, name, is_workday); errors name the row and the cell."""
    wb, guard = open_workbook(stream, code="xlsx_unreadable", max_rows=MAX_ROWS + HEADER_SCAN_ROWS)
    ws = guard(wb.worksheets[0])
    rows_iter = ws.iter_rows(values_only=True)
    cols = None
    line = 0
    for values in rows_iter:
        line += 1
        names = [_norm(v) for v in values]
        if "日期" in names and "名称" in names:
            cols = {h: names.index(h) if h in names else None for h in HEADERS}
            break
        if line >= HEADER_SCAN_ROWS:
            break
    if cols is None:
        raise DomainError(
            "xlsx_no_header",
            f"未找到表头：第一张工作表的前{HEADER_SCAN_ROWS}行中须有“日期”“名称”两列"
            "（“是否调休上班”可选，留空视为节假日）",
        )
    out, errors = [], []
    for values in rows_iter:
        line += 1
        cells = list(values) + [None] * 3

        def cell(h, cells=cells):
            i = cols[h]
            return cells[i] if i is not None else None

        raw_day, raw_name, raw_work = cell("日期"), cell("名称"), cell("是否调休上班")
        if all(v is None or str(v).strip() == "" for v in (raw_day, raw_name, raw_work)):
            continue
        if len(out) + len(errors) >= MAX_ROWS:
            errors.append(f"文件超过{MAX_ROWS}行，请分批导入")
            break
        try:
            day = raw_day.date() if isinstance(raw_day, datetime) else parse_date(raw_day, "日期")
        except DomainError as err:
            errors.append(f"第{line}行：{err.message}")
            continue
        flag = _norm(raw_work).lower()
        if flag in YES:
            is_workday = True
        elif flag in NO:
            is_workday = False
        else:
            errors.append(f"第{line}行：“是否调休上班”只能填 是 或 否（留空为否），收到“{raw_work}”")
            continue
        out.append((line, day, str(raw_name or "").strip(), is_workday))
    wb.close()
    return out, errors


def holidays_template(example: list[tuple[date, str, bool]] = ()) -> bytes:
    """An empty import workbook with the three headers (and optional example rows)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "节假日"
    ws.append(safe_row(list(HEADERS)))
    for c in ws[1]:
        c.font = Font(bold=True)
    for day, name, work in example:
        ws.append(safe_row([day, name, "是" if work else "否"]))
        ws.cell(row=ws.max_row, column=1).number_format = "yyyy-mm-dd"
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 14
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
