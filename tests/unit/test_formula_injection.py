"""Formula injection (issue 10.3): every workbook and CSV writer in documents/ writes formula-looking text
inert (a leading apostrophe, text kept visible); numbers stay numbers."""

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from pwposts.documents import (
    attendance_xlsx,
    audit_xlsx,
    bank_files,
    contracts_xlsx,
    holidays_xlsx,
    parity_xlsx,
    posts_xlsx,
    roster_xlsx,
)
from pwposts.documents.cells import safe_row, safe_text
from pwposts.domain.people import formula_refusal

EVIL = '=HYPERLINK("http://evil.example/x","点击查看")'
HOSTILE = (
    EVIL,
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
)


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_text_prefixes_every_formula_start(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize(
    "value", [12, -5, 3.5, "-12.00", "+86", "450.00", "张三", "0851-12345678", None, "", date(2026, 1, 1)]
)
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert safe_text(value) == value


def _cells(data: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def _xlsx(write) -> bytes:
    buf = io.BytesIO()
    result = write(buf)
    return result if isinstance(result, bytes) else buf.getvalue()


def _roster_row(evil):
    return [
        1,
        evil,
        "11010519491231002X",
        evil,
        "脱贫人口",
        "半劳力",
        evil,
        "13812345678",
        "6217000000000000000",
        evil,
        evil,
        evil,
        evil,
        "非全日制",
        600,
        20,
        evil,
        evil,
        "社保卡",
    ]


WRITERS = {
    "roster export": lambda e: _xlsx(lambda b: roster_xlsx.write_roster(b, [_roster_row(e)])),
    "roster template": lambda e: _xlsx(lambda b: roster_xlsx.write_template(b, _roster_row(e))),
    "roster error report": lambda e: _xlsx(
        lambda b: roster_xlsx.write_error_report(b, [(2, "姓名", e, f"姓名“{e}”…"), (3, e, e, e)], filename=e)
    ),
    "attendance template": lambda e: _xlsx(
        lambda b: attendance_xlsx.write_template(
            b,
            title=e,
            month="2026-10",
            village_label=e,
            rows=[[1, e, "11010519491231002X", e, 20, 31, 18, 0, 0, None, e, e]],
        )
    ),
    "attendance error report": lambda e: _xlsx(
        lambda b: attendance_xlsx.write_error_report(b, [(2, e, e, e)], filename=e)
    ),
    "posts export": lambda e: posts_xlsx.posts_workbook(
        [
            {
                "code": e,
                "title": e,
                "township": e,
                "village": e,
                "category": e,
                "fund": e,
                "headcount": 1,
                "allowance_fen": 60000,
                "required_days": 20,
                "full_time": False,
                "work_place": e,
                "hours": e,
                "duties": e,
                "need_text": e,
                "eligible_pool": 3,
                "status_label": e,
                "deviation_label": e,
                "deviation_reason": e,
            }
        ],
        heading=e,
    ),
    "audit export": lambda e: audit_xlsx.audit_workbook(
        [(1, datetime(2026, 11, 25, 2), e, "change", "person", e, e, e, e, "0" * 64, "1" * 64)], heading=e
    ),
    "contracts export": lambda e: _xlsx(
        lambda b: contracts_xlsx.write_contracts(
            b,
            [
                [
                    1,
                    e,
                    e,
                    "11010519491231002X",
                    e,
                    e,
                    e,
                    e,
                    "2026-01-01",
                    "2026-12-31",
                    600,
                    20,
                    e,
                    e,
                    e,
                    "2026-01-01",
                ]
            ],
        )
    ),
    "parity report": lambda e: parity_xlsx.parity_workbook(
        heading=e,
        tolerance_pct=10,
        summary=[
            {
                "category": e,
                "standard_fen": 60000,
                "standard_days": 20,
                "count": 1,
                "min_fen": 1,
                "median_fen": 1,
                "max_fen": 1,
                "deviating": 0,
            }
        ],
        townships=[{"category": e, "township": e, "count": 1, "min_fen": 1, "median_fen": 1, "max_fen": 1}],
        deviating=[
            {
                "category": e,
                "code": e,
                "title": e,
                "township": e,
                "village": e,
                "status_label": e,
                "allowance_fen": 1,
                "standard_fen": 1,
                "allowance_pct": None,
                "required_days": 1,
                "standard_days": 1,
                "days_pct": None,
                "exceeds": True,
                "deviation_reason": e,
                "deviation_label": e,
            }
        ],
    ),
    "holidays template": lambda e: holidays_xlsx.holidays_template([(date(2026, 10, 1), e, False)]),
    "bank file": lambda e: bank_files.payment_xlsx(
        [bank_files.BankRow("6217000000000000000", e, -1200, e, e, e)], title=e
    ),
}


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("evil", [EVIL, "＝1+1", "@SUM(1)"])
def test_no_writer_lets_a_formula_through(writer, evil):
    cells = _cells(WRITERS[writer](evil))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert any(t == "'" + evil or ("'" + evil) in t or evil in t for t in texts)
    assert not [t for t in texts if t[:1] in "=＝@＠"], "a text cell still starts with a formula character"


def test_bank_csv_cells_are_prefixed_and_amounts_stay_numbers():
    data = bank_files.payment_csv(
        [bank_files.BankRow("6217000000000000000", EVIL, -1200, "+R1", "@x", "-1+1")]
    )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["1", "6217000000000000000", "'" + EVIL, "-12.00", "'+R1", "'@x", "'-1+1"]


def test_every_writer_in_documents_appends_through_safe_row():
    """A new writer that appends rows without safe_row() fails here."""
    folder = Path(attendance_xlsx.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        if path.name == "cells.py":
            continue
        text = path.read_text(encoding="utf-8")
        # across line breaks: the formatter may put the argument on the next line
        for m in re.finditer(
            r"\b(\w+_)?(ws|hs|sheet)\.append\((?!\s*safe_row\()|\.writerows?\((?!\s*safe_row\(|\s*_payment_table\()",
            text,
        ):
            n = text.count("\n", 0, m.start()) + 1
            offenders.append(f"{path.name}:{n}: {text.splitlines()[n - 1].strip()}")
    assert not offenders


def test_the_writer_itself_refuses_to_keep_a_formula_cell():
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("x")
    cell = openpyxl.cell.WriteOnlyCell(ws, value=EVIL)
    assert cell.data_type == "f"
    (safe,) = safe_row([cell])
    assert safe.data_type == "s" and safe.value == "'" + EVIL


@pytest.mark.parametrize("text", HOSTILE)
def test_person_fields_that_are_formulas_are_refused_in_chinese(text):
    reason = formula_refusal("姓名", text)
    assert reason and "公式" in reason and reason.startswith("姓名“")


def test_ordinary_names_pass():
    assert formula_refusal("姓名", "张三") is None and formula_refusal("姓名", "阿依古丽·买买提") is None
