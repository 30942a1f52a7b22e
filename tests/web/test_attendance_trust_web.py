"""Attendance you can trust, on the sheet page and the API: days after death refused, a stale sheet
save refused with who changed it (409), the enterer cannot approve (four eyes)."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from pwposts.models.pay import AttendanceRecord
from tests.attendance_support import build_holders
from tests.conftest import api_token
from tests.web.test_attendance_web import _upload, sheet_url


@pytest.fixture
def h(session, county):
    holders = build_holders(session, county)
    county.persons["wang"].death_date = date(2026, 10, 12)
    session.commit()
    return holders


def template_with(c, county, code, column, value):
    """The month's template as downloaded, with one cell of the contract's row typed in."""
    wb = load_workbook(io.BytesIO(c.get(sheet_url(county) + "/template.xlsx").data))
    ws = wb["考勤表"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=4).value == code)
    ws.cell(row=row, column=column).value = value
    return wb, row


def api_url(county, month="2026-10"):
    return f"/api/v1/attendance?village_id={county.villages[0].id}&month={month}"


def records(session):
    session.expire_all()
    return session.scalar(select(func.count(AttendanceRecord.id)))


def version_on(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def test_the_sheet_refuses_days_after_death(login_as, session, county, h):
    c = login_as("village")
    page = c.get(sheet_url(county)).get_data(as_text=True)
    assert "2026-10-12 死亡" in page and "可计12" in page
    wang = h.contracts["wang"].id
    r = c.post(sheet_url(county), data={"version": version_on(page), f"c{wang}_dates": "12,13"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "王秀英" in page and "2026-10-13" in page and "死亡之后的日期不能计考勤" in page
    assert records(session) == 0


def test_the_api_refuses_days_after_death(client, session, county, h):
    headers = api_token(client, "village")
    r = client.put(
        api_url(county),
        headers=headers,
        json={"rows": [{"contract_id": h.contracts["wang"].id, "dates": ["2026-10-13"]}]},
    )
    assert r.status_code == 422
    assert (
        "王秀英" in r.get_json()["error"]["details"][0]
        and "死亡日期2026-10-12" in r.get_json()["error"]["details"][0]
    )
    assert records(session) == 0


def test_the_import_refuses_days_after_death(login_as, session, county, h):
    c = login_as("village")
    wb, row = template_with(c, county, "HT-2026-0001", 7, 20)
    r = _upload(c, county, wb)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert f"<td>{row}</td>" in page and "王秀英" in page and "超过本月可计考勤天数12天" in page
    assert records(session) == 0


def test_two_clerks_saving_one_sheet_the_second_is_refused(login_as, session, county, h):
    li, wang = h.contracts["li"].id, h.contracts["wang"].id
    t_page = (
        login_as("town").get(sheet_url(county)).get_data(as_text=True)
    )  # the township clerk opens the sheet
    village = login_as(
        "village"
    )  # (one test client: the page's version travels in the form, as in a browser)
    assert version_on(village.get(sheet_url(county)).get_data(as_text=True)) == version_on(t_page) == "0"
    r = village.post(sheet_url(county), data={"version": "0", f"c{li}_days_worked": "5"})
    assert r.status_code == 302

    town = login_as("town")  # … and saves the page read before the village clerk's save
    r = town.post(
        sheet_url(county),
        data={"version": version_on(t_page), f"c{li}_days_worked": "3", f"c{wang}_days_worked": "2"},
    )
    assert r.status_code == 409
    page = r.get_data(as_text=True)
    assert "已被village于" in page and "未保存任何数据" in page
    assert version_on(page) == "1" and 'value="5"' in page  # the sheet as it is now, to check and redo
    assert records(session) == 1 and session.scalar(select(AttendanceRecord.days_worked)) == 5
    assert "本表第1版，最后由village于" in page

    r = town.post(sheet_url(county), data={"version": "1", f"c{li}_days_worked": "3"})
    assert r.status_code == 302
    assert session.scalar(select(AttendanceRecord.days_worked).where(AttendanceRecord.contract_id == li)) == 3


def test_a_stale_import_is_refused(login_as, session, county, h):
    wb, _ = template_with(login_as("village"), county, "HT-2026-0002", 7, 4)
    town = login_as("town")
    assert (
        town.post(
            sheet_url(county), data={"version": "0", f"c{h.contracts['li'].id}_days_worked": "5"}
        ).status_code
        == 302
    )
    r = _upload(login_as("village"), county, wb, version="0")
    assert r.status_code == 409 and "已被town于" in r.get_data(as_text=True)
    assert session.scalar(select(AttendanceRecord.days_worked)) == 5


def test_the_api_carries_the_version_and_refuses_a_stale_save(client, session, county, h):
    village, town = api_token(client, "village"), api_token(client, "town")
    body = client.get(api_url(county), headers=town).get_json()
    assert body["version"] == 0 and body["changed_by"] is None
    li = h.contracts["li"].id
    r = client.put(
        api_url(county), headers=village, json={"rows": [{"contract_id": li, "days_worked": 5}], "version": 0}
    )
    assert r.status_code == 200 and r.get_json()["version"] == 1
    r = client.put(
        api_url(county),
        headers=town,
        json={"rows": [{"contract_id": li, "days_worked": 3}], "version": body["version"]},
    )
    assert r.status_code == 409
    err = r.get_json()["error"]
    assert err["code"] == "attendance_sheet_stale" and "已被village于" in err["message"]
    assert session.scalar(select(AttendanceRecord.days_worked)) == 5
    fresh = client.get(api_url(county), headers=town).get_json()
    assert fresh["version"] == 1 and fresh["changed_by"].startswith("village") and fresh["changed_at"]
    r = client.put(
        api_url(county),
        headers=town,
        json={"rows": [{"contract_id": li, "days_worked": 3}], "version": fresh["version"]},
    )
    assert r.status_code == 200 and r.get_json()["version"] == 2
    r = client.put(
        api_url(county), headers=town, json={"rows": [{"contract_id": li, "days_worked": 3}], "version": True}
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "version_invalid"


def test_the_enterer_cannot_approve_on_the_web_or_the_api(login_as, session, county, h):
    t = login_as("town")
    li = h.contracts["li"].id
    assert t.post(sheet_url(county), data={"version": "0", f"c{li}_days_worked": "5"}).status_code == 302
    page = t.get(sheet_url(county)).get_data(as_text=True)
    assert "其中1条由您本人录入或最后修改" in page
    r = t.post(
        "/pay/attendance/approve",
        data={"region_id": county.townships[0].id, "month": "2026-10"},
        follow_redirects=True,
    )
    assert "录入人不能审核自己录入的考勤" in r.get_data(as_text=True) and "由您（town）录入" in r.get_data(
        as_text=True
    )
    t.post("/logout")
    r = t.post(
        "/api/v1/attendance/approve",
        headers=api_token(t, "town"),
        json={"region_id": county.townships[0].id, "month": "2026-10"},
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "attendance_four_eyes"
    assert session.scalar(select(AttendanceRecord.status)) == "draft"
    r = t.post(
        "/api/v1/attendance/approve",
        headers=api_token(t, "town2"),
        json={"region_id": county.townships[0].id, "month": "2026-10"},
    )
    assert r.status_code == 200 and r.get_json()["approved"] == 1
