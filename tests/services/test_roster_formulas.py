"""A 花名册 whose 姓名 (or 开户人, 户编号) is a formula is refused with the reason; nothing is written."""

import io
from datetime import date

import openpyxl
from sqlalchemy import func, select

from pwposts.documents.roster_xlsx import read_roster
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Person
from pwposts.services import roster
from tests.builders import make_id_number

TODAY = date(2026, 11, 25)
EVIL = '=HYPERLINK("http://evil.example/x","点击查看")'


def _text_workbook(rows) -> io.BytesIO:
    """Cells stored as text (as Excel does for a text-formatted
    column), so "=…" reaches the reader as text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_formula_names_are_refused_with_the_reason_and_nothing_is_written(session, county):
    before = (
        session.scalar(select(func.count(Person.id))),
        session.scalar(select(func.count(AuditEntry.id))),
    )
    rows = [
        ("姓名", "身份证号", "所在村组", "开户人", "户编号"),
        (EVIL, make_id_number(date(1980, 1, 2), "M", seq=71), "东坪一村", None, None),
        ("张三", make_id_number(date(1981, 1, 2), "M", seq=72), "东坪一村", "＠SUM(1)", None),
        ("李四", make_id_number(date(1982, 1, 2), "M", seq=73), "东坪一村", None, "+1234"),
    ]
    result = roster.import_roster(
        session,
        county.users["town"],
        read_roster(_text_workbook(rows)),
        TODAY,
        filename="测试.xlsx",
        apply=True,
    )
    session.commit()
    found = {(e.row, e.column): e.reason for e in result.errors}
    assert found[(2, "姓名")].startswith("姓名“=HYPERLINK") and "当作公式执行" in found[(2, "姓名")]
    assert "开户人" in found[(3, "开户人")] and "公式" in found[(3, "开户人")]
    assert "户编号" in found[(4, "户编号")] and "公式" in found[(4, "户编号")]
    assert not result.applied
    assert (
        session.scalar(select(func.count(Person.id))),
        session.scalar(select(func.count(AuditEntry.id))),
    ) == before
