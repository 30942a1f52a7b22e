"""岗位清单 (the post list) as .xlsx. Plain values in, bytes out."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .cells import safe_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = (
    "岗位编号",
    "岗位名称",
    "乡镇",
    "村",
    "岗位类别",
    "资金来源",
    "岗位人数",
    "月补贴（元）",
    "规定出勤天数",
    "全日制/非全日制",
    "工作地点",
    "工作时间",
    "岗位职责",
    "设岗需求",
    "无法离乡的符合条件人数",
    "状态",
    "偏离审批",
    "偏离理由",
)
WIDTHS = (24, 20, 12, 12, 14, 24, 8, 12, 10, 12, 20, 20, 30, 40, 12, 10, 12, 30)


def posts_workbook(rows: list[dict], heading: str = "岗位清单") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "岗位清单"
    ws.append(safe_row([heading]))
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    ws.append(safe_row(list(HEADERS)))
    for c in ws[2]:
        c.font, c.fill = Font(bold=True), PatternFill("solid", fgColor="F0F4F8")
        c.alignment = Alignment(horizontal="center", wrap_text=True)
    for r in rows:
        ws.append(
            safe_row(
                [
                    r["code"],
                    r["title"],
                    r["township"],
                    r["village"],
                    r["category"],
                    r["fund"],
                    r["headcount"],
                    Decimal(r["allowance_fen"]) / 100,
                    r["required_days"],
                    "全日制" if r["full_time"] else "非全日制",
                    r["work_place"],
                    r["hours"],
                    r["duties"],
                    r["need_text"],
                    r["eligible_pool"],
                    r["status_label"],
                    r["deviation_label"],
                    r["deviation_reason"] or "",
                ]
            )
        )
        ws.cell(row=ws.max_row, column=8).number_format = "#,##0.00"
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = w
    ws.freeze_panes = "C3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
