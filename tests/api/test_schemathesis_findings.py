"""What schemathesis found in /api/v1, one regression test each."""

from __future__ import annotations

from pwposts.domain.inputs import MAX_ID
from tests.conftest import api_token


def test_renewal_decisions_with_an_id_no_row_can_have_are_400_not_500(client, county):
    """An int beyond 64 bits as a contract id overflowed the database driver (a 500)."""
    headers = api_token(client, "admin")
    for cid in (2**70, -(2**70), MAX_ID + 1):
        r = client.post(
            "/api/v1/renewals/decide",
            json={"decisions": [{"contract_id": cid, "action": "renew"}]},
            headers=headers,
        )
        assert r.status_code == 400, (cid, r.status_code)
        assert "contract_id" in r.get_json()["error"]["message"]


def test_settings_kinds_in_the_schema_cover_every_setting(client, county):
    """The schema listed int/optional_int/choice; the category-list setting's kind is "categories"."""
    from pwposts.domain.settings import SPECS

    doc = client.get("/api/v1/openapi.json").get_json()
    kinds = doc["components"]["schemas"]["CountySetting"]["properties"]["kind"]["enum"]
    assert {s.kind for s in SPECS} <= set(kinds)
    r = client.get("/api/v1/settings", headers=api_token(client, "admin"))
    assert {row["kind"] for row in r.get_json()} <= set(kinds)


def test_county_policy_ids_and_numbers_beyond_an_integer_column_are_400(client, county):
    """A category id beyond 32 bits reached PostgreSQL's INTEGER and came back as a 500 (SQLite let it
    pass); money stays BIGINT: a fund of more than 21 million yuan is still accepted."""
    headers = api_token(client, "admin")
    for value in (-57926519072, MAX_ID + 1, 2**70):
        r = client.post(
            "/api/v1/standards",
            json={
                "category_id": value,
                "effective_from": "2026-01-01",
                "monthly_allowance_fen": 50000,
                "required_days": 20,
            },
            headers=headers,
        )
        assert r.status_code == 400, (value, r.status_code)
        assert "超出有效范围" in r.get_json()["error"]["message"]

    r = client.post(
        "/api/v1/funds",
        json={"name": "大额资金", "year": 2026, "allocation_fen": 5_000_000_000},
        headers=headers,
    )
    assert r.status_code == 201 and r.get_json()["allocation_fen"] == 5_000_000_000, r.get_json()
