"""/api/v1 payroll: prepare, list, detail with lines, four-eyes approval, bank file and results,
corrections, arrears — with the same rules as the web."""

from sqlalchemy import select

from pwposts.models.pay import Payment
from tests.conftest import api_token
from tests.payroll_support import township_setup


def _prepare(client, county, headers):
    return client.post(
        "/api/v1/payroll-runs",
        json={"township_id": county.townships[0].id, "month": "2026-10"},
        headers=headers,
    )


def test_prepare_list_detail_approve_bank_and_correct(client, county, session):
    township_setup(session, county)
    town, town2 = api_token(client, "town"), api_token(client, "town2")
    r = _prepare(client, county, town)
    assert r.status_code == 201, r.get_json()
    run = r.get_json()
    assert run["status"] == "preview" and run["total_fen"] == 79000 and run["unpaid_count"] == 1
    calc = {ln["person"]["name"]: ln["calc_text"] for ln in run["lines"]}
    assert calc["王秀英"] == "600 ÷ 20 × 15 = 450.00 + 绩效（合格）40.00 = 490.00"
    assert run["unpaid"][0]["name"] == "刘桂兰" and run["funds"][0]["exceeded"] is False

    listing = client.get("/api/v1/payroll-runs?status=preview", headers=town).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == run["id"]
    assert client.get("/api/v1/payroll-runs?month=bad", headers=town).status_code == 400

    r = client.post(f"/api/v1/payroll-runs/{run['id']}/approve", headers=town)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "four_eyes_required"
    assert "造册人不能审批" in r.get_json()["error"]["message"]
    r = client.post(f"/api/v1/payroll-runs/{run['id']}/approve", headers=api_token(client, "village"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/payroll-runs/{run['id']}/approve", headers=town2)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    r = client.post(f"/api/v1/payroll-runs/{run['id']}/approve", headers=town2)
    assert r.status_code == 409

    bank = client.get(f"/api/v1/payroll-runs/{run['id']}/bank-file", headers=town).get_json()
    assert bank["batch"] == 1 and bank["total_fen"] == 79000 == sum(x["amount_fen"] for x in bank["rows"])
    csv_file = client.get(f"/api/v1/payroll-runs/{run['id']}/bank-file?format=csv", headers=town)
    assert csv_file.data.startswith(b"\xef\xbb\xbf")

    refs = {x["account_name"]: x["reference"] for x in bank["rows"]}
    bad = client.post(
        f"/api/v1/payroll-runs/{run['id']}/bank-results",
        headers=town,
        json={
            "results": [
                {"reference": refs["王秀英"], "status": "成功", "date": "2026-11-20"},
                {"reference": "nope", "status": "成功"},
            ]
        },
    )
    assert bad.status_code == 422 and any("第2条" in d for d in bad.get_json()["error"]["details"])
    ok = client.post(
        f"/api/v1/payroll-runs/{run['id']}/bank-results",
        headers=town,
        json={
            "results": [
                {"reference": refs["王秀英"], "status": "成功", "date": "2026-11-20"},
                {"reference": refs["李建国"], "status": "失败", "reason": "账户冻结"},
            ]
        },
    )
    assert ok.status_code == 200 and ok.get_json() == {
        "paid": 1,
        "failed": 1,
        "paid_fen": 49000,
        "failed_fen": 30000,
    }
    assert client.post(f"/api/v1/payroll-runs/{run['id']}/retry", headers=town).get_json() == {"moved": 1}

    wang = session.scalar(select(Payment).where(Payment.person_id == county.persons["wang"].id))
    r = client.post(
        f"/api/v1/payments/{wang.id}/corrections",
        headers=town,
        json={"kind": "补发", "amount_fen": 1000, "reason": "补发漏记出勤"},
    )
    assert (
        r.status_code == 201
        and r.get_json()["kind"] == "补发"
        and r.get_json()["original_payment_id"] == wang.id
    )
    session.expire_all()
    assert (
        session.get(Payment, wang.id).amount_fen == 49000 and session.get(Payment, wang.id).status == "paid"
    )
    r = client.post(
        f"/api/v1/payments/{wang.id}/corrections",
        headers=api_token(client, "inspector"),
        json={"kind": "补发", "amount_fen": 1000, "reason": "检查人员试图补发"},
    )
    assert r.status_code == 403

    detail = client.get(
        f"/api/v1/payroll-runs/{run['id']}", headers=api_token(client, "inspector")
    ).get_json()
    assert all("********" in ln["person"]["id_number"] for ln in detail["lines"])


def test_arrears_endpoint(client, county, session):
    township_setup(session, county)
    r = client.get("/api/v1/arrears", headers=api_token(client, "inspector"))
    assert r.status_code == 200
    body = r.get_json()
    assert body["arrears_days"] == 30
    assert any(i["month"] == "2026-09" and i["township"]["name"] == "东坪镇" for i in body["items"])
    assert client.get("/api/v1/arrears", headers=api_token(client, "village")).status_code == 403
