"""API: keeping persons, department imports, standing and the affected holders."""

from __future__ import annotations

import io
from datetime import date

from tests.builders import make_id_number
from tests.conftest import api_token
from tests.hiring_support import make_contract, make_post


def test_person_lifecycle_through_the_api(client, session, county):
    h = api_token(client, "village")
    v0 = county.villages[0]
    number = make_id_number(date(1988, 8, 8), "M", seq=611)
    r = client.post(
        "/api/v1/persons",
        headers=h,
        json={
            "village_id": v0.id,
            "id_number": number,
            "name": "周大山",
            "phone": "13900001111",
            "household_code": "ZD-1",
            "work_capacity": "弱劳力",
            "cannot_leave_home": True,
            "categories": [{"category": "边缘易致贫人员", "start_on": "2026-01-01"}],
        },
    )
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert (
        r.get_json()["current_categories"] == ["边缘易致贫人员"] and r.get_json()["cannot_leave_home"] is True
    )
    bad = client.post(
        "/api/v1/persons", headers=h, json={"village_id": v0.id, "id_number": "123", "name": "x"}
    )
    assert bad.status_code == 422 and "身份证号" in bad.get_json()["error"]["message"]
    assert (
        client.post(
            "/api/v1/persons",
            headers=h,
            json={"village_id": county.villages[2].id, "id_number": number, "name": "x"},
        ).status_code
        == 404
    )
    r = client.patch(
        f"/api/v1/persons/{pid}",
        headers=h,
        json={"account_kind": "社保卡", "account_no": "6221000011112222", "account_name": "周大山"},
    )
    assert r.status_code == 200 and r.get_json()["account"]["holder_name"] == "周大山"
    li = county.persons["li"]
    r = client.post(
        f"/api/v1/persons/{pid}/relations", headers=h, json={"relative_id": li.id, "kind": "兄弟姐妹"}
    )
    assert r.status_code == 201 and r.get_json()["relations"][0]["kind"] == "兄弟姐妹"
    li_view = client.get(f"/api/v1/persons/{li.id}", headers=h).get_json()
    assert any(x["person"]["id"] == pid for x in li_view["relations"])
    r = client.post(
        f"/api/v1/persons/{pid}/categories/end",
        headers=h,
        json={"category": "边缘易致贫人员", "end_on": "2026-11-24", "reason": "风险消除"},
    )
    assert r.status_code == 200 and r.get_json()["current_categories"] == []
    standing = client.get(f"/api/v1/persons/{pid}/standing", headers=h).get_json()
    assert standing[0]["code"] == "category_ended"
    r = client.post(f"/api/v1/persons/{pid}/household", headers=h, json={"household_code": "ZD-2"})
    assert r.get_json()["household"]["code"] == "ZD-2"
    r = client.post(
        f"/api/v1/persons/{pid}/death", headers=h, json={"death_date": "2026-11-20", "source": "村委会证明"}
    )
    assert r.status_code == 200 and r.get_json()["death_date"] == "2026-11-20"
    assert (
        client.post(
            f"/api/v1/persons/{pid}/death", headers=h, json={"death_date": "2027-01-01", "source": "x"}
        ).status_code
        == 422
    )
    rec = client.get(f"/api/v1/persons/{pid}/record", headers=h).get_json()
    assert {e["action"] for e in rec["audit"]} >= {"create_person", "record_death", "end_person_category"}
    town = api_token(client, "town")
    r = client.post(
        f"/api/v1/persons/{pid}/cadres", headers=town, json={"office": "村文书", "term_start": "2026-01-01"}
    )
    assert r.status_code == 201 and r.get_json()["cadre_terms"][0]["office"] == "村文书"
    assert (
        client.post(
            f"/api/v1/persons/{pid}/cadres", headers=h, json={"office": "村文书", "term_start": "2026-01-01"}
        ).status_code
        == 403
    )


def test_department_import_api_and_affected_holders(client, session, county):
    wang = county.persons["wang"]
    make_contract(session, wang, make_post(session, county))
    session.commit()
    h = api_token(client, "admin")
    csv = f"身份证号,死亡日期\n{wang.id_number},2026-11-10\n".encode()
    r = client.post(
        "/api/v1/records/deaths/import",
        headers=h,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(csv), "公安注销.csv"), "department": "公安局"},
    )
    assert r.status_code == 200 and r.get_json()["added"] == 1, r.get_json()
    again = client.post(
        "/api/v1/records/deaths/import",
        headers=h,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(csv), "公安注销.csv"), "department": "公安局"},
    )
    assert again.get_json()["same_file"] is True
    affected = client.get("/api/v1/affected-holders", headers=h).get_json()
    assert affected[0]["person"]["id"] == wang.id and "公安注销.csv" in affected[0]["standings"][0]["source"]
    batches = client.get("/api/v1/import-batches", headers=h).get_json()
    assert batches["total"] == 1 and batches["items"][0]["source_department"] == "公安局"
    assert client.get("/api/v1/records/cadres/template", headers=h).status_code == 200
    assert (
        client.post("/api/v1/records/deaths/import", headers=api_token(client, "town"), data={}).status_code
        == 403
    )
    bad = client.post("/api/v1/records/nothing/import", headers=h, data={})
    assert bad.status_code == 404
