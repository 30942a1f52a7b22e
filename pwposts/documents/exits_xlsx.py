"""退岗台账 export (.xlsx): plain rows in, a workbook out — no queries here."""

from __future__ import annotations

import io
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .cells import safe_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (
    "序号",
    "姓名",
    "身份证号",
    "乡镇",
    "村",
    "岗位名称",
    "合同编号",
    "退岗原因",
    "事由发生日期",
    "退岗生效日期",
    "最后计发日",
    "状态",
    "是否迟报",
    "报告时限（天）",
    "登记来源",
    "确认日期",
    "后续安置",
    "依据",
    "备注",
)
WIDTHS = (6, 10, 21, 10, 12, 16, 16, 24, 12, 12, 12, 8, 8, 10, 16, 12, 16, 40, 30)


def exits_workbook(rows: Iterable[Sequence], heading: str) -> bytes:
    """`rows` in HEADERS order (dates as date objects, ID numbers as text already masked or not)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("退岗台账")
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    title = WriteOnlyCell(ws, value=heading)
    title.font = Font(bold=True, size=13)
    ws.append(safe_row([title]))
    ws.append(safe_row([_bold(ws, h) for h in HEADERS]))
    for values in rows:
        cells = list(values)
        idn = WriteOnlyCell(ws, value=str(cells[2]))
        idn.number_format = "@"
        cells[2] = idn
        ws.append(safe_row(cells))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _bold(ws, text: str):
    c = WriteOnlyCell(ws, value=text)
    c.font = Font(bold=True)
    return c
