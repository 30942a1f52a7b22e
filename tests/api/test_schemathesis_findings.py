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
