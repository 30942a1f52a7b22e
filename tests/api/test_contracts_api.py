"""/api/v1/contracts: sign (the one-year rule), insurance, activate, renew, void, list scope,
holder access, PDF."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from pwposts.models.contracts import Assessment, Contract
from pwposts.services import audit
from tests.api.test_api import assert_error
from tests.conftest import api_token
from tests.contracts_support import grade, hired

SIGN = {"kind": "劳务协议", "start_on": "2026-03-01", "end_on": "2027-02-28"}


def signed_via_api(client, headers, application_id, **body):
    r = client.post(
        "/api/v1/contracts", headers=headers, json={"application_id": application_id, **SIGN, **body}
    )
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_sign_accepts_one_year_and_refuses_a_day_more(client, session, county):
    app = hired(session, county)
    headers = api_token(client, "town")
    err = assert_error(
        client.post(
            "/api/v1/contracts",
            headers=headers,
            json={"application_id": app.id, **SIGN, "end_on": "2027-03-01"},
        ),
        422,
        "contract_over_one_year",
    )
    assert (
        "2026-03-01" in err["message"] and "2027-03-01" in err["message"] and "2027-02-28" in err["message"]
    )
    assert session.scalar(select(Contract.id)) is None
    body = signed_via_api(client, headers, app.id)
    assert body["status"] == "draft" and body["start_on"] == "2026-03-01" and body["end_on"] == "2027-02-28"
    assert body["allowance_fen"] == 60000 and body["perf_pass_fen"] == 4000 and body["insured"] is False
    assert body["person"]["name"] == "王秀英" and body["person"]["id_number_masked"] is False
    assert body["code"].startswith("HT2026-") and body["policies"] == []


def test_sign_bad_input_and_roles(client, session, county):
    app = hired(session, county)
    headers = api_token(client, "town")
    assert_error(client.post("/api/v1/contracts", headers=headers, json={**SIGN}), 400)
    assert_error(
        client.post(
            "/api/v1/contracts",
            headers=headers,
            json={"application_id": app.id, **SIGN, "start_on": "2026-02-30"},
        ),
        400,
        "date_invalid",
    )
    assert_error(
        client.post(
            "/api/v1/contracts", headers=headers, json={"application_id": app.id, **SIGN, "kind": "口头"}
        ),
        400,
    )
    assert_error(
        client.post(
            "/api/v1/contracts",
            headers=api_token(client, "inspector"),
            json={"application_id": app.id, **SIGN},
        ),
        403,
    )
    assert_error(
        client.post(
            "/api/v1/contracts",
            headers=api_token(client, "otherTown"),
            json={"application_id": app.id, **SIGN},
        ),
        404,
    )
    assert_error(client.post("/api/v1/contracts", json={"application_id": app.id, **SIGN}), 401)


def test_insurance_activation_renewal_flow(client, session, county):
    app = hired(session, county)
    headers = api_token(client, "town")
    c = signed_via_api(client, headers, app.id, start_on="2026-01-01", end_on="2026-12-31")
    cid = c["id"]
    assert_error(client.post(f"/api/v1/contracts/{cid}/activate", headers=headers), 422, "insurance_missing")
    err = assert_error(
        client.post(
            f"/api/v1/contracts/{cid}/insurance",
            headers=headers,
            json={
                "insurer": "中国人寿",
                "policy_no": "PL1",
                "start_on": "2026-01-01",
                "end_on": "2026-11-30",
            },
        ),
        422,
        "policy_not_covering",
    )
    assert "2026-01-01 至 2026-11-30" in err["message"] and "2026-01-01 至 2026-12-31" in err["message"]
    r = client.post(
        f"/api/v1/contracts/{cid}/insurance",
        headers=headers,
        json={"insurer": "中国人寿", "policy_no": "PL1", "start_on": "2026-01-01", "end_on": "2026-12-31"},
    )
    assert r.status_code == 201 and r.get_json()["covers_contract"] is True
    r = client.post(f"/api/v1/contracts/{cid}/activate", headers=headers)
    assert r.status_code == 200 and r.get_json()["status"] == "active" and r.get_json()["insured"] is True
    renew = {"kind": "劳务协议", "start_on": "2027-01-01", "end_on": "2027-12-31"}
    assert_error(
        client.post(f"/api/v1/contracts/{cid}/renew", headers=headers, json=renew),
        422,
        "renewal_no_annual_grade",
    )
    grade(session, session.get(Contract, cid), "2026", "不合格")
    session.commit()
    assert_error(
        client.post(f"/api/v1/contracts/{cid}/renew", headers=headers, json=renew),
        422,
        "renewal_annual_grade_failed",
    )
    session.scalar(select(Assessment)).grade = "合格"  # regraded
    session.commit()
    r = client.post(f"/api/v1/contracts/{cid}/renew", headers=headers, json=renew)
    assert r.status_code == 201, r.get_json()
    new = r.get_json()
    assert new["previous_contract_id"] == cid and new["status"] == "draft"
    assert client.get(f"/api/v1/contracts/{cid}", headers=headers).get_json()["renewal_id"] == new["id"]
    client.post(
        f"/api/v1/contracts/{new['id']}/insurance",
        headers=headers,
        json={"insurer": "中国人寿", "policy_no": "PL2", "start_on": "2027-01-01", "end_on": "2027-12-31"},
    )
    assert client.post(f"/api/v1/contracts/{new['id']}/activate", headers=headers).status_code == 200
    assert client.get(f"/api/v1/contracts/{cid}", headers=headers).get_json()["status"] == "ended"
    assert audit.verify_chain(session).ok


def test_void_via_api(client, session, county):
    headers = api_token(client, "town")
    c = signed_via_api(client, headers, hired(session, county).id)
    assert_error(client.post(f"/api/v1/contracts/{c['id']}/void", headers=headers, json={}), 400)
    r = client.post(f"/api/v1/contracts/{c['id']}/void", headers=headers, json={"reason": "填错日期"})
    assert (
        r.status_code == 200 and r.get_json()["status"] == "void" and r.get_json()["end_reason"] == "填错日期"
    )


def test_list_scope_and_holder(client, session, county):
    wang = signed_via_api(client, api_token(client, "town"), hired(session, county).id)
    zhao = signed_via_api(
        client, api_token(client, "otherTown"), hired(session, county, "zhao", village=2).id
    )

    def ids(username, query=""):
        r = client.get("/api/v1/contracts" + query, headers=api_token(client, username))
        assert r.status_code == 200, r.get_json()
        return [c["id"] for c in r.get_json()["items"]]

    assert ids("town") == [wang["id"]]
    assert ids("otherTown") == [zhao["id"]]
    assert sorted(ids("inspector")) == sorted([wang["id"], zhao["id"]])
    assert ids("admin", "?q=赵喆") == [zhao["id"]]
    assert ids("holder") == [wang["id"]]
    assert_error(client.get("/api/v1/contracts?status=nonsense", headers=api_token(client, "admin")), 400)
    inspector = client.get(
        f"/api/v1/contracts/{wang['id']}", headers=api_token(client, "inspector")
    ).get_json()
    assert inspector["person"]["id_number_masked"] is True and "*" in inspector["person"]["id_number"]

    holder = api_token(client, "holder")
    r = client.get(f"/api/v1/contracts/{wang['id']}", headers=holder)
    assert r.status_code == 200 and r.get_json()["person"]["name"] == "王秀英"
    assert_error(client.get(f"/api/v1/contracts/{zhao['id']}", headers=holder), 404)
    assert_error(client.get(f"/api/v1/contracts/{zhao['id']}/pdf", headers=holder), 404)
    assert_error(client.get(f"/api/v1/contracts/{wang['id']}", headers=api_token(client, "otherTown")), 404)
    assert_error(client.post(f"/api/v1/contracts/{wang['id']}/activate", headers=holder), 403)

    r = client.get(f"/api/v1/contracts/{wang['id']}/pdf", headers=holder)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages))
    for expected in ("王秀英", "2026年3月1日", "2027年2月28日", "600.00元", "陆佰元整", "东坪镇人民政府"):
        assert expected in text, expected
