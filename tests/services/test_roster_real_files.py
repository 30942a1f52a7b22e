"""Real 花名册 files (issue 7.8): 合计/小计 rows, signature lines (one merged cell or spread over several
cells) and notes below the people are skipped and listed; the export fills the post and contract columns."""

import io
from datetime import date

import openpyxl
from sqlalchemy import select

from pwposts.documents import roster_xlsx
from pwposts.documents.roster_xlsx import COLUMNS, read_roster
from pwposts.models.audit import AuditEntry
from pwposts.services import roster
from pwposts.services.people import PersonFilter
from tests.builders import make_id_number
from tests.payroll_support import make_contract, make_fund, make_post

TODAY = date(2026, 11, 25)


def real_roster() -> io.BytesIO:
    """Title row, header, two people, a 合计 row, a signature line in one merged cell, one spread over cells,
    a note — as townships send them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["东坪镇2026年乡村公益性岗位人员花名册"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "姓名", "身份证号", "所在村组", "人员类别", "月补贴标准"])
    ws.append([1, "周新一", make_id_number(date(1980, 1, 2), "M", seq=81), "东坪一村", "脱贫人口", 600])
    ws.append([2, "吴新二", make_id_number(date(1982, 3, 4), "F", seq=82), "东坪一村", None, 600])
    ws.append(["合计", None, None, None, None, 1200])
    ws.append([None, "小计：2人"])
    ws.append(["制表人：王五        审核人：赵六        填表日期：2026年11月20日"])
    ws.merge_cells(f"A{ws.max_row}:F{ws.max_row}")
    ws.append([None, "负责人（签字）：", None, "填表日期：", "2026-11-20"])
    ws.append(["注：1.本表一式三份；2.身份证号请设为文本格式"])
    for row in ws.iter_rows(min_row=3, max_row=4):
        row[2].data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def test_totals_signatures_and_notes_are_skipped_and_listed(session, county):
    sheet = read_roster(real_roster())
    assert [r.number for r in sheet.rows] == [3, 4]
    assert [(s.number, s.reason) for s in sheet.skipped] == [
        (5, "合计/小计行"),
        (6, "合计/小计行"),
        (7, "签字栏（制表人、审核人、日期等）"),
        (8, "签字栏（制表人、审核人、日期等）"),
        (9, "备注说明"),
    ]
    assert sheet.skipped[2].text.startswith("制表人：王五")
    result = roster.import_roster(
        session, county.users["town"], sheet, TODAY, filename="东坪镇花名册.xlsx", apply=True
    )
    session.commit()
    assert result.ok and result.created == 2 and len(result.skipped) == 5
    summary = session.scalar(select(AuditEntry.summary).where(AuditEntry.action == "import_roster"))
    assert "新增2人" in summary and "跳过5行非人员行" in summary


def test_a_row_with_an_id_number_is_never_skipped():
    assert roster_xlsx.skip_reason(["合计", "522701198001020813"], "522701198001020813") is None
    assert roster_xlsx.skip_reason(["审核人：", None], None) == "签字栏（制表人、审核人、日期等）"
    assert roster_xlsx.skip_reason(["王审核", None], None) is None


def test_preview_page_lists_the_skipped_rows(session, login_as):
    client = login_as("town")
    r = client.post(
        "/people/roster/import",
        data={"file": (real_roster(), "东坪镇花名册.xlsx")},
        content_type="multipart/form-data",
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page[:2000]
    assert "已跳过的行（5 行" in page and "合计/小计行" in page and "制表人：王五" in page


def test_export_fills_post_and_contract_columns(session, county):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund, title="村庄保洁员")
    make_contract(session, county.persons["wang"], post, start=date(2026, 3, 1), end=date(2027, 2, 28))
    make_contract(
        session,
        county.persons["li"],
        post,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status="terminated",
        exit_on=date(2025, 6, 30),
    ).end_reason = "本人申请"
    session.commit()
    buf = io.BytesIO()
    roster_xlsx.write_roster(buf, roster.export_rows(session, county.users["admin"], PersonFilter(), TODAY))
    buf.seek(0)
    ws = openpyxl.load_workbook(buf).active
    keys = [k for k, _ in COLUMNS]
    rows = {r[1]: dict(zip(keys, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    wang = rows["王秀英"]
    village = county.villages[0].name
    assert (
        wang["post_name"],
        wang["employer"],
        wang["fund"],
        wang["full_time"],
        wang["allowance"],
        wang["required_days"],
        wang["contract_dates"],
        wang["exit"],
    ) == (
        "村庄保洁员",
        f"{village}村民委员会",
        "衔接推进乡村振兴补助资金",
        "非全日制",
        600,
        20,
        "2026-03-01至2027-02-28",
        None,
    )
    li = rows["李建国"]
    assert li["post_name"] == "村庄保洁员" and li["exit"] == "2025-06-30 本人申请"
    assert rows["赵喆"]["post_name"] is None
