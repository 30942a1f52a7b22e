"""The attendance screens: village-month sheet, Excel template and import, township approval, grades."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from pwposts.domain.people import mask_id_number
from pwposts.models.contracts import Assessment
from pwposts.models.pay import AttendanceRecord
from pwposts.services.attendance import holders_for_month
from pwposts.services.audit import verify_chain
from tests.attendance_support import build_holders


@pytest.fixture
def h(session, county):
    holders = build_holders(session, county)
    session.commit()
    return holders


def sheet_url(county, month="2026-10", village=0):
    return f"/pay/attendance/{county.villages[village].id}/{month}"


def records(session):
    session.expire_all()
    return session.scalar(select(func.count(AttendanceRecord.id)))


def test_village_clerk_lands_on_the_village_sheet_prefilled(login_as, county, h):
    c = login_as("village")
    r = c.get("/pay/attendance")
    assert r.status_code == 302 and r.headers["Location"].endswith(sheet_url(county))
    page = c.get(sheet_url(county)).get_data(as_text=True)
    for text in ("王秀英", "李建国", "孙小红", "HT-2026-0001", "提前终止", "下载本月考勤模板"):
        assert text in page
    assert "赵喆" not in page
    assert c.get(sheet_url(county, village=2)).status_code == 404
    home = c.get("/").get_data(as_text=True)
    assert "/pay/attendance" in home and "未录入考勤" in home


def test_saving_a_draft_then_the_township_approves(login_as, session, county, h):
    c = login_as("village")
    wang, li = h.contracts["wang"].id, h.contracts["li"].id
    r = c.post(
        sheet_url(county),
        data={
            f"c{wang}_days_worked": "20",
            f"c{wang}_leave_days": "1",
            f"c{li}_dates": "16-20",
            f"c{li}_hours": "25",
        },
    )
    assert r.status_code == 302
    assert records(session) == 2
    page = c.get(sheet_url(county)).get_data(as_text=True)
    assert "已保存（待审核）" in page and "待审核" in page
    assert (
        c.post(
            "/pay/attendance/approve", data={"region_id": county.townships[0].id, "month": "2026-10"}
        ).status_code
        == 403
    )
    assert (
        records(session) == 2
        and session.scalar(
            select(func.count(AttendanceRecord.id)).where(AttendanceRecord.status == "approved")
        )
        == 0
    )

    t = login_as("town")
    overview = t.get("/pay/attendance?month=2026-10").get_data(as_text=True)
    assert (
        "东坪一村" in overview and "审核东坪镇已录入的考勤（2人）" in overview and "data-confirm" in overview
    )
    r = t.post(
        "/pay/attendance/approve",
        data={"region_id": county.townships[0].id, "month": "2026-10"},
        follow_redirects=True,
    )
    assert "已审核2026年10月考勤2条" in r.get_data(as_text=True)
    session.expire_all()
    assert (
        session.scalar(select(func.count(AttendanceRecord.id)).where(AttendanceRecord.status == "approved"))
        == 2
    )
    page = t.get(sheet_url(county)).get_data(as_text=True)
    assert f'name="c{wang}_days_worked"' not in page  # read-only once approved
    assert "退回修改" in page and "town" in page  # who approved


@pytest.mark.parametrize(
    "month,today,dates,reason",
    [
        ("2026-09", "2026-11-25", "1,31", "2026年9月没有31日"),
        ("2027-02", "2027-03-05", "27,28,29", "2027年2月没有29日"),
    ],
)
def test_an_impossible_date_is_refused_on_the_screen_with_row_and_reason(
    app, login_as, session, county, h, month, today, dates, reason
):
    app.config["PWPOSTS_TODAY"] = today
    c = login_as("village")
    wang = h.contracts["wang"].id
    r = c.post(sheet_url(county, month), data={f"c{wang}_dates": dates})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "不是真实存在的日期" in page and reason in page
    row = next(
        x.row for x in holders_for_month(session, county.villages[0].id, month) if x.contract.id == wang
    )
    assert f"第{row}行 出勤日期" in page and "错误清单" in page
    assert f'value="{dates}"' in page  # what was typed is kept
    assert records(session) == 0


def test_a_date_outside_the_contract_or_twice_is_refused_on_the_screen(login_as, session, county, h):
    c = login_as("village")
    wang, li = h.contracts["wang"].id, h.contracts["li"].id
    r = c.post(sheet_url(county), data={f"c{wang}_days_worked": "20", f"c{li}_dates": "15,16,16"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "不在合同期内" in page and "2026-10-15" in page and "重复" in page
    assert records(session) == 0  # the good row was not saved either


def test_a_locked_record_cannot_be_changed_from_the_screen(login_as, session, county, h):
    wang = h.contracts["wang"]
    session.add(
        AttendanceRecord(
            contract_id=wang.id, person_id=wang.person_id, month="2026-10", days_worked=20, status="locked"
        )
    )
    session.commit()
    c = login_as("town")
    page = c.get(sheet_url(county)).get_data(as_text=True)
    assert "已发放锁定" in page and f'name="c{wang.id}_days_worked"' not in page
    c.post(
        sheet_url(county), data={f"c{wang.id}_days_worked": "3", f"c{h.contracts['li'].id}_days_worked": "2"}
    )
    session.expire_all()
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == wang.id))
    assert rec.days_worked == 20 and rec.status == "locked"


def test_inspector_reads_but_cannot_enter(login_as, session, county, h):
    c = login_as("inspector")
    assert c.get(sheet_url(county)).status_code == 200
    assert c.post(sheet_url(county), data={f"c{h.contracts['wang'].id}_days_worked": "3"}).status_code == 403
    assert c.get(sheet_url(county) + "/template.xlsx").status_code == 403
    assert (
        c.post(
            "/pay/attendance/approve", data={"region_id": county.townships[0].id, "month": "2026-10"}
        ).status_code
        == 403
    )
    assert (
        c.post(
            f"/pay/assessment/{county.villages[0].id}/2026", data={f"a{h.contracts['wang'].id}": "合格"}
        ).status_code
        == 403
    )
    assert records(session) == 0 and session.scalar(select(func.count(Assessment.id))) == 0


def test_grades_are_entered_by_the_township_only(login_as, session, county, h):
    wang = h.contracts["wang"].id
    v = login_as("village")
    page = v.get(sheet_url(county)).get_data(as_text=True)
    assert f'name="c{wang}_grade"' not in page
    v.post(sheet_url(county), data={f"c{wang}_grade": "优秀", f"c{wang}_days_worked": "20"})
    assert session.scalar(select(func.count(Assessment.id))) == 0
    t = login_as("town")
    r = t.post(sheet_url(county), data={f"c{wang}_grade": "不合格"})
    assert r.status_code == 302
    session.expire_all()
    assert session.scalar(select(Assessment.grade)) == "不合格"
    r = t.post(
        f"/pay/assessment/{county.villages[0].id}/2026", data={f"a{wang}": "合格"}, follow_redirects=True
    )
    assert "已保存2026年度考核1人" in r.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Assessment.grade).where(Assessment.kind == "annual")) == "合格"
    assert verify_chain(session).ok


def test_late_assessments_show_on_the_township_pages(login_as, county, h):
    t = login_as("town")
    assert "逾期未考核" in t.get("/").get_data(as_text=True)
    page = t.get("/pay/attendance?month=2026-10").get_data(as_text=True)
    assert 'id="late"' in page and "2026-11-10" in page


def _upload(c, county, wb, month="2026-10", name="考勤.xlsx", **form):
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return c.post(
        sheet_url(county, month) + "/import",
        data={"file": (out, name), **form},
        content_type="multipart/form-data",
    )


def test_excel_template_download_and_import(login_as, session, county, h):
    c = login_as("village")
    r = c.get(sheet_url(county) + "/template.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb["考勤表"]
    assert "考勤月份：2026-10" in ws["A2"].value
    header = [x.value for x in ws[3]]
    assert header[:6] == ["序号", "姓名", "身份证号", "合同编号", "规定出勤天数", "本月合同覆盖天数"]
    rows = {
        ws.cell(row=r, column=4).value: r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=4).value
    }
    assert ws.cell(row=rows["HT-2026-0001"], column=3).value == mask_id_number(
        county.persons["wang"].id_number
    )

    ws.cell(row=rows["HT-2026-0001"], column=7).value = 20
    ws.cell(row=rows["HT-2025-0009"], column=11).value = "1,2,31"  # 孙小红 left on the 20th
    r = _upload(c, county, wb)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f"<td>{rows['HT-2025-0009']}</td>" in page and "不在合同期内" in page and "出勤日期" in page
    assert records(session) == 0

    ws.cell(row=rows["HT-2025-0009"], column=11).value = "1,2,20"
    r = _upload(c, county, wb)
    assert r.status_code == 302
    assert records(session) == 2
    assert "考勤表《考勤.xlsx》已导入" in c.get(sheet_url(county)).get_data(as_text=True)


def test_excel_import_refuses_an_impossible_date(app, login_as, session, county, h):
    c = login_as("village")
    wb = load_workbook(io.BytesIO(c.get(sheet_url(county, "2026-09") + "/template.xlsx").data))
    ws = wb["考勤表"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=4).value == "HT-2026-0001")
    ws.cell(row=row, column=11).value = "30,31"
    r = _upload(c, county, wb, "2026-09")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "不是真实存在的日期" in page and "2026-09-31" in page and f"<td>{row}</td>" in page
    assert records(session) == 0


def test_sending_back_an_approved_record(login_as, session, county, h):
    v = login_as("village")
    wang = h.contracts["wang"].id
    v.post(sheet_url(county), data={f"c{wang}_days_worked": "20"})
    t = login_as("town")
    t.post("/pay/attendance/approve", data={"region_id": county.villages[0].id, "month": "2026-10"})
    rec = session.scalar(select(AttendanceRecord))
    v = login_as("village")
    assert v.post(f"/pay/attendance/record/{rec.id}/reopen", data={"reason": "天数错"}).status_code == 403
    t = login_as("town")
    r = t.post(f"/pay/attendance/record/{rec.id}/reopen", data={"reason": "天数错了"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(AttendanceRecord, rec.id).status == "draft"
    assert verify_chain(session).ok
