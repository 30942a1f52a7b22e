from __future__ import annotations

from datetime import date

from tests.builders import add_person
from tests.conftest import api_token
from tests.oversight_support import pay
from tests.payroll_support import make_contract, make_fund, make_post


def test_flags_api_scan_list_detail_dispose(client, county, session):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    p = add_person(session, county.villages[0], "何艳", date(1975, 1, 1), "F", death_date=date(2026, 9, 13))
    pay(session, make_contract(session, p, post), "2026-10", 42000)
    session.commit()
    insp = api_token(client, "inspector")
    r = client.post("/api/v1/flags/scan", json={"rules": ["PAID_AFTER_DEATH"]}, headers=insp)
    assert r.status_code == 200 and r.get_json()["new"] == 1
    items = client.get("/api/v1/flags?rule=PAID_AFTER_DEATH", headers=insp).get_json()["items"]
    fid = items[0]["id"]
    d = client.get(f"/api/v1/flags/{fid}", headers=insp).get_json()
    assert d["evidence"]["persons"][0]["name"] == "何艳" and d["flag"]["money_fen"] == 42000
    town = api_token(client, "town")
    assert client.get("/api/v1/flags", headers=town).status_code == 403
    assert (
        client.post(
            f"/api/v1/flags/{fid}/disposition", json={"outcome": "dismissed"}, headers=town
        ).status_code
        == 403
    )
    admin = api_token(client, "admin")
    assert (
        client.post(
            f"/api/v1/flags/{fid}/disposition", json={"outcome": "dismissed"}, headers=admin
        ).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/flags/{fid}/disposition",
        json={"outcome": "dismissed", "reason_code": "other"},
        headers=insp,
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/flags/{fid}/disposition",
        json={
            "outcome": "confirmed",
            "rectification_kind": "recover_money",
            "rectification_text": "追回10月补贴",
        },
        headers=insp,
    )
    assert r.status_code == 201 and r.get_json()["status"] == "confirmed"
    r = client.get(f"/api/v1/flags/{fid}/report.pdf", headers=insp)
    assert r.status_code == 200 and r.data[:4] == b"%PDF"
    # an inspector cannot approve a payroll through the API either
    assert client.post("/api/v1/payroll-runs/1/approve", headers=insp).status_code in (403, 404)
