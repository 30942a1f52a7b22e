"""The holder's payments and 申诉 through the API: own records only; staff answer."""

from tests.conftest import api_token
from tests.web.test_holder_portal import paid  # noqa: F401  (fixture)


def test_holder_lists_and_reads_only_own_payments(client, paid):  # noqa: F811
    h = api_token(client, "holder")
    page = client.get("/api/v1/me/payments", headers=h).get_json()
    assert page["total"] == 1 and page["items"][0]["calc_text"] == "600 ÷ 20 × 15 = 450.00"
    assert page["items"][0]["amount_fen"] == 45000 and page["items"][0]["account"] == "****2222"
    assert client.get(f"/api/v1/payments/{paid['wang'].id}", headers=h).status_code == 200
    other = client.get(f"/api/v1/payments/{paid['zhao'].id}", headers=h)
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"


def test_holder_objects_and_sees_the_answer(client, paid):  # noqa: F811
    h = api_token(client, "holder")
    r = client.post(
        f"/api/v1/payments/{paid['wang'].id}/objections", json={"content": "10月20日出勤未计入"}, headers=h
    )
    assert r.status_code == 201
    oid = r.get_json()["id"]
    assert (
        client.post(
            f"/api/v1/payments/{paid['zhao'].id}/objections",
            json={"content": "不是我的钱但我要申诉"},
            headers=h,
        ).status_code
        == 404
    )
    village = api_token(client, "village")
    assert (
        client.post(
            f"/api/v1/payment-objections/{oid}/answer", json={"answer": "经核查属实"}, headers=village
        ).status_code
        == 403
    )
    town = api_token(client, "town")
    listed = client.get("/api/v1/payment-objections?status=open", headers=town).get_json()
    assert [o["id"] for o in listed["items"]] == [oid]
    assert (
        client.get("/api/v1/payment-objections", headers=api_token(client, "otherTown")).get_json()["total"]
        == 0
    )
    r = client.post(
        f"/api/v1/payment-objections/{oid}/answer", json={"answer": "经核查属实，下月补发"}, headers=town
    )
    assert r.status_code == 200 and r.get_json()["status"] == "answered"
    mine = client.get("/api/v1/me/objections", headers=h).get_json()
    assert mine[0]["answer"] == "经核查属实，下月补发"


def test_staff_read_payments_in_scope_only(client, paid):  # noqa: F811
    assert (
        client.get(f"/api/v1/payments/{paid['wang'].id}", headers=api_token(client, "inspector")).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/payments/{paid['wang'].id}", headers=api_token(client, "otherTown")).status_code
        == 404
    )
    assert client.get("/api/v1/me/payments", headers=api_token(client, "town")).status_code == 403


def test_holder_reads_own_attendance(client, paid):  # noqa: F811
    rows = client.get("/api/v1/me/attendance", headers=api_token(client, "holder")).get_json()
    assert [(r["month"], r["days_worked"], r["status"]) for r in rows] == [("2026-10", 15, "locked")]
    assert client.get("/api/v1/me/attendance", headers=api_token(client, "village")).status_code == 403
