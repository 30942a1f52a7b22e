"""The one cell writer of every workbook and CSV the system produces: text that a spreadsheet would run as
a formula (=HYPERLINK(…), +cmd|…, -1+1, @SUM(…), a leading tab or CR, or their full-width forms) is
written inert, prefixed with an apostrophe, so the text stays visible and nothing runs. Numbers stay
numbers, and a plain number written as text ("-12.00", an amount in a bank file) is left as it is.

openpyxl stores any str starting with "=" as a formula (data_type 'f'); the others would run when the
file is opened as CSV or a cell is edited. Every writer in documents/ passes its rows through safe_row()
(or single values through safe_text()); tests/unit/test_formula_injection.py holds each writer to it.
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, Iterable

from ..domain.people import FORMULA_STARTS

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_text(value: Any) -> Any:
    """value, or — for text a spreadsheet would run as a formula — the same text after an apostrophe."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_cell(cell: Cell) -> Cell:
    """A prepared cell (WriteOnlyCell with its formats) with its text made inert."""
    if isinstance(cell.value, str):
        cell.value = safe_text(cell.value)
        if cell.data_type == "f":  # cannot happen after safe_text; never let a formula through
            cell.data_type = "s"
    return cell


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row for ws.append() or csv.writer.writerow(): every text value (or prepared cell) made inert."""
    # openpyxl's Cell looked up, not imported: the services import the writers, and loading openpyxl costs
    # ~0.1 s at every start of a command; with openpyxl not loaded, no value can be one of its cells
    cells = sys.modules.get("openpyxl.cell.cell")
    if cells is None:
        return [safe_text(v) for v in values]
    return [safe_cell(v) if isinstance(v, cells.Cell) else safe_text(v) for v in values]
