"""Reading uploaded .xlsx files: the one place that opens them, refuses hostile ones quickly, and turns a
broken file into a Chinese refusal.

An .xlsx is a zip archive of XML parts. Before openpyxl sees a byte, check_archive() reads only the
archive's directory and refuses (in well under a second, with no memory spent) an archive whose parts
unpack to far more than a real workbook: too many parts, too much in total, a part compressed beyond any
real spreadsheet (a "zip bomb" of zeros), a shared-strings table or a sheet above its own limit. The sizes
it reads cannot lie: Python's zipfile never inflates a part beyond its declared size and fails on a CRC
mismatch. scan_sheets() then streams each sheet's XML once (C-speed byte counts, nothing kept) and refuses
a sheet with more rows — blank ones included — than the importer takes, or a row with more cells than
Excel allows. While the importer reads, every row openpyxl yields (the empty rows it invents for gaps
too) counts against the same limit, and reading stops when the time budget is spent.
"""

from __future__ import annotations

import re
import time
import zipfile
from typing import IO, Callable, Iterator, TypeVar

from openpyxl import load_workbook

from ..domain.errors import DomainError

T = TypeVar("T")

UNREADABLE = (
    "文件无法读取：请上传 Excel 2007 及以上版本的 .xlsx 文件"
    "（.xls、.et 或 .csv 文件请先在 Excel/WPS 中“另存为” .xlsx）"
)
DAMAGED = "文件内容无法解析，可能已损坏：请在 Excel 中打开并重新保存为 .xlsx 后再上传"

MB = 1024 * 1024
MAX_ENTRIES = 1_000  # a real workbook has a few dozen parts
MAX_UNPACKED = 320 * MB  # all parts together, unpacked
MAX_SHEET = 256 * MB  # one worksheet's XML (the export of 100,000 roster rows is 112 MB)
BYTES_PER_ROW = 2_560  # a sheet may take this much XML per row the importer accepts (roster rows: ~1,100) …
MIN_SHEET = 16 * MB  # … but never less than this
MAX_PART = 32 * MB  # any other part (styles, workbook, drawings …)
MAX_SHARED_STRINGS = 32 * MB  # openpyxl keeps every shared string in memory
MAX_RATIO = 200  # real spreadsheet XML deflates 5–50×; zeros deflate ~1000×
RATIO_FROM = 1 * MB  # the ratio is only judged on parts that unpack to more than this
MAX_CELLS_PER_ROW = 16_384  # Excel's last column, XFD
DEFAULT_MAX_ROWS = 100_020  # rows of a sheet (blank ones included) when the importer names no limit
READ_SECONDS = 180.0  # time budget for reading one upload (100,000 roster rows take 15–60 s)
_CHUNK = 1 * MB
_MIN_ROW_BYTES = 4 * MAX_CELLS_PER_ROW  # the fewest bytes a row of too many cells can take

_REFUSE = (
    "，系统拒绝读取（可能是异常或恶意构造的文件）。请在 Excel/WPS 中只保留要导入的内容，"
    "另存为新的 .xlsx 后再上传"
)


def _mb(size: int) -> str:
    return f"{size / MB:,.1f} MB"


def _part_label(name: str) -> str:
    m = re.fullmatch(r"xl/worksheets/(sheet\d*)\.xml", name)
    return f"工作表 {m.group(1)}" if m else name


def _is_sheet(name: str) -> bool:
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


def scan_sheets(
    stream: IO[bytes], sheets: list[str], *, code: str, max_rows: int, deadline: float | None = None
) -> None:
    """Stream each worksheet's XML once and count its <row> and, per row, <c> elements (nothing is kept).

    Refuses a sheet with more than max_rows row elements or a row with more than MAX_CELLS_PER_ROW cells.
    """
    try:
        with zipfile.ZipFile(stream) as zf:
            for name in sheets:
                with zf.open(name) as part:
                    _scan(part, name, code=code, max_rows=max_rows, deadline=deadline)
    except DomainError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        raise DomainError(code, DAMAGED) from None
    finally:
        stream.seek(0)


def _scan(part, name: str, *, code: str, max_rows: int, deadline: float | None) -> None:
    head = part.read(_CHUNK)
    m = re.search(rb"<(\w+:)?worksheet[\s>]", head[:8192])
    prefix = (m.group(1) or b"") if m else b""
    row_tag = b"<" + prefix + b"row"
    cell_tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/"))
    rows = 0
    open_cells = open_bytes = 0  # cells and bytes of the row still open at the end of the last read
    chunk, carry = head, b""
    while chunk:
        data = carry + chunk
        cut = data.rfind(b"<")
        if cut > len(data) - 32:  # a tag may be split between two reads: keep its start for the next one
            data, carry = data[:cut], data[cut:]
        else:
            carry = b""
        pieces = data.split(row_tag)  # pieces[0] continues the open row; each other piece is one row
        rows += len(pieces) - 1
        if rows > max_rows:
            raise too_many_rows(code, max_rows)
        # a row of more than MAX_CELLS_PER_ROW cells takes at least 4 bytes ("<c/>") a cell: look at each
        # row only in a read holding a row that long (a C-speed length test, so millions of short rows cost
        # no Python loop); otherwise only the row left open is counted
        if open_bytes + len(pieces[0]) >= _MIN_ROW_BYTES or max(map(len, pieces)) >= _MIN_ROW_BYTES:
            for i, piece in enumerate(pieces):
                if i:
                    open_cells = open_bytes = 0
                open_cells += sum(piece.count(t) for t in cell_tags)
                if open_cells > MAX_CELLS_PER_ROW:
                    raise DomainError(
                        code,
                        f"{_part_label(name)}第{max(rows, 1):,}行附近有一行超过"
                        f"{MAX_CELLS_PER_ROW:,}个单元格（Excel 最多{MAX_CELLS_PER_ROW:,}列）" + _REFUSE,
                    )
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


class GuardedSheet:
    """A read-only worksheet whose iter_rows counts every row it yields — the empty rows openpyxl invents
    for gaps too — against max_rows, and stops when the reading's time budget is spent."""

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


def open_workbook(
    stream: IO[bytes], *, code: str, max_rows: int = DEFAULT_MAX_ROWS, seconds: float = READ_SECONDS
):
    """Check the archive and every sheet, then open the workbook read-only.

    Returns (workbook, guard) where guard(ws) wraps a worksheet in a GuardedSheet on the same budget.
    The caller closes the workbook.
    """
    deadline = time.monotonic() + seconds
    sheets = check_archive(stream, code=code, max_sheet=sheet_limit(max_rows))
    scan_sheets(stream, sheets, code=code, max_rows=max_rows, deadline=deadline)
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # zip, XML or openpyxl errors: the upload is not a usable .xlsx
        raise DomainError(code, UNREADABLE) from None
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
