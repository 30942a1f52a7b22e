"""No 500 from bad input: ids no row can have, months and years out of range, booleans as ids,
full-width dates; and a server error answers with the Chinese page (JSON on the API)."""

from __future__ import annotations

import pytest

from pwposts.domain.inputs import MAX_ID
from tests.conftest import api_token, login

HUGE = "99999999999999999999"  # beyond 64 bits
PLACEHOLDERS = {
    "month": "2026-10",
    "year": "2026",
    "fmt": "csv",
    "village_code": "522701100201",
    "code": "522701100201",
    "key": "x",
    "token": "x",
    "filename": "x",
}


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        ints = [
            a
            for a, conv in rule._converters.items()
            if type(conv).__name__ != "UnicodeConverter" and a != "filename"
        ]
        if ints:
            yield rule, ints


def _url(rule, ints, value):
    parts = rule.rule
    for arg in rule.arguments:
        parts = parts.replace(f"<int:{arg}>", value if arg in ints else "1").replace(
            f"<{arg}>", PLACEHOLDERS.get(arg, "x")
        )
    return parts


@pytest.mark.parametrize("value", [HUGE, str(2**63), str(MAX_ID + 1), str(MAX_ID)])
def test_every_route_with_an_id_refuses_ids_no_row_can_have(app, client, county, value):
    """Walks the URL map: every route with an id, web and API, as the county admin, with an id no row has."""
    assert login(client, "admin").status_code == 302
    headers = api_token(client, "admin")
    routes = list(_id_routes(app))
    assert len(routes) > 60
    for rule, ints in routes:
        url = _url(rule, ints, value)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        r = client.open(
            url,
            method=method,
            headers=headers if url.startswith("/api/") else {},
            json={} if method != "GET" and url.startswith("/api/") else None,
        )
        assert r.status_code < 500, (url, r.status_code)
        if value != str(MAX_ID):
            # 404; or 405 where another rule on the same path
            # (another method) matched before the id was refused
            assert r.status_code == 404 or (
                r.status_code == 405 and len(rule.methods - {"HEAD", "OPTIONS"}) == 1
            ), (url, r.status_code)


def test_api_person_beyond_64_bits_is_404_in_json(client, county):
    r = client.get(f"/api/v1/persons/{HUGE}", headers=api_token(client, "admin"))
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/posts?village_id={HUGE}",
        f"/api/v1/contracts?person_id={HUGE}",
        f"/api/v1/persons?page={HUGE}",
        f"/api/v1/payroll-runs?township_id={HUGE}",
        f"/api/v1/attendance?village_id={HUGE}&month=2026-10",
        f"/api/v1/persons?per_page={HUGE}",
    ],
)
def test_api_query_ids_beyond_range_are_400_naming_the_parameter(client, county, url):
    r = client.get(url, headers=api_token(client, "admin"))
    assert r.status_code == 400, (url, r.status_code)
    assert "超出有效范围" in r.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        f"/people/?village={HUGE}",
        f"/posts/?township={HUGE}",
        f"/contracts/?village={HUGE}",
        f"/pay/runs?township={HUGE}",
        f"/users/?page={HUGE}",
        f"/audit/?page={HUGE}",
        f"/people/?page={HUGE}",
        f"/pay/attendance?township={HUGE}",
        f"/public/?township={HUGE}",
        f"/hiring/?post_id={HUGE}",
    ],
)
def test_web_query_ids_beyond_range_are_400(client, county, url):
    assert login(client, "admin").status_code == 302
    r = client.get(url)
    assert r.status_code == 400, (url, r.status_code)
    assert "超出有效范围" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [
        {"application_id": int(HUGE)},
        {"application_id": True},
        {"application_id": "12"},
        {"application_id": 2**70},
    ],
)
def test_json_body_ids_must_be_real_ids(client, county, body):
    r = client.post(
        "/api/v1/contracts",
        json={**body, "kind": "首次", "start_on": "2026-12-01", "end_on": "2027-11-30"},
        headers=api_token(client, "town"),
    )
    assert r.status_code == 400, r.get_json()
    assert "application_id" in r.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/v1/payroll-runs", {"township_id": True, "month": "2026-10"}),
        ("/api/v1/payroll-runs", {"township_id": 2**64, "month": "2026-10"}),
        ("/api/v1/attendance/approve", {"region_id": True, "month": "2026-10"}),
        ("/api/v1/attendance/approve", {"region_id": 2**64, "month": "2026-10"}),
        ("/api/v1/assessments", {"contract_id": 2**64, "period": "2026-10", "grade": "合格"}),
        (
            "/api/v1/posts",
            {"title": "保洁", "village_id": 2**64, "category_id": 1, "fund_id": 1, "headcount": 1},
        ),
        ("/api/v1/applications", {"notice_id": 2**64, "person_id": 1}),
    ],
)
def test_more_json_ids(client, county, path, body):
    r = client.post(path, json=body, headers=api_token(client, "admin"))
    assert r.status_code == 400, (path, body, r.get_json())


def test_public_payment_notice_refuses_months_out_of_range(client, county):
    code = county.villages[0].code
    r = client.get(f"/public/payments/{code}/9999-12")
    assert r.status_code == 400
    assert "9999-12" in r.get_data(as_text=True)
    assert client.get(f"/public/payments/{code}/0000-01").status_code == 400
    assert client.get(f"/public/payments/{code}/0000").status_code < 500


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/payroll-runs?month=9999-12",
        "/api/v1/arrears?month=9999-12",
        "/api/v1/attendance?village_id={v}&month=9999-12",
        "/api/v1/assessments?village_id={v}&period=0000",
        "/api/v1/assessments?village_id={v}&period=9999-12",
    ],
)
def test_api_months_and_years_out_of_range_are_4xx_naming_the_value(client, county, url):
    r = client.get(url.format(v=county.villages[0].id), headers=api_token(client, "admin"))
    assert 400 <= r.status_code < 500, (url, r.status_code)
    msg = r.get_json()["error"]["message"]
    assert "9999" in msg or "0000" in msg, msg


@pytest.mark.parametrize(
    "url",
    [
        "/pay/attendance/{v}/9999-12",
        "/pay/attendance/{v}/0000-01",
        "/pay/assessment/{v}/0000",
        "/pay/assessment/{v}/9999",
        "/pay/attendance/{v}/9999-12/template.xlsx",
        "/pay/runs?month=9999-12",
        "/pay/attendance?month=9999-12",
    ],
)
def test_web_months_out_of_range(client, county, url):
    assert login(client, "admin").status_code == 302
    r = client.get(url.format(v=county.villages[0].id))
    assert r.status_code < 500, (url, r.status_code)


def test_api_accepts_full_width_months(client, county):
    v = county.villages[0].id
    r = client.get(
        f"/api/v1/attendance?village_id={v}&month=２０２６－１０", headers=api_token(client, "admin")
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["month"] == "2026-10"


def test_server_error_answers_in_chinese_html_and_json(database_url):
    from pwposts import create_app

    app = create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
        }
    )

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    from pwposts.api.v1 import bp as api_bp

    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    assert api_bp.name == "api_v1"
    c = app.test_client()
    r = c.get("/boom")
    assert r.status_code == 500 and "服务器内部错误" in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)
    r = c.get("/api/v1/boom")
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "internal_error"
