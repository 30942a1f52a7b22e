"""Bank files for a payroll run: the payment file sent to the bank (.xlsx or .csv) and the
result file the bank sends back. Plain values in and out — no queries here.

The CSV is UTF-8 with a byte-order mark so that Excel opens the Chinese names correctly;
account numbers and references are written as text (the .xlsx marks the cells as text, the CSV
quotes every field) so that Excel does not turn a 19-digit card number into 6.22E+18.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..domain.errors import DomainError
from ..domain.payroll import money
from .cells import safe_row
from .tables import decode_text
from .workbooks import file_kind, open_workbook

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"

PAYMENT_HEADERS = ("序号", "收款账号", "户名", "金额（元）", "业务参考号", "账户类型", "摘要")
# What the bank sends back: a header row with these columns (others are ignored).
RESULT_COLUMNS = {
    "reference": ("业务参考号", "参考号", "流水号", "reference"),
    "status": ("状态", "处理结果", "结果", "发放结果", "status"),
    "reason": ("失败原因", "原因", "备注", "reason"),
    "date": ("日期", "发放日期", "入账日期", "处理日期", "date"),
}
MAX_RESULT_ROWS = 200_000


@dataclass(frozen=True)
class BankRow:
    account_no: str
    account_name: str
    amount_fen: int
    reference: str
    account_kind: str = ""
    memo: str = ""


@dataclass
class ResultRow:
    line: int  # row number in the file, for error messages
    reference: str
    status: str
    reason: str
    date: Any  # as the file gave it: str, date or datetime


def _payment_table(rows: Iterable[BankRow]) -> list[list[str]]:
    return [
        safe_row(
            [str(n), r.account_no, r.account_name, money(r.amount_fen), r.reference, r.account_kind, r.memo]
        )
        for n, r in enumerate(rows, start=1)
    ]


def payment_csv(rows: Iterable[BankRow]) -> bytes:
    """The payment file as CSV: UTF-8 with BOM, every field quoted, CRLF line ends."""
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(safe_row(PAYMENT_HEADERS))
    w.writerows(_payment_table(rows))
    return (BOM + out.getvalue()).encode("utf-8")


def payment_xlsx(rows: Iterable[BankRow], title: str) -> bytes:
    """The payment file as a workbook: header on row 1 (banks' import templates expect it there)."""
    from openpyxl import Workbook  # here: the services import this module; openpyxl takes ~0.1 s to load
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "代发明细"
    ws.append(safe_row(list(PAYMENT_HEADERS)))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for n, r in enumerate(rows, start=1):
        ws.append(
            safe_row(
                [n, r.account_no, r.account_name, money(r.amount_fen), r.reference, r.account_kind, r.memo]
            )
        )
        for col in (2, 4, 5):
            ws.cell(row=n + 1, column=col).number_format = "@"
        ws.cell(row=n + 1, column=4).alignment = Alignment(horizontal="right")
    for letter, width in zip("ABCDEFG", (6, 24, 12, 12, 16, 8, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    wb.properties.title = title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---- reading the bank's result file ----


def _norm(text: Any) -> str:
    t = unicodedata.normalize("NFKC", str(text or "")).strip().replace(" ", "").replace("*", "")
    return t.lower()


def _header_map(header: list[Any]) -> dict[str, int]:
    names = [_norm(h) for h in header]
    found = {}
    for key, aliases in RESULT_COLUMNS.items():
        for alias in aliases:
            a = _norm(alias)
            if a in names:
                found[key] = names.index(a)
                break
    return found


def _rows_from_table(table: list[list[Any]]) -> list[ResultRow]:
    """Find the header row (within the first 10 rows), then read the data rows below it."""
    for h, header in enumerate(table[:10]):
        cols = _header_map(list(header))
        if "reference" in cols and "status" in cols:
            header_at = h
            break
    else:
        raise DomainError(
            "bank_file_header",
            "结果文件中找不到表头：须包含“业务参考号”和“状态”两列（可另有“失败原因”“日期”列）",
        )

    def get(cells, key):
        i = cols.get(key)
        return cells[i] if i is not None and i < len(cells) else None

    out = []
    for n, raw in enumerate(table[header_at + 1 :], start=header_at + 2):
        cells = list(raw)
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        ref = get(cells, "reference")
        out.append(
            ResultRow(
                n,
                str(ref).strip() if ref is not None else "",
                str(get(cells, "status") or "").strip(),
                str(get(cells, "reason") or "").strip(),
                get(cells, "date"),
            )
        )
        if len(out) > MAX_RESULT_ROWS:
            raise DomainError("bank_file_too_long", f"结果文件超过{MAX_RESULT_ROWS}行，请分批导入")
    return out


def read_results(filename: str, data: bytes) -> list[ResultRow]:
    """The rows of a bank result file: a workbook (.xlsx, WPS's or the bank's .xls, LibreOffice's .ods —
    told by its content, read by calamine behind the hostile-file checks) or delimited text (.csv, .txt, or
    the tab-separated text many bank systems save under an .xls name; UTF-8 with or without BOM, or GBK)."""
    name = (filename or "").lower()
    if not data:
        raise DomainError("bank_file_empty", "上传的结果文件是空的")
    if file_kind(io.BytesIO(data)) or name.endswith((".xlsx", ".ods")):
        wb, guard = open_workbook(
            io.BytesIO(data), code="bank_file_unreadable", max_rows=MAX_RESULT_ROWS + 10
        )
        try:
            table = [list(r) for r in guard(wb.worksheets[0]).iter_rows(values_only=True)]
        finally:
            wb.close()
    elif name.endswith((".csv", ".txt", ".xls")):
        table = _text_table(data, name)
    else:
        raise DomainError(
            "bank_file_type",
            f"不支持的文件类型“{filename}”：请上传银行导出的 .xlsx、.xls、.ods 或 .csv 结果文件",
        )
    rows = _rows_from_table(table)
    if not rows:
        raise DomainError("bank_file_no_rows", "结果文件中没有数据行")
    return rows


def _text_table(data: bytes, name: str) -> list[list[str]]:
    text = decode_text(data, "bank_file_encoding", "无法识别结果文件的编码：请另存为UTF-8编码的CSV")
    head = text.lstrip()[:200].lower()
    if head.startswith("<") or "<html" in head or "<table" in head:
        raise DomainError(
            "bank_file_html",
            "此文件是网页或 XML 表格格式（有的系统把它存成 .xls）："
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传",
        )
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first or (name.endswith(".xls") and "," not in first) else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as err:
        raise DomainError(
            "bank_file_unreadable", f"结果文件（文本）格式有误（{err}）：请用银行导出的原文件重试"
        ) from None


def result_date(raw: Any) -> date | None | str:
    """A date cell as a date; '' / None → None; anything else returned as text for the caller to refuse."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if text.isdigit() and len(text) == 8:  # 20261105
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text
