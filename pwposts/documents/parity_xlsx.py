"""同类岗位补贴一致性报告 (wage parity report) as .xlsx: a summary per category, the same per
township, and every deviating post with its reason and status. Plain values in, bytes out.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .cells import safe_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="F0F4F8")
WARN_FILL = PatternFill("solid", fgColor="FDE2E1")


def _yuan(fen: int | None):
    return None if fen is None else Decimal(fen) / 100


def _pct(p: Decimal | None):
    return None if p is None else float(p) / 100  # shown as a percentage cell


def _sheet(
    wb: Workbook,
    title: str,
    headers: list[str],
    rows: list[list],
    money_cols=(),
    pct_cols=(),
    widths=None,
    first: bool = False,
    heading: str = "",
):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    start = 1
    if heading:
        ws.append(safe_row([heading]))
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        start = 2
    ws.append(safe_row(headers))
    for c in ws[start]:
        c.font, c.fill = BOLD, HEAD_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r in rows:
        ws.append(safe_row(r))
        n = ws.max_row
        for i in money_cols:
            ws.cell(row=n, column=i).number_format = MONEY
        for i in pct_cols:
            ws.cell(row=n, column=i).number_format = "+0.00%;-0.00%;0.00%"
    for i, w in enumerate(widths or [], start=1):
        ws.column_dimensions[ws.cell(row=start, column=i).column_letter].width = w
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    return ws


def parity_workbook(
    *, heading: str, tolerance_pct: int, summary: list[dict], townships: list[dict], deviating: list[dict]
) -> bytes:
    wb = Workbook()
    _sheet(
        wb,
        "分类别汇总",
        [
            "岗位类别",
            "县定标准（元/月）",
            "标准出勤天数",
            "岗位数",
            "最低补贴（元）",
            "中位数（元）",
            "最高补贴（元）",
            "偏离岗位数",
        ],
        [
            [
                s["category"],
                _yuan(s["standard_fen"]),
                s["standard_days"],
                s["count"],
                _yuan(s["min_fen"]),
                _yuan(s["median_fen"]),
                _yuan(s["max_fen"]),
                s["deviating"],
            ]
            for s in summary
        ],
        money_cols=(2, 5, 6, 7),
        widths=[16, 16, 12, 8, 14, 14, 14, 10],
        first=True,
        heading=f"{heading}（偏离容差±{tolerance_pct}%）",
    )
    _sheet(
        wb,
        "分乡镇",
        ["岗位类别", "乡镇", "岗位数", "最低补贴（元）", "中位数（元）", "最高补贴（元）"],
        [
            [
                t["category"],
                t["township"],
                t["count"],
                _yuan(t["min_fen"]),
                _yuan(t["median_fen"]),
                _yuan(t["max_fen"]),
            ]
            for t in townships
        ],
        money_cols=(4, 5, 6),
        widths=[16, 14, 8, 14, 14, 14],
    )
    ws = _sheet(
        wb,
        "偏离明细",
        [
            "岗位类别",
            "岗位编号",
            "岗位名称",
            "乡镇",
            "村",
            "岗位状态",
            "月补贴（元）",
            "县定标准（元）",
            "补贴偏离",
            "规定出勤天数",
            "标准天数",
            "天数偏离",
            "超出容差",
            "偏离理由",
            "偏离审批",
        ],
        [
            [
                d["category"],
                d["code"],
                d["title"],
                d["township"],
                d["village"],
                d["status_label"],
                _yuan(d["allowance_fen"]),
                _yuan(d["standard_fen"]),
                _pct(d["allowance_pct"]),
                d["required_days"],
                d["standard_days"],
                _pct(d["days_pct"]),
                "是" if d["exceeds"] else "否",
                d["deviation_reason"] or "",
                d["deviation_label"],
            ]
            for d in deviating
        ],
        money_cols=(7, 8),
        pct_cols=(9, 12),
        widths=[14, 24, 20, 12, 12, 12, 12, 12, 10, 10, 8, 10, 8, 40, 12],
    )
    for row in ws.iter_rows(min_row=2):
        if row[12].value == "是":
            for c in row:
                c.fill = WARN_FILL
        row[13].alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
