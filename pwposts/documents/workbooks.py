"""Reading uploaded .xlsx files: one place that opens them and turns a broken file into a Chinese refusal."""
from __future__ import annotations

from typing import IO, Callable, TypeVar

from openpyxl import load_workbook

from ..domain.errors import DomainError

T = TypeVar("T")

UNREADABLE = ("文件无法读取：请上传 Excel 2007 及以上版本的 .xlsx 文件"
              "（.xls、.et 或 .csv 文件请先在 Excel/WPS 中“另存为” .xlsx）")
DAMAGED = "文件内容无法解析，可能已损坏：请在 Excel 中打开并重新保存为 .xlsx 后再上传"


def first_sheet(stream: IO[bytes], read_sheet: Callable[[object], T | None], *, code: str,
                preferred: str, skip: str | None = None) -> T | None:
    """Open the workbook read-only and return read_sheet(ws) for the first sheet it accepts (the sheet
    named `preferred` first, `skip` — a help sheet — never); None when no sheet is accepted.

    A file that is not a workbook, or breaks while being read, raises DomainError(code) in Chinese;
    DomainErrors raised by read_sheet pass through unchanged.
    """
    try:
        wb = load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # zip, XML or openpyxl errors: the upload is not a usable .xlsx
        raise DomainError(code, UNREADABLE) from None
    try:
        sheets = sorted((ws for ws in wb.worksheets if skip is None or ws.title.strip() != skip),
                        key=lambda ws: ws.title.strip() != preferred)
        for ws in sheets:
            result = read_sheet(ws)
            if result is not None:
                return result
    except DomainError:
        raise
    except Exception:
        raise DomainError(code, DAMAGED) from None
    finally:
        wb.close()
    return None
