"""/api/v1 以岗聘任: notices, applications with eligibility reasons, 公示, objections, hire."""

from __future__ import annotations

import pytest

from tests.api.test_api import assert_error
from tests.conftest import api_token
from tests.hiring_support import make_post


@pytest.fixture
def post(session, county):
    p = make_post(session, county)
    session.commit()
    return p


NOTICE = {
    "title": "东坪一村保洁员招聘公告",
    "conditions": "本村户籍、帮扶类别",
    "places": 2,
    "start_on": "2026-11-25",
    "end_on": "2026-12-05",
    "contact": "东坪镇人社服务中心 0855-1234567",
}


def test_the_whole_flow_over_the_api(app, client, county, post):
    h = api_token(client, "town")
    app.config["PWPOSTS_TODAY"] = "2026-11-16"  # registration 11-16 to 11-24, the 公示 on 11-25
    r = client.post(
        "/api/v1/notices",
        json={**NOTICE, "post_id": post.id, "start_on": "2026-11-16", "end_on": "2026-11-24"},
        headers=h,
    )
    assert r.status_code == 201, r.get_json()
    notice = r.get_json()
    assert notice["status"] == "open" and notice["post"]["id"] == post.id
    app.config["PWPOSTS_TODAY"] = "2026-11-24"

    apps = {}
    for key in ("wang", "li", "chief_wife"):
        r = client.post(
            "/api/v1/applications",
            json={"notice_id": notice["id"], "person_id": county.persons[key].id},
            headers=h,
        )
        assert r.status_code == 201
        apps[key] = r.get_json()
    assert apps["wang"]["eligible"] and apps["wang"]["failures"] == []
    wife = apps["chief_wife"]
    assert wife["status"] == "ineligible" and [f["code"] for f in wife["failures"]] == ["cadre_kin"]
    assert "张村长" in wife["failures"][0]["message"]
    assert apps["wang"]["priority"] < apps["li"]["priority"]

    listed = client.get(f"/api/v1/applications?notice_id={notice['id']}", headers=h).get_json()
    assert [a["person"]["name"] for a in listed["items"]][:2] == ["王秀英", "李建国"] and listed["total"] == 3

    app.config["PWPOSTS_TODAY"] = "2026-11-25"
    r = client.post(f"/api/v1/notices/{notice['id']}/publicity", json={}, headers=h)
    assert r.status_code == 201
    pub = r.get_json()
    assert pub["end_on"] == "2026-12-02" and pub["application_ids"] == [apps["wang"]["id"], apps["li"]["id"]]

    err = assert_error(
        client.post(f"/api/v1/applications/{apps['wang']['id']}/hire", headers=h), 422, "publicity_not_over"
    )
    assert "2026-12-02" in err["message"]

    r = client.post(
        f"/api/v1/applications/{apps['li']['id']}/objections",
        json={"content": "长期在外务工", "objector_name": "村民丙"},
        headers=h,
    )
    assert r.status_code == 201 and r.get_json()["status"] == "open"
    objection = r.get_json()

    app.config["PWPOSTS_TODAY"] = "2026-12-03"
    assert_error(
        client.post(f"/api/v1/applications/{apps['wang']['id']}/hire", headers=h), 422, "objection_open"
    )
    r = client.post(
        f"/api/v1/objections/{objection['id']}/resolve",
        json={"decision": "rejected", "resolution": "经核实不属实"},
        headers=h,
    )
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    r = client.post(f"/api/v1/applications/{apps['wang']['id']}/hire", headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "hired"

    detail = client.get(f"/api/v1/notices/{notice['id']}", headers=h).get_json()
    assert detail["pending_hires"] == 1 and detail["publicities"][0]["status"] == "ended"
    assert client.post(f"/api/v1/applications/{apps['li']['id']}/recheck", headers=h).status_code == 200


def test_inspector_reads_but_cannot_write(client, county, post):
    h = api_token(client, "inspector")
    assert client.get("/api/v1/notices", headers=h).status_code == 200
    assert_error(client.post("/api/v1/notices", json={**NOTICE, "post_id": post.id}, headers=h), 403)
    assert_error(client.post("/api/v1/applications/1/hire", headers=h), 403)


def test_bad_bodies_are_400(client, county, post):
    h = api_token(client, "town")
    assert_error(client.post("/api/v1/notices", json={**NOTICE, "post_id": "x"}, headers=h), 400)
    assert_error(
        client.post(
            "/api/v1/notices", json={**NOTICE, "post_id": post.id, "end_on": "2026-13-01"}, headers=h
        ),
        400,
    )
    assert_error(client.post("/api/v1/applications", data="nope", headers=h), 400)


def test_ids_masked_for_readers_without_the_right(client, session, county, post):
    h = api_token(client, "town")
    n = client.post("/api/v1/notices", json={**NOTICE, "post_id": post.id}, headers=h).get_json()
    a = client.post(
        "/api/v1/applications", json={"notice_id": n["id"], "person_id": county.persons["wang"].id}, headers=h
    ).get_json()
    full = county.persons["wang"].id_number
    assert a["person"]["id_number"] == full
    seen = client.get(f"/api/v1/applications/{a['id']}", headers=api_token(client, "inspector")).get_json()
    assert seen["person"]["id_number"] == full[:6] + "********" + full[-4:]
