"""/api/v1/attendance and /api/v1/assessments."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pwposts.domain.people import mask_id_number
from pwposts.models.pay import AttendanceRecord
from pwposts.services.audit import verify_chain
from tests.attendance_support import build_holders
from tests.conftest import api_token


@pytest.fixture
def h(session, county):
    holders = build_holders(session, county)
    session.commit()
    return holders


def q(county, month="2026-10", village=0):
    return f"/api/v1/attendance?village_id={county.villages[village].id}&month={month}"


def test_list_enter_approve_and_grade(client, session, county, h):
    village = api_token(client, "village")
    body = client.get(q(county), headers=village).get_json()
    items = {i["contract_code"]: i for i in body["items"]}
    assert set(items) == {"HT-2026-0001", "HT-2026-0002", "HT-2025-0009"}
    assert items["HT-2026-0002"]["covered_days"] == 16 and items["HT-2026-0002"]["counts_hours"] is True
    assert items["HT-2026-0001"]["record"] is None and body["month_days"] == 31

    rows = [
        {"contract_id": h.contracts["wang"].id, "days_worked": 20, "leave_days": 1},
        {"contract_id": h.contracts["li"].id, "dates": [{"day": "2026-10-16", "kind": "work"}, "2026-10-17"]},
    ]
    r = client.put(q(county), headers=village, json={"rows": rows})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["created"] == 2
    got = {i["contract_code"]: i for i in client.get(q(county), headers=village).get_json()["items"]}
    assert got["HT-2026-0002"]["record"]["days_worked"] == 2
    assert got["HT-2026-0002"]["record"]["dates"] == [
        {"day": "2026-10-16", "kind": "work"},
        {"day": "2026-10-17", "kind": "work"},
    ]
    assert got["HT-2026-0001"]["record"]["status"] == "draft"

    r = client.post(
        "/api/v1/attendance/approve",
        headers=village,
        json={"region_id": county.townships[0].id, "month": "2026-10"},
    )
    assert r.status_code == 403
    town = api_token(client, "town")
    r = client.post(
        "/api/v1/attendance/approve",
        headers=town,
        json={"region_id": county.townships[0].id, "month": "2026-10"},
    )
    assert r.status_code == 200 and r.get_json()["approved"] == 2
    r = client.put(q(county), headers=village, json={"rows": rows[:1]})
    assert r.status_code == 422 and "已审核" in r.get_json()["error"]["details"][0]

    r = client.post(
        "/api/v1/assessments",
        headers=town,
        json={"contract_id": h.contracts["wang"].id, "period": "2026-10", "grade": "优秀"},
    )
    assert r.status_code == 200 and r.get_json()["grade"] == "优秀"
    r = client.post(
        "/api/v1/assessments",
        headers=village,
        json={"contract_id": h.contracts["wang"].id, "period": "2026-10", "grade": "优秀"},
    )
    assert r.status_code == 403
    listed = client.get(
        f"/api/v1/assessments?village_id={county.villages[0].id}&period=2026-10", headers=village
    ).get_json()
    assert [(a["contract_code"], a["grade"]) for a in listed] == [("HT-2026-0001", "优秀")]
    rec = session.scalar(
        select(AttendanceRecord).where(AttendanceRecord.contract_id == h.contracts["wang"].id)
    )
    r = client.post(f"/api/v1/attendance/records/{rec.id}/reopen", headers=town, json={"reason": "重新核对"})
    assert r.status_code == 200 and r.get_json()["status"] == "draft"
    assert verify_chain(session).ok


@pytest.mark.parametrize(
    "month,dates,today", [("2026-09", "1,31", None), ("2027-02", ["2027-02-29"], "2027-03-03")]
)
def test_impossible_dates_answer_422_with_the_row(app, client, session, county, h, month, dates, today):
    if today:
        app.config["PWPOSTS_TODAY"] = today
    village = api_token(client, "village")
    r = client.put(
        q(county, month),
        headers=village,
        json={"rows": [{"contract_id": h.contracts["wang"].id, "dates": dates}]},
    )
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["code"] == "attendance_invalid"
    assert err["details"][0].startswith("第1行 出勤日期") and "不是真实存在的日期" in err["details"][0]
    assert session.scalar(select(func.count(AttendanceRecord.id))) == 0


def test_scope_masking_and_bad_input(client, county, h):
    inspector = api_token(client, "inspector")
    body = client.get(q(county), headers=inspector).get_json()
    wang = next(i for i in body["items"] if i["contract_code"] == "HT-2026-0001")
    assert wang["person"]["id_number"] == mask_id_number(county.persons["wang"].id_number)
    assert client.put(q(county), headers=inspector, json={"rows": []}).status_code == 403
    village = api_token(client, "village")
    assert client.get(q(county, village=2), headers=village).status_code == 404
    assert client.get("/api/v1/attendance?month=2026-10", headers=village).status_code == 400
    assert client.put(q(county), headers=village, json={"rows": "x"}).status_code == 400
    assert client.get(q(county, month="2026-13"), headers=village).status_code == 422
    holder = api_token(client, "holder")
    assert client.get(q(county), headers=holder).status_code == 403
