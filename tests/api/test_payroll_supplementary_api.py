"""/api/v1: 补充清册 for holders whose attendance was approved after the month's run, the approval's
left_unpaid, the holder's months and 申诉 about a month never paid."""

from sqlalchemy import select

from pwposts.models.pay import PayrollRun
from pwposts.services.accounts import create_user
from tests.builders import PASSWORD
from tests.conftest import api_token
from tests.payroll_support import township_setup


def _setup(session, county):
    data = township_setup(session, county)
    create_user(
        session,
        "测试",
        username="wife",
        password=PASSWORD,
        display_name="刘桂兰",
        role="holder",
        region=None,
        person=county.persons["chief_wife"],
    )
    session.commit()
    return data


def test_supplementary_run_through_the_api(client, county, session):
    _setup(session, county)
    town, town2 = api_token(client, "town"), api_token(client, "town2")
    tid = county.townships[0].id
    run = client.post(
        "/api/v1/payroll-runs", json={"township_id": tid, "month": "2026-10"}, headers=town
    ).get_json()
    assert run["kind"] == "regular"
    assert run["left_unpaid"]["count"] == 1
    assert run["left_unpaid"]["by_reason"] == [{"reason": "考勤待审核", "count": 1}]
    assert run["left_unpaid"]["summary"] == "本乡镇该月仍有1人未计发：考勤待审核1人"
    # too early: the regular run is not approved yet
    r = client.post(f"/api/v1/payroll-runs/{run['id']}/supplementary", headers=town)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "supplementary_needs_approved_run"
    approved = client.post(f"/api/v1/payroll-runs/{run['id']}/approve", headers=town2).get_json()
    assert approved["status"] == "approved" and approved["left_unpaid"]["count"] == 1
    # a second regular run is refused and says what to do
    r = client.post("/api/v1/payroll-runs", json={"township_id": tid, "month": "2026-10"}, headers=town)
    assert r.status_code == 409 and "补充清册" in r.get_json()["error"]["message"]
    # the holder's October: not paid, attendance awaiting approval
    wife = api_token(client, "wife")
    months = client.get("/api/v1/me/months", headers=wife).get_json()
    october = next(m for m in months if m["month"] == "2026-10")
    assert (october["state"], october["label"], october["objectable"]) == ("not_paid", "未发放", True)

    r = client.post("/api/v1/attendance/approve", json={"region_id": tid, "month": "2026-10"}, headers=town)
    assert r.status_code == 200 and r.get_json()["approved"] == 1
    detail = client.get(f"/api/v1/payroll-runs/{run['id']}", headers=town).get_json()
    assert detail["left_unpaid"]["supplementary_possible"] == 1
    r = client.post(f"/api/v1/payroll-runs/{run['id']}/supplementary", headers=town)
    assert r.status_code == 201, r.get_json()
    supp = r.get_json()
    assert supp["kind"] == "supplementary" and supp["status"] == "preview" and supp["total_fen"] == 36000
    assert [ln["person"]["name"] for ln in supp["lines"]] == ["刘桂兰"]
    assert supp["related_runs"] == [{"id": run["id"], "kind": "regular", "status": "approved"}]
    # a second supplementary preview is not made: the same preview is prepared again
    again = client.post(
        "/api/v1/payroll-runs",
        json={"township_id": tid, "month": "2026-10", "kind": "supplementary"},
        headers=town2,
    )
    assert again.status_code == 201 and again.get_json()["id"] == supp["id"]
    assert (
        session.scalar(select(PayrollRun.prepared_by_id).where(PayrollRun.id == supp["id"]))
        == county.users["town2"].id
    )
    assert (
        client.post(
            "/api/v1/payroll-runs",
            json={"township_id": tid, "month": "2026-10", "kind": "extra"},
            headers=town,
        ).status_code
        == 400
    )
    # four eyes: town2 prepared it last
    r = client.post(f"/api/v1/payroll-runs/{supp['id']}/approve", headers=town2)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "four_eyes_required"
    r = client.post(f"/api/v1/payroll-runs/{supp['id']}/approve", headers=town)
    assert r.status_code == 200 and r.get_json()["left_unpaid"]["count"] == 0
    bank = client.get(f"/api/v1/payroll-runs/{supp['id']}/bank-file", headers=town).get_json()
    assert bank["total_fen"] == 36000
    assert (
        client.get(f"/api/v1/payroll-runs/{supp['id']}/bank-file?format=xlsx", headers=town).status_code
        == 200
    )
    ok = client.post(
        f"/api/v1/payroll-runs/{supp['id']}/bank-results",
        headers=town,
        json={
            "results": [{"reference": bank["rows"][0]["reference"], "status": "成功", "date": "2026-11-24"}]
        },
    )
    assert ok.status_code == 200
    # nothing left for a further supplementary run
    r = client.post(f"/api/v1/payroll-runs/{supp['id']}/supplementary", headers=town)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "supplementary_nobody"
    months = client.get("/api/v1/me/months", headers=wife).get_json()
    october = next(m for m in months if m["month"] == "2026-10")
    assert (october["state"], october["amount_fen"], october["objectable"]) == ("paid", 36000, False)
    assert october["payment_id"] is not None


def test_objection_about_an_unpaid_month_through_the_api(client, county, session):
    data = _setup(session, county)
    wife, town = api_token(client, "wife"), api_token(client, "town")
    cid = data["wife"].id
    r = client.post(
        f"/api/v1/me/months/{cid}/2026-10/objections",
        headers=wife,
        json={"content": "十月出勤12天，没有收到补贴"},
    )
    assert r.status_code == 201, r.get_json()
    o = r.get_json()
    assert (o["payment_id"], o["contract_id"], o["month"], o["status"]) == (None, cid, "2026-10", "open")
    assert (
        client.post(
            f"/api/v1/me/months/{cid}/2026-13/objections",
            headers=wife,
            json={"content": "十月出勤12天，没有收到补贴"},
        ).status_code
        == 400
    )
    assert (
        client.post(
            f"/api/v1/me/months/{data['wang'].id}/2026-10/objections",
            headers=wife,
            json={"content": "十月出勤12天，没有收到补贴"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/me/months/{cid}/2026-10/objections",
            headers=town,
            json={"content": "十月出勤12天，没有收到补贴"},
        ).status_code
        == 403
    )
    listed = client.get("/api/v1/payment-objections?status=open", headers=town).get_json()
    assert [x["id"] for x in listed["items"]] == [o["id"]]
    r = client.post(
        f"/api/v1/payment-objections/{o['id']}/answer",
        headers=town,
        json={"answer": "考勤已补审，列入补充清册"},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "answered"
    mine = client.get("/api/v1/me/objections", headers=wife).get_json()
    assert mine[0]["answer"] == "考勤已补审，列入补充清册" and mine[0]["payment_id"] is None
