"""Reading uploaded workbooks (.xlsx, .xls, .ods): the one place that opens them, refuses hostile ones
quickly, and turns a broken file into a Chinese refusal. The cells are read by calamine (python-calamine,
a Rust reader: a 50,000-row roster in about a second where openpyxl took 16 s), which also reads the .xls
of WPS and the .ods of LibreOffice; nothing reaches it before the checks below.

An .xlsx (and an .ods) is a zip archive of XML parts. Before the reader sees a byte, check_archive() reads
only the archive's directory and refuses (in well under a second, with no memory spent) an archive whose
parts unpack to far more than a real workbook: too many parts, too much in total, a part compressed beyond
any real spreadsheet (a "zip bomb" of zeros), a shared-strings table or a sheet above its own limit. The
sizes it reads cannot lie: Python's zipfile never inflates a part beyond its declared size and fails on a
CRC mismatch. scan_sheets() then streams each sheet's XML once (C-speed byte counts, nothing kept) and
refuses a sheet with more rows — blank ones included, and the row numbers it names — than the importer
takes, a row with more cells than Excel allows, or a used area (rows × columns) that the reader would
have to hold in memory beyond MAX_CELLS. An .ods keeps all its sheets in content.xml: its rows and their
repeat counts are counted the same way. An .xls (OLE2, not zip) is limited by its file size (Excel 97
caps a sheet at 65,536 × 256) and its used area is checked before any row reaches Python. While the
importer reads, every row counts against the same limit, and reading stops when the time budget is spent.
"""

from __future__ import annotations

import re
import time
import zipfile
from datetime import date, datetime
from typing import IO, Callable, Iterator, TypeVar

from python_calamine import CalamineWorkbook

from ..domain.errors import DomainError

T = TypeVar("T")

UNREADABLE = (
    "文件无法读取：请上传 Excel 工作簿（.xlsx 或 .xls）或 WPS/LibreOffice 表格（.xls、.ods）"
    "（.et 或 .csv 文件请先在 Excel/WPS 中“另存为” .xlsx）"
)
DAMAGED = "文件内容无法解析，可能已损坏：请在 Excel 中打开并重新保存为 .xlsx 后再上传"

MB = 1024 * 1024
MAX_ENTRIES = 1_000  # a real workbook has a few dozen parts
MAX_UNPACKED = 320 * MB  # all parts together, unpacked
MAX_SHEET = 256 * MB  # one worksheet's XML (the export of 100,000 roster rows is 112 MB)
BYTES_PER_ROW = 2_560  # a sheet may take this much XML per row the importer accepts (roster rows: ~1,100) …
MIN_SHEET = 16 * MB  # … but never less than this
MAX_PART = 32 * MB  # any other part (styles, workbook, drawings …)
MAX_SHARED_STRINGS = 32 * MB  # the reader keeps every shared string in memory
MAX_RATIO = 200  # real spreadsheet XML deflates 5–50×; zeros deflate ~1000×
RATIO_FROM = 1 * MB  # the ratio is only judged on parts that unpack to more than this
MAX_CELLS_PER_ROW = 16_384  # Excel's last column, XFD
MAX_CELLS = 8_000_000  # used area (rows × columns) of one sheet: the reader holds it whole (~32 bytes a cell)
MAX_XLS = 32 * MB  # an .xls file (not compressed: its size bounds what it holds)
DEFAULT_MAX_ROWS = 100_020  # rows of a sheet (blank ones included) when the importer names no limit
READ_SECONDS = 180.0  # time budget for reading one upload (100,000 roster rows take a few seconds)
_CHUNK = 1 * MB
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound-file signature of .xls (and .et, .doc …)
_ODS_CONTENT = "content.xml"

_REFUSE = (
    "，系统拒绝读取（可能是异常或恶意构造的文件）。"
    "请在 Excel/WPS 中只保留要导入的内容，另存为新的 .xlsx 后再上传"
)


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def _part_label(name: str) -> str:
    m = re.fullmatch(r"xl/worksheets/(sheet\d*)\.xml", name)
    if name == _ODS_CONTENT:
        return "表格内容（content.xml）"
    return f"工作表 {m.group(1)}" if m else name


def _is_sheet(name: str) -> bool:
    if name == _ODS_CONTENT:
        return True
    return name.startswith("xl/worksheets/") and name.endswith(".xml") and "/_rels/" not in name


def sheet_limit(max_rows: int) -> int:
    """The most XML one sheet may unpack to for an importer that takes max_rows rows."""
    return min(MAX_SHEET, max(MIN_SHEET, max_rows * BYTES_PER_ROW))


def check_archive(stream: IO[bytes], *, code: str, max_sheet: int = MAX_SHEET) -> list[str]:
    """Refuse an archive that unpacks to far more than a real workbook; return the worksheet part names.

    Reads only the zip directory. A stream that is not a zip archive at all raises UNREADABLE.
    """
    try:
        stream.seek(0)
        with zipfile.ZipFile(stream) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DomainError(code, UNREADABLE) from None
    finally:
        stream.seek(0)
    if len(infos) > MAX_ENTRIES:
        raise DomainError(
            code, f"文件结构异常：压缩包内有{len(infos):,}个部件（正常的 Excel 文件只有几十个）" + _REFUSE
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise DomainError(code, f"文件解压后达{_mb(total)}，超过上限{_mb(MAX_UNPACKED)}" + _REFUSE)
    for info in infos:
        name, size = info.filename, info.file_size
        if size > RATIO_FROM and size > MAX_RATIO * max(info.compress_size, 1):
            ratio = size / max(info.compress_size, 1)
            raise DomainError(
                code,
                f"文件中的“{_part_label(name)}”压缩比异常（解压后{_mb(size)}，"
                f"是压缩后的{ratio:,.0f}倍，正常的 Excel 文件不超过{MAX_RATIO}倍）" + _REFUSE,
            )
        if name.lower().endswith("sharedstrings.xml") and size > MAX_SHARED_STRINGS:
            raise DomainError(
                code,
                f"文件中的文字内容（共享字符串表）解压后达{_mb(size)}，超过上限{_mb(MAX_SHARED_STRINGS)}"
                + _REFUSE,
            )
        if _is_sheet(name):
            if size > max_sheet:
                raise DomainError(
                    code,
                    f"{_part_label(name)}解压后达{_mb(size)}，超过本项导入的上限{_mb(max_sheet)}："
                    "请删除多余的行和列，或按乡镇或村拆分文件后分批导入",
                )
        elif size > MAX_PART:
            raise DomainError(code, f"文件中的“{name}”解压后达{_mb(size)}，超过上限{_mb(MAX_PART)}" + _REFUSE)
    return [i.filename for i in infos if _is_sheet(i.filename)]


def too_many_rows(code: str, max_rows: int) -> DomainError:
    return DomainError(
        code,
        f"工作表超过{max_rows:,}行（空行也计算在内），超过一次导入的上限：请删除表格下方多余的空行，"
        "或按乡镇或村拆分文件后分批导入",
    )


def out_of_time(code: str, seconds: float) -> DomainError:
    return DomainError(
        code,
        f"读取文件超过{seconds:.0f}秒仍未完成，已停止，未写入任何数据：文件过大或结构异常，"
        "请按乡镇或村拆分文件后分批导入",
    )


def too_wide(code: str, rows: int, columns: int) -> DomainError:
    return DomainError(
        code,
        f"工作表的使用区域达{rows:,}行×{columns:,}列，超过一次读取的上限（{MAX_CELLS:,}个单元格）："
        "请删除表格右侧和下方多余的内容（包括空格、格式），或按乡镇或村拆分文件后分批导入",
    )


def scan_sheets(
    stream: IO[bytes], sheets: list[str], *, code: str, max_rows: int, deadline: float | None = None
) -> None:
    """Stream each worksheet's XML once and count its rows and, per row, its cells (nothing is kept).

    Refuses a sheet with more than max_rows rows (counted, or named by a row number), a row with more than
    MAX_CELLS_PER_ROW cells, or a used area of more than MAX_CELLS cells.
    """
    try:
        with zipfile.ZipFile(stream) as zf:
            for name in sheets:
                with zf.open(name) as part:
                    scan = _scan_ods if name == _ODS_CONTENT else _scan
                    rows, width = scan(part, name, code=code, max_rows=max_rows, deadline=deadline)
                    if rows * width > MAX_CELLS:
                        raise too_wide(code, rows, width)
    except DomainError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        raise DomainError(code, DAMAGED) from None
    finally:
        stream.seek(0)


def _too_many_cells(code: str, name: str, row: int) -> DomainError:
    return DomainError(
        code,
        f"{_part_label(name)}第{max(row, 1):,}行附近有一行超过"
        f"{MAX_CELLS_PER_ROW:,}个单元格（Excel 最多{MAX_CELLS_PER_ROW:,}列）" + _REFUSE,
    )


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _scan(part, name: str, *, code: str, max_rows: int, deadline: float | None) -> tuple[int, int]:
    """(rows, columns) of one .xlsx sheet: the used area the reader will hold (columns 0 when no row is long
    enough to matter)."""
    head = part.read(_CHUNK)
    m = re.search(rb"<(\w+:)?worksheet[\s>]", head[:8192])
    prefix = (m.group(1) or b"") if m else b""
    row_tag = b"<" + prefix + b"row"
    cell_tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/"))
    # only row numbers with as many digits as the limit, and columns past Z, can be too far: C-speed
    # searches that find nothing in a normal sheet
    digits = len(str(max_rows))
    far_row = re.compile(rb' r="(\d{%d,})"' % digits)  # a cell's r= starts with its column letters
    far_column = re.compile(rb' r="([A-Z]{2,4})\d')
    # a row of w cells takes at least 4w bytes ("<c/>"): rows shorter than this cannot make the used area
    # exceed MAX_CELLS, and only reads holding a longer row are looked at row by row
    long_row = 4 * max(1, MAX_CELLS // max(max_rows, 1))
    rows = last_row = widest = 0
    open_cells = open_bytes = 0  # cells and bytes of the row still open at the end of the last read
    chunk, carry = head, b""
    while chunk:
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut > len(data) - 64:  # a tag may be split between two reads: keep its start for the next one
            data, carry = data[:cut], data[cut:]
        else:
            carry = b""
        pieces = data.split(row_tag)  # pieces[0] continues the open row; each other piece is one row
        rows += len(pieces) - 1
        if rows > max_rows:
            raise too_many_rows(code, max_rows)
        numbers = far_row.findall(data)
        if numbers:
            last_row = max(last_row, max(map(int, numbers)))
            if last_row > max_rows:
                raise too_many_rows(code, max_rows)
        columns = far_column.findall(data)
        if columns:
            widest = max(widest, _column_number(max(columns, key=lambda c: (len(c), c))))
            if widest > MAX_CELLS_PER_ROW:
                raise _too_many_cells(code, name, rows)
        if open_bytes + len(pieces[0]) >= long_row or max(map(len, pieces)) >= long_row:
            for i, piece in enumerate(pieces):
                if i:
                    widest = max(widest, open_cells)
                    open_cells = open_bytes = 0
                open_cells += sum(piece.count(t) for t in cell_tags)
                if open_cells > MAX_CELLS_PER_ROW:
                    raise _too_many_cells(code, name, rows)
                open_bytes += len(piece)
        elif len(pieces) > 1:
            open_bytes = len(pieces[-1])
            open_cells = sum(pieces[-1].count(t) for t in cell_tags)
        else:
            open_bytes += len(pieces[0])
            open_cells += sum(pieces[0].count(t) for t in cell_tags)
        if deadline is not None and time.monotonic() > deadline:
            raise out_of_time(code, READ_SECONDS)
        chunk = part.read(_CHUNK)
    return max(rows, last_row), max(widest, open_cells)


_ODS_ROW = re.compile(rb"<table:table-row[\s>/]")
_ODS_ROWS_REPEATED = re.compile(rb'[^>]*?table:number-rows-repeated="(\d+)"')
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*)>")
_ODS_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')
_ODS_MAX_ROW_BYTES = 8 * MB  # one row's XML (16,384 cells of text)


def _scan_ods(part, name: str, *, code: str, max_rows: int, deadline: float | None) -> tuple[int, int]:
    """(rows, columns) of the largest used area among the sheets of an .ods content.xml.

    A row or cell may stand for many (number-rows-repeated, number-columns-repeated): LibreOffice writes
    the empty rest of a sheet as one row repeated a million times, which the reader skips; a repeated row or
    cell holding a value counts as often as it is repeated.
    """
    rows = used_rows = widest = area = 0
    carry = b""
    while True:
        chunk = part.read(_CHUNK)
        data = carry + chunk
        starts = [m.start() for m in _ODS_ROW.finditer(data)]
        if chunk and starts:  # the last row may go on in the next read
            body, carry = data[: starts[-1]], data[starts[-1] :]
            starts = starts[:-1]
        elif chunk:
            body, carry = b"", data
        else:
            body, carry = data, b""
        if len(carry) > _ODS_MAX_ROW_BYTES:
            raise _too_many_cells(code, name, rows)
        if b"<table:table " in body or b"<table:table>" in body:  # a new sheet starts: its own area
            area = max(area, used_rows * widest)
            rows = used_rows = widest = 0  # (conservative: the sheets before it were counted above)
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(body)
            row = body[start:end]
            m = _ODS_ROWS_REPEATED.match(row, 1)
            repeat = int(m.group(1)) if m else 1
            column = used = 0
            for attrs in _ODS_CELL.findall(row):
                n = _ODS_COLUMNS_REPEATED.search(attrs)
                column += int(n.group(1)) if n else 1
                if b"value-type" in attrs:
                    used = column
            rows += repeat
            if used:
                if column > MAX_CELLS_PER_ROW:
                    raise _too_many_cells(code, name, rows)
                used_rows, widest = rows, max(widest, used)
                if used_rows > max_rows:
                    raise too_many_rows(code, max_rows)
        if deadline is not None and time.monotonic() > deadline:
            raise out_of_time(code, READ_SECONDS)
        if not chunk:
            break
    return 1, max(area, used_rows * widest)


class GuardedSheet:
    """A worksheet whose iter_rows counts every row it yields against max_rows, and stops when the
    reading's time budget is spent."""

    def __init__(self, ws, *, code: str, max_rows: int, deadline: float):
        self._ws, self._code, self._max_rows, self._deadline = ws, code, max_rows, deadline

    def __getattr__(self, name):
        return getattr(self._ws, name)

    def iter_rows(self, *args, **kwargs) -> Iterator[tuple]:
        for n, row in enumerate(self._ws.iter_rows(*args, **kwargs), start=1):
            if n > self._max_rows:
                raise too_many_rows(self._code, self._max_rows)
            if n % 256 == 0 and time.monotonic() > self._deadline:
                raise out_of_time(self._code, READ_SECONDS)
            yield row


def _value(v):
    """A calamine cell as openpyxl gave it: an empty cell None, a whole number an int (below 2**53, where a
    float is exact — a longer number, e.g. an ID number Excel stored as 5.22701E+17, stays a float), a
    date a datetime at midnight; text, floats, datetimes, times and booleans as they are."""
    t = type(v)
    if t is str:
        return v if v else None
    if t is float:
        return int(v) if v.is_integer() and -(2**53) < v < 2**53 else v
    if t is date:
        return datetime(v.year, v.month, v.day)
    return v


class CalamineSheet:
    """One worksheet read by calamine, shaped as the importers read openpyxl's: .title and
    .iter_rows(values_only=True) yielding tuples from A1 (rows and columns before the used area padded)."""

    def __init__(self, book: CalamineWorkbook, index: int, title: str, *, code: str, max_rows: int):
        self._book, self._index, self.title = book, index, title
        self._code, self._max_rows = code, max_rows

    def iter_rows(self, values_only: bool = True, **_ignored) -> Iterator[tuple]:
        try:
            sheet = self._book.get_sheet_by_index(self._index)
        except Exception:
            raise DomainError(self._code, DAMAGED) from None
        end = sheet.end
        if end is None:
            return
        start_column = sheet.start[1] if sheet.start else 0
        height, width = end[0] + 1, end[1] + 1
        if height > self._max_rows:
            raise too_many_rows(self._code, self._max_rows)
        if height * width > MAX_CELLS:
            raise too_wide(self._code, height, width)
        pad = (None,) * start_column
        value = _value
        for row in sheet.iter_rows():  # text, the most cells, inline: _value(v) for the others
            yield pad + tuple([(v or None) if type(v) is str else value(v) for v in row])


class CalamineBook:
    """The workbook as the importers use it: .worksheets (file order, chart sheets left out), close()."""

    def __init__(self, book: CalamineWorkbook, *, code: str, max_rows: int):
        self._book = book
        self.worksheets = [
            CalamineSheet(book, i, meta.name, code=code, max_rows=max_rows)
            for i, meta in enumerate(book.sheets_metadata)
            if "WorkSheet" in str(meta.typ)
        ]

    def close(self) -> None:
        self._book.close()


def file_kind(stream: IO[bytes]) -> str:
    """'zip' (.xlsx or .ods), 'xls' (an OLE2 compound file) — or UNREADABLE, by the first bytes."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head == _OLE2:
        return "xls"
    return ""


def open_workbook(
    stream: IO[bytes], *, code: str, max_rows: int = DEFAULT_MAX_ROWS, seconds: float = READ_SECONDS
):
    """Check the file (archive and every sheet, or an .xls's size), then open it with calamine.

    Returns (workbook, guard) where guard(ws) wraps a worksheet in a GuardedSheet on the same budget.
    The caller closes the workbook.
    """
    deadline = time.monotonic() + seconds
    kind = file_kind(stream)
    if kind == "zip":
        sheets = check_archive(stream, code=code, max_sheet=sheet_limit(max_rows))
        scan_sheets(stream, sheets, code=code, max_rows=max_rows, deadline=deadline)
    elif kind == "xls":
        size = stream.seek(0, 2)
        stream.seek(0)
        if size > MAX_XLS:
            raise DomainError(
                code,
                f".xls 文件达{_mb(size)}，超过上限{_mb(MAX_XLS)}：请另存为 .xlsx，或按乡镇或村拆分后分批导入",
            )
    else:
        raise DomainError(code, UNREADABLE)
    try:
        book = CalamineWorkbook.from_filelike(stream)
    except Exception:  # zip, XML, OLE2 or calamine errors: the upload is not a usable workbook
        raise DomainError(code, UNREADABLE) from None
    wb = CalamineBook(book, code=code, max_rows=max_rows)
    return wb, (lambda ws: GuardedSheet(ws, code=code, max_rows=max_rows, deadline=deadline))


def first_sheet(
    stream: IO[bytes],
    read_sheet: Callable[[object], T | None],
    *,
    code: str,
    preferred: str,
    skip: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> T | None:
    """Open the workbook read-only and return read_sheet(ws) for the first sheet it accepts (the sheet
    named `preferred` first, `skip` — a help sheet — never); None when no sheet is accepted.

    A file that is not a workbook, breaks while being read, is hostile (see check_archive), has a sheet of
    more than max_rows rows (blank ones included) or takes longer than the time budget raises
    DomainError(code) in Chinese; DomainErrors raised by read_sheet pass through unchanged.
    """
    wb, guard = open_workbook(stream, code=code, max_rows=max_rows)
    try:
        sheets = sorted(
            (ws for ws in wb.worksheets if skip is None or ws.title.strip() != skip),
            key=lambda ws: ws.title.strip() != preferred,
        )
        for ws in sheets:
            result = read_sheet(guard(ws))
            if result is not None:
                return result
    except DomainError:
        raise
    except Exception:
        raise DomainError(code, DAMAGED) from None
    finally:
        wb.close()
    return None
