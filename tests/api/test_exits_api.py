"""/api/v1 有序退岗: exits, worklist, renewals, colours, 311."""

from datetime import date

from sqlalchemy import select

from pwposts.models.exits import ContractExit
from pwposts.services.sweep import run_sweep
from tests.conftest import api_token
from tests.exits_support import annual, holders


def test_record_an_exit_then_read_it_and_its_pdf(session, county, client):
    h = holders(session, county)
    auth = api_token(client, "town")
    r = client.post(
        "/api/v1/exits",
        headers=auth,
        json={
            "contract_id": h["li"].id,
            "reason": "death",
            "event_on": "2026-11-10",
            "effective_on": "2026-11-11",
        },
    )
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "confirmed" and body["contract_status"] == "terminated" and body["late"] is True
    assert body["exit_on"] == "2026-11-10" and body["contract_status_label"] == "已退岗"
    r = client.get("/api/v1/exits?late=1", headers=auth)
    assert [e["id"] for e in r.get_json()["items"]] == [body["id"]]
    pdf = client.get(f"/api/v1/exits/{body['id']}/notice.pdf", headers=auth)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    r = client.post(
        "/api/v1/exits",
        headers=auth,
        json={
            "contract_id": h["li"].id,
            "reason": "death",
            "event_on": "2026-11-10",
            "effective_on": "2026-11-11",
        },
    )
    assert r.status_code == 409 or r.status_code == 422
    assert r.get_json()["error"]["message"]


def test_bad_body_is_400_and_village_may_only_propose(session, county, client):
    h = holders(session, county)
    auth = api_token(client, "village")
    assert (
        client.post(
            "/api/v1/exits",
            headers=auth,
            json={"contract_id": h["li"].id, "reason": "nope", "event_on": "2026-11-10"},
        ).status_code
        == 400
    )
    r = client.post(
        "/api/v1/exits",
        headers=auth,
        json={
            "contract_id": h["li"].id,
            "reason": "unable",
            "event_on": "2026-11-20",
            "effective_on": "2026-11-21",
        },
    )
    assert r.status_code == 201 and r.get_json()["status"] == "proposed"
    ex_id = r.get_json()["id"]
    assert client.post(f"/api/v1/exits/{ex_id}/confirm", headers=auth, json={}).status_code == 403
    town = api_token(client, "town")
    assert client.get("/api/v1/worklist", headers=town).get_json()["counts"]["proposed"] == 1
    r = client.post(f"/api/v1/exits/{ex_id}/dismiss", headers=town, json={"reason": "本人仍在岗，村里报错"})
    assert r.status_code == 200 and r.get_json()["status"] == "dismissed"


def test_failed_grade_renewal_is_refused_by_the_api_with_the_reason(session, county, client):
    h = holders(session, county)
    annual(session, h["wang"], "2026", "不合格")
    session.commit()
    auth = api_token(client, "town")
    r = client.post(
        f"/api/v1/contracts/{h['wang'].id}/renew",
        headers=auth,
        json={"start_on": "2027-01-01", "end_on": "2027-12-31"},
    )
    assert r.status_code == 422 and "不合格" in r.get_json()["error"]["message"]
    rows = client.get("/api/v1/renewals", headers=auth).get_json()
    assert {row["contract_id"]: row["outcome"] for row in rows}[h["wang"].id] == "exit"
    r = client.post(
        "/api/v1/renewals/decide",
        headers=auth,
        json={"decisions": [{"contract_id": h["wang"].id, "action": "renew"}]},
    )
    assert r.status_code == 200 and "不合格" in r.get_json()["errors"][0] and r.get_json()["renewed"] == []


def test_colours_and_311_over_the_api(session, county, client):
    h = holders(session, county)
    from pwposts.services import exits as svc

    svc.record_exit(
        session,
        county.users["town"],
        h["li"].id,
        "own_request",
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 9, 3),
    )
    run_sweep(session, date(2026, 11, 25))
    session.commit()
    auth = api_token(client, "town")
    items = client.get("/api/v1/colours?colour=red", headers=auth).get_json()["items"]
    assert [i["name"] for i in items] == ["李建国"] and items[0]["household_colour"] == "red"
    assert client.get("/api/v1/colours/summary", headers=auth).get_json()[0]["red"] == 1
    li = county.persons["li"].id
    r = client.post(
        f"/api/v1/persons/{li}/followup",
        headers=auth,
        json={"kind": "training", "given_on": "2026-11-20", "given_by": "东坪镇人社所"},
    )
    assert r.status_code == 201
    f = client.get(f"/api/v1/persons/{li}/followup", headers=auth).get_json()
    assert f["schedule"]["given"]["training"] == 1 and f["colour"]["colour"] == "red"
    assert session.scalar(select(ContractExit.id)) is not None


def test_county_renewals_need_a_township(session, county, client):
    holders(session, county)
    auth = api_token(client, "admin")
    assert client.get("/api/v1/renewals", headers=auth).status_code == 400
    rows = client.get(f"/api/v1/renewals?township_id={county.townships[0].id}", headers=auth).get_json()
    assert len(rows) == 2 and {r["outcome"] for r in rows} == {"decide"}  # no annual grade yet
