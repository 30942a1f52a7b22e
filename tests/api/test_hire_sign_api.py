"""/api/v1: a contract starting before the hire is refused, 已聘用待签协议 with the suggested term, and the
recruitment order (no notice opening in the past, no 公示 while registration is open, the derived state)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from pwposts.models.contracts import Contract
from tests.api.test_api import assert_error
from tests.conftest import api_token
from tests.contracts_support import hired
from tests.hiring_support import make_post


def test_sign_refuses_a_start_before_the_hire(client, session, county):
    app = hired(session, county, hired_on=date(2026, 12, 14))
    h = api_token(client, "town")
    err = assert_error(
        client.post(
            "/api/v1/contracts",
            headers=h,
            json={"application_id": app.id, "start_on": "2026-11-01", "end_on": "2027-10-31"},
        ),
        422,
        "contract_before_hire",
    )
    assert "2026-11-01" in err["message"] and "2026-12-14" in err["message"]
    assert session.scalar(select(Contract.id)) is None
    r = client.post(
        "/api/v1/contracts",
        headers=h,
        json={
            "application_id": app.id,
            "start_on": "2026-12-15",
            "end_on": "2027-12-14",
            "signed_on": "2026-11-25",
        },
    )
    assert r.status_code == 201 and r.get_json()["start_on"] == "2026-12-15"


def test_awaiting_signing_lists_the_hired_with_the_suggested_term(client, session, county):
    app = hired(session, county, hired_on=date(2026, 11, 20))
    h = api_token(client, "town")
    body = client.get("/api/v1/contracts/awaiting", headers=h).get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["application_id"] == app.id and item["person"]["name"] == "王秀英"
    assert (item["hired_on"], item["suggested_start_on"], item["suggested_end_on"]) == (
        "2026-11-20",
        "2026-11-21",
        "2027-11-20",
    )
    assert client.get("/api/v1/contracts/awaiting?q=李建国", headers=h).get_json()["total"] == 0
    assert (
        client.get("/api/v1/contracts/awaiting", headers=api_token(client, "otherTown")).get_json()["total"]
        == 0
    )
    r = client.post(
        "/api/v1/contracts",
        headers=h,
        json={
            "application_id": app.id,
            "start_on": item["suggested_start_on"],
            "end_on": item["suggested_end_on"],
        },
    )
    assert r.status_code == 201
    assert client.get("/api/v1/contracts/awaiting", headers=h).get_json()["total"] == 0
    detail = client.get(f"/api/v1/applications/{app.id}", headers=h).get_json()
    assert detail["hired_on"] == "2026-11-20"


def test_recruitment_order_over_the_api(app, client, session, county):
    post = make_post(session, county)
    session.commit()
    h = api_token(client, "town")
    notice = {
        "post_id": post.id,
        "title": "东坪一村保洁员招聘公告",
        "conditions": "本村户籍、帮扶类别",
        "places": 2,
        "contact": "东坪镇人社服务中心 0855-1234567",
    }
    err = assert_error(
        client.post(
            "/api/v1/notices", headers=h, json={**notice, "start_on": "2026-11-20", "end_on": "2026-12-05"}
        ),
        422,
        "notice_starts_in_past",
    )
    assert "2026-11-20" in err["message"] and "2026-11-25" in err["message"]
    n = client.post(
        "/api/v1/notices", headers=h, json={**notice, "start_on": "2026-11-25", "end_on": "2026-11-27"}
    )
    assert n.status_code == 201 and (n.get_json()["state"], n.get_json()["state_label"]) == ("open", "报名中")
    nid = n.get_json()["id"]
    r = client.post(
        "/api/v1/applications", headers=h, json={"notice_id": nid, "person_id": county.persons["wang"].id}
    )
    assert r.status_code == 201
    err = assert_error(
        client.post(f"/api/v1/notices/{nid}/publicity", headers=h, json={}), 422, "registration_still_open"
    )
    assert "2026-11-27" in err["message"]

    app.config["PWPOSTS_TODAY"] = "2026-11-30"
    got = client.get(f"/api/v1/notices/{nid}", headers=h).get_json()
    assert got["status"] == "open" and (got["state"], got["state_label"]) == (
        "registration_closed",
        "报名截止",
    )
    listed = client.get("/api/v1/notices?state=registration_closed", headers=h).get_json()
    assert [x["id"] for x in listed["items"]] == [nid]
    assert client.get("/api/v1/notices?state=open", headers=h).get_json()["total"] == 0
    assert_error(client.get("/api/v1/notices?state=stale", headers=h), 400)
    assert client.post(f"/api/v1/notices/{nid}/publicity", headers=h, json={}).status_code == 201
    assert client.get(f"/api/v1/notices/{nid}", headers=h).get_json()["state"] == "publicity"
