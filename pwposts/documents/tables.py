"""Reading and writing the simple record files other departments send (.xlsx or .csv): one header row
(found in the first rows), one record a row. Used by the 区划代码 import and the department imports.

A column is a (key, label, aliases) triple; the reader returns each data row as {key: cell} with the
row number Excel shows, and refuses the file whole when a required column is missing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..domain.errors import DomainError
from .cells import safe_row
from .workbooks import DEFAULT_MAX_ROWS, first_sheet

HEADER_SCAN_ROWS = 10
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header the template writes
    aliases: tuple[str, ...] = ()
    required: bool = True
    help: str = ""


@dataclass
class Table:
    header_row: int
    present: frozenset[str]
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _norm(text: Any) -> str:
    if text is None:
        return ""
    t = re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", str(text)))
    return re.sub(r"\([^()]*\)$", "", t)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _index(columns: Sequence[Column]) -> dict[str, str]:
    out = {}
    for c in columns:
        for name in (c.label, *c.aliases):
            out[_norm(name)] = c.key
    return out


def _scan(rows, columns: Sequence[Column], what: str) -> Table | None:
    index = _index(columns)
    required = [c for c in columns if c.required]
    positions: dict[str, int] = {}
    header_row = 0
    for number, row in enumerate(rows, start=1):
        if number > HEADER_SCAN_ROWS:
            return None
        found = {}
        for i, cell in enumerate(row or ()):
            key = index.get(_norm(cell))
            if key and key not in found:
                found[key] = i
        if len(found) >= min(2, len(required) or 1) and any(c.key in found for c in required):
            positions, header_row = found, number
            break
    else:
        return None
    missing = [c.label for c in required if c.key not in positions]
    if missing:
        raise DomainError(
            "import_header",
            f"{what}缺少必需的列："
            + "、".join(f"“{m}”" for m in missing)
            + f"（表头在第{header_row}行）。请使用系统提供的模板",
        )
    table = Table(header_row, frozenset(positions))
    for number, row in enumerate(rows, start=header_row + 1):
        row = row or ()
        values = {k: (row[i] if i < len(row) else None) for k, i in positions.items()}
        if all(_blank(v) for v in values.values()):
            continue
        first = next(iter(values.values()), None)
        if isinstance(first, str) and first.strip().startswith("示例"):
            continue
        if len(table.rows) >= MAX_ROWS:
            raise DomainError("import_too_large", f"一次最多导入{MAX_ROWS:,}行，请拆分文件后分批导入")
        table.rows.append((number, values))
    return table


def decode_text(data: bytes, code: str, message: str) -> str:
    """An uploaded text file as str: UTF-8 (with or without BOM), else GBK/GB18030 (Excel and WPS on Chinese
    Windows); DomainError(code, message) when neither reads it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(code, message)


def _csv_rows(data: bytes) -> list[list[str]]:
    text = decode_text(data, "import_unreadable", "CSV文件编码无法识别：请以 UTF-8 或 GBK 编码保存")
    rows = []
    try:
        for row in csv.reader(
            io.StringIO(text, newline="")
        ):  # every line counts, blank ones too (hostile files)
            rows.append(row)
            if len(rows) > DEFAULT_MAX_ROWS:
                raise DomainError(
                    "import_too_many_rows",
                    f"CSV文件超过{DEFAULT_MAX_ROWS:,}行（空行也计算在内）：请删除空行或拆分为多个文件后再导入",
                )
    except csv.Error as err:
        raise DomainError(
            "import_unreadable", f"CSV文件第{len(rows) + 1}行格式有误（{err}）：请用Excel或WPS另存为CSV后重试"
        ) from None
    return rows


def read_table(data: bytes, filename: str, columns: Sequence[Column], *, what: str = "文件") -> Table:
    """Read an uploaded .xlsx or .csv. Refuses (DomainError) an unreadable file or one without the header."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        rows = _csv_rows(data)
        table = _scan(iter(rows), columns, what)
    else:

        def read_sheet(ws):
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()
            return _scan(ws.iter_rows(values_only=True), columns, what)

        table = first_sheet(io.BytesIO(data), read_sheet, code="import_unreadable", preferred="数据")
    if table is None:
        names = "”“".join(c.label for c in columns if c.required)
        raise DomainError(
            "import_header",
            f"{what}中未找到表头：前{HEADER_SCAN_ROWS}行中没有包含“{names}”的行。"
            "请使用系统提供的模板（.xlsx 或 .csv）",
        )
    if not table.rows:
        raise DomainError("import_empty", f"{what}中没有数据行")
    return table


def write_template(columns: Sequence[Column], example: Sequence[Any], *, title: str = "数据") -> bytes:
    """An .xlsx template: the header row and one grey example row (skipped on import), plus a help sheet."""
    from openpyxl import Workbook  # here: the services import this module; openpyxl takes ~0.1 s to load
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(safe_row([c.label for c in columns]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F1")
    ws.append(safe_row(["示例：" + str(example[0]) if example else "", *example[1:]]))
    for cell in ws[2]:
        cell.font = Font(color="808080", italic=True)
        cell.number_format = "@"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(c.label) * 2 + 4)
    help_ws = wb.create_sheet("填写说明")
    help_ws.append(safe_row(["列名", "是否必填", "说明"]))
    for c in columns:
        help_ws.append(safe_row([c.label, "必填" if c.required else "可选", c.help]))
    help_ws.append(safe_row([]))
    help_ws.append(
        safe_row(
            [
                f"{title}：第2行为示例（以“示例：”开头），导入时跳过；身份证号请设为文本格式；"
                "日期写作 2026-03-01"
            ]
        )
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
