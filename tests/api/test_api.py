"""JSON API v1: tokens, error shape, pagination, scope and masking of the registry resources."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from pwposts import clock
from pwposts.api.openapi import API_PREFIX
from pwposts.domain.people import mask_id_number
from pwposts.models.accounts import ApiToken, User
from pwposts.models.people import Person
from tests.conftest import PASSWORD, api_token


def assert_error(r, status: int, code: str | None = None) -> dict:
    """Every API error: the status, JSON {"error": {"code", "message"}}, a Chinese message."""
    assert r.status_code == status, (r.status_code, r.data[:300])
    assert r.is_json, r.data[:300]
    body = r.get_json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"]), body
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


# ---- tokens ----


def test_token_issued_with_expiry_and_opens_me(app, client, county):
    before = clock.now()
    r = client.post("/api/v1/auth/token", json={"username": "town", "password": PASSWORD})
    assert r.status_code == 201
    body = r.get_json()
    assert body["token_type"] == "Bearer" and len(body["token"]) >= 32
    expires = datetime.fromisoformat(body["expires_at"].rstrip("Z"))
    hours = timedelta(hours=app.config["API_TOKEN_HOURS"])
    assert before + hours - timedelta(seconds=5) <= expires <= clock.now() + hours
    me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + body["token"]})
    assert me.status_code == 200
    assert me.get_json()["username"] == "town"
    assert me.get_json()["region"]["code"] == county.townships[0].code


def test_expired_token_refused(client, session, county):
    headers = api_token(client, "admin")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    row = session.scalar(select(ApiToken).join(User).where(User.username == "admin"))
    row.expires_at = clock.now() - timedelta(minutes=1)
    session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "token_invalid")


def test_revoked_token_refused_and_other_tokens_unaffected(client, county):
    first, second = api_token(client, "village"), api_token(client, "village")
    assert client.delete("/api/v1/auth/token", headers=first).status_code == 204
    assert_error(client.get("/api/v1/me", headers=first), 401, "token_invalid")
    assert_error(client.delete("/api/v1/auth/token", headers=first), 401, "token_invalid")
    assert client.get("/api/v1/me", headers=second).status_code == 200


def test_wrong_password_is_401_json(client, county):
    err = assert_error(
        client.post("/api/v1/auth/token", json={"username": "admin", "password": "wrong-pass-1"}),
        401,
        "login_failed",
    )
    assert "密码" in err["message"]
    assert_error(
        client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x"}), 401, "login_failed"
    )


def test_malformed_login_is_400(client, county):
    assert_error(client.post("/api/v1/auth/token", json={"username": "admin"}), 400, "bad_request")
    assert_error(client.post("/api/v1/auth/token", data="not json", content_type="application/json"), 400)
    assert_error(client.post("/api/v1/auth/token", json=["admin", PASSWORD]), 400)


def test_rate_limited_after_five_failures(client, county):
    for _ in range(5):
        assert_error(
            client.post("/api/v1/auth/token", json={"username": "town", "password": "nope-nope"}), 401
        )
    r = client.post("/api/v1/auth/token", json={"username": "town", "password": PASSWORD})
    err = assert_error(r, 429, "login_rate_limited")
    assert "次数过多" in err["message"]
    assert int(r.headers["Retry-After"]) > 0
    # another user from the same address is not locked out by town's failures
    assert (
        client.post("/api/v1/auth/token", json={"username": "town2", "password": PASSWORD}).status_code == 201
    )


def test_no_token_and_bad_token_are_401(client, county):
    assert_error(client.get("/api/v1/persons"), 401, "unauthenticated")
    assert_error(
        client.get("/api/v1/persons", headers={"Authorization": "Bearer made-up"}), 401, "token_invalid"
    )
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": "Basic YWRtaW46eA=="}), 401, "unauthenticated"
    )


def test_inactive_user_token_stops_working(client, session, county):
    headers = api_token(client, "inspector")
    county.users["inspector"].active = False
    session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "token_invalid")


# ---- error shape for routing and permission errors ----


def test_error_shapes_403_404_405(client, county):
    holder = api_token(client, "holder")
    assert_error(client.get("/api/v1/persons", headers=holder), 403, "forbidden")
    assert_error(client.get("/api/v1/regions", headers=holder), 403, "forbidden")
    assert_error(client.get("/api/v1/no-such-thing", headers=holder), 404, "not_found")
    assert_error(client.get("/api/v1/persons/999999", headers=api_token(client, "admin")), 404, "not_found")
    assert_error(client.put("/api/v1/me", headers=holder, json={}), 405, "method_not_allowed")
    assert_error(client.delete("/api/v1/persons", headers=holder, json={}), 405, "method_not_allowed")
    assert_error(client.get("/api/v1/auth/token"), 405, "method_not_allowed")


# ---- persons: scope and masking ----


def test_holder_sees_only_own_person_masked(client, county):
    holder = api_token(client, "holder")
    wang, zhao = county.persons["wang"], county.persons["zhao"]
    err = assert_error(client.get(f"/api/v1/persons/{zhao.id}", headers=holder), 404, "not_found")
    assert "人员" in err["message"]
    r = client.get(f"/api/v1/persons/{wang.id}", headers=holder)
    assert r.status_code == 200
    p = r.get_json()
    assert p["name"] == "王秀英"
    assert p["id_number"] == mask_id_number(wang.id_number) and p["id_number_masked"] is True
    assert wang.id_number not in r.get_data(as_text=True)
    assert p["account"]["number"] == "****" + wang.account_no[-4:] and p["account"]["number_masked"] is True
    assert wang.account_no not in r.get_data(as_text=True)


def test_village_clerk_sees_only_their_village(client, session, county):
    headers = api_token(client, "village")
    v0 = county.villages[0]
    expected = session.scalar(select(func.count(Person.id)).where(Person.village_id == v0.id))
    body = client.get("/api/v1/persons", headers=headers).get_json()
    assert body["total"] == expected == 4
    assert {p["village"]["id"] for p in body["items"]} == {v0.id}
    assert_error(
        client.get(f"/api/v1/persons/{county.persons['zhao'].id}", headers=headers), 404, "not_found"
    )
    # filtering on another village does not widen the scope
    other = client.get(f"/api/v1/persons?village_id={county.villages[2].id}", headers=headers).get_json()
    assert other["total"] == 0 and other["items"] == []
    own = client.get(f"/api/v1/persons/{county.persons['li'].id}", headers=headers).get_json()
    assert own["id_number"] == county.persons["li"].id_number and own["id_number_masked"] is False


def test_township_clerk_scope(client, county):
    headers = api_token(client, "otherTown")
    body = client.get("/api/v1/persons", headers=headers).get_json()
    assert [p["name"] for p in body["items"]] == ["赵喆"]
    assert_error(client.get(f"/api/v1/persons/{county.persons['wang'].id}", headers=headers), 404)


def test_inspector_sees_everyone_masked(client, county):
    headers = api_token(client, "inspector")
    r = client.get("/api/v1/persons?per_page=200", headers=headers)
    body = r.get_json()
    assert body["total"] == len(county.persons)
    text = r.get_data(as_text=True)
    for item in body["items"]:
        assert item["id_number_masked"] is True and "********" in item["id_number"]
    for p in county.persons.values():
        assert p.id_number not in text
    chief = county.persons["chief"]
    r = client.get(f"/api/v1/persons/{chief.id}", headers=headers)
    d = r.get_json()
    assert d["id_number"] == mask_id_number(chief.id_number)
    assert d["account"]["number"] == "****" + chief.account_no[-4:]
    assert chief.id_number not in r.get_data(as_text=True) and chief.account_no not in r.get_data(
        as_text=True
    )


def test_admin_sees_full_numbers_and_the_whole_record(client, county):
    headers = api_token(client, "admin")
    chief, wife = county.persons["chief"], county.persons["chief_wife"]
    items = client.get("/api/v1/persons?per_page=200", headers=headers).get_json()["items"]
    assert {i["id_number"] for i in items} == {p.id_number for p in county.persons.values()}
    d = client.get(f"/api/v1/persons/{chief.id}", headers=headers).get_json()
    assert d["id_number"] == chief.id_number and d["id_number_masked"] is False
    assert d["account"] == {
        "kind": "社保卡",
        "number": chief.account_no,
        "number_masked": False,
        "holder_name": chief.account_name,
    }
    assert d["household_code"] == chief.household.code
    assert d["household"]["code"] == chief.household.code
    assert [m["name"] for m in d["household"]["members"]] == ["刘桂兰"]
    assert d["relations"] == [
        {
            "kind": "配偶",
            "person": {
                "id": wife.id,
                "name": "刘桂兰",
                "sex": "F",
                "birth_date": "1970-08-08",
                "village": {
                    "id": county.villages[0].id,
                    "code": county.villages[0].code,
                    "name": "东坪一村",
                    "level": "village",
                },
            },
        }
    ]
    assert d["cadre_terms"] == [
        {
            "office": "村委会主任",
            "village": d["village"],
            "term_start": "2021-01-01",
            "term_end": "2026-12-31",
            "current": True,
        }
    ]
    assert d["township"]["name"] == "东坪镇"
    w = client.get(f"/api/v1/persons/{wife.id}", headers=headers).get_json()
    assert w["categories"] == [
        {"category": "脱贫人口", "start_on": "2020-01-01", "end_on": None, "current": True}
    ]
    assert w["current_categories"] == ["脱贫人口"]
    assert [(k["kind"], k["person"]["name"], k["term"]["office"]) for k in w["relatives_who_are_cadres"]] == [
        ("配偶", "张村长", "村委会主任")
    ]


# ---- list filters and pagination ----


def test_person_filters(client, county):
    headers = api_token(client, "admin")

    def names(query):
        r = client.get("/api/v1/persons" + query, headers=headers)
        assert r.status_code == 200, r.get_json()
        return sorted(p["name"] for p in r.get_json()["items"])

    assert names("?cadre=1") == ["张村长"]
    assert "张村长" not in names("?eligible=1") and len(names("?eligible=1")) == 4
    assert names("?work_capacity=弱劳力") == ["王秀英"]
    assert names("?q=赵") == ["赵喆"]
    assert names(f"?q={county.persons['li'].id_number}") == ["李建国"]
    assert names(f"?township_id={county.townships[1].id}") == ["赵喆"]
    assert names(f"?village_id={county.villages[0].id}&category=脱贫人口") == ["刘桂兰", "李建国", "王秀英"]
    assert_error(client.get("/api/v1/persons?category=富人", headers=headers), 400, "bad_request")
    assert_error(client.get("/api/v1/persons?work_capacity=x", headers=headers), 400)
    assert_error(client.get("/api/v1/persons?village_id=abc", headers=headers), 400)
    assert_error(client.get("/api/v1/persons?eligible=yes", headers=headers), 400)


def test_pagination_numbers(client, county):
    headers = api_token(client, "admin")
    total = len(county.persons)
    first = client.get("/api/v1/persons?per_page=2", headers=headers).get_json()
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 2, total, 3)
    assert len(first["items"]) == 2
    pages = [
        client.get(f"/api/v1/persons?per_page=2&page={n}", headers=headers).get_json() for n in (1, 2, 3)
    ]
    ids = [p["id"] for page in pages for p in page["items"]]
    assert len(ids) == total == len(set(ids))
    assert len(pages[2]["items"]) == 1
    past = client.get("/api/v1/persons?per_page=2&page=9", headers=headers).get_json()
    assert past["items"] == [] and past["total"] == total and past["page"] == 9
    default = client.get("/api/v1/persons", headers=headers).get_json()
    assert (default["page"], default["per_page"], default["pages"]) == (1, 50, 1)
    assert client.get("/api/v1/persons?per_page=1000", headers=headers).get_json()["per_page"] == 200
    for bad in ("page=0", "page=abc", "per_page=0", "per_page=-5"):
        assert_error(client.get("/api/v1/persons?" + bad, headers=headers), 400, "bad_request")


def test_empty_list_has_zero_pages(client, county):
    body = client.get("/api/v1/persons?q=无此人", headers=api_token(client, "admin")).get_json()
    assert (body["items"], body["total"], body["pages"]) == ([], 0, 0)


# ---- regions ----


def test_regions_scoped_and_filtered(client, county):
    admin = api_token(client, "admin")
    body = client.get("/api/v1/regions", headers=admin).get_json()
    assert body["total"] == 7
    assert body["items"][0] == {
        "id": county.county.id,
        "code": "522701000000",
        "name": "青山县",
        "level": "county",
        "parent_code": None,
    }
    villages = client.get(
        f"/api/v1/regions?level=village&parent_code={county.townships[1].code}", headers=admin
    ).get_json()
    assert [r["name"] for r in villages["items"]] == ["西岭一村", "西岭二村"]
    assert all(r["parent_code"] == county.townships[1].code for r in villages["items"])

    town = api_token(client, "town")
    codes = [r["code"] for r in client.get("/api/v1/regions", headers=town).get_json()["items"]]
    assert codes == [county.townships[0].code, county.villages[0].code, county.villages[1].code]
    assert_error(client.get(f"/api/v1/regions/{county.county.code}", headers=town), 404, "not_found")
    assert_error(client.get(f"/api/v1/regions/{county.villages[2].code}", headers=town), 404)
    d = client.get(f"/api/v1/regions/{county.townships[0].code}", headers=town).get_json()
    assert d["full_name"] == "青山县东坪镇"
    assert d["parent"]["code"] == county.county.code
    assert [c["name"] for c in d["children"]] == ["东坪一村", "东坪二村"]

    village = api_token(client, "village")
    assert client.get("/api/v1/regions", headers=village).get_json()["total"] == 1
    assert_error(client.get("/api/v1/regions?level=province", headers=admin), 400)
    assert_error(client.get("/api/v1/regions?parent_code=52", headers=admin), 400)
    assert_error(client.get("/api/v1/regions/000000000000", headers=admin), 404)


# ---- writes ----

# Write routes an inspector may use: their own token. Every other write must answer 403.
INSPECTOR_MAY_WRITE = {
    ("POST", "/api/v1/auth/token"),
    ("DELETE", "/api/v1/auth/token"),
    ("POST", "/api/v1/setup"),  # first run only: no token, refused once a county exists
    # the inspector's own 纪检监察 workflow (issue 9): scan, dispose, note, rectification
    ("POST", "/api/v1/flags/scan"),
    ("POST", "/api/v1/flags/<int:flag_id>/disposition"),
    ("POST", "/api/v1/flags/<int:flag_id>/notes"),
    ("POST", "/api/v1/rectifications/<int:item_id>/done"),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_write_endpoint_refuses_an_inspector(app, client, session, county):
    headers = api_token(client, "inspector")
    writes = [
        (m, rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        for m in sorted(rule.methods & WRITE_METHODS)
    ]
    assert writes
    for method, rule in writes:
        if (method, rule.rule) in INSPECTOR_MAY_WRITE:
            continue
        url = re.sub(r"<(?:(int|float)[^:>]*:)?[^<>]+>", lambda m: "1" if m.group(1) else "x", rule.rule)
        r = client.open(url, method=method, headers=headers, json={})
        assert_error(r, 403, "forbidden")
    audit_before = session.execute(select(func.count()).select_from(ApiToken)).scalar()
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert session.execute(select(func.count()).select_from(ApiToken)).scalar() == audit_before
    assert_error(client.get("/api/v1/me", headers=headers), 401)


@pytest.mark.parametrize("username", ["admin", "town", "village", "inspector", "holder"])
def test_me_for_every_role(client, county, username):
    body = client.get("/api/v1/me", headers=api_token(client, username)).get_json()
    user = county.users[username]
    assert (body["username"], body["role"], body["person_id"]) == (username, user.role, user.person_id)
