"""合同台账 export (.xlsx): plain values in, a workbook out — no queries here."""

from __future__ import annotations

from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .cells import safe_row

SHEET_NAME = "合同台账"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (header, width); 身份证号 and 合同编号 are written as text cells.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6),
    ("合同编号", 16),
    ("姓名", 10),
    ("身份证号", 21),
    ("乡镇", 10),
    ("村", 12),
    ("岗位名称", 16),
    ("合同类型", 10),
    ("起始日期", 12),
    ("截止日期", 12),
    ("月补贴标准（元）", 14),
    ("规定出勤天数", 12),
    ("全日制/非全日制", 14),
    ("状态", 16),
    ("意外伤害保险", 28),
    ("签订日期", 12),
)
HEADERS = tuple(h for h, _ in COLUMNS)
TEXT_COLUMNS = frozenset({1, 3})


def write_contracts(out: IO[bytes], rows: Iterable[Sequence[Any]]) -> int:
    """Header row then `rows` (values in COLUMNS order,
    money already in 元 as a number). Returns the count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_NAME)
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "D2"
    head = []
    for h in HEADERS:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDE6F0")
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        head.append(c)
    ws.append(safe_row(head))
    n = 0
    for values in rows:
        cells: list[Any] = list(values)
        for i in TEXT_COLUMNS:
            c = WriteOnlyCell(ws, value=None if cells[i] in (None, "") else str(cells[i]))
            c.number_format = "@"
            cells[i] = c
        money = WriteOnlyCell(ws, value=cells[10])
        money.number_format = "#,##0.00"
        cells[10] = money
        ws.append(safe_row(cells))
        n += 1
    wb.save(out)
    return n
