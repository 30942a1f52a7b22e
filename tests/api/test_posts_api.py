"""/api/v1 按需设岗: propose → submit (parity) → approve, the parity report, county settings."""

from sqlalchemy import func, select

from pwposts.models.audit import AuditEntry
from pwposts.services import audit
from tests.conftest import api_token
from tests.post_builders import NEED, add_policy


def body(county, policy, **over):
    data = {
        "title": "村庄保洁员",
        "village_id": county.villages[0].id,
        "category_id": policy.cleaning.id,
        "fund_id": policy.fund.id,
        "headcount": 1,
        "duties": "负责主干道清扫",
        "work_place": "东坪一村",
        "hours": "每日7:00-9:00",
        "need_text": NEED,
        "eligible_pool": 3,
    }
    data.update(over)
    return data


def test_post_lifecycle_and_parity_over_the_api(client, session, county):
    policy = add_policy(session, county)
    session.commit()
    town, admin = api_token(client, "town"), api_token(client, "admin")
    r = client.post("/api/v1/posts", json=body(county, policy, allowance_fen=72000), headers=town)
    assert r.status_code == 201, r.get_json()
    post = r.get_json()
    assert post["status"] == "draft" and post["standard"]["monthly_allowance_fen"] == 60000
    assert post["parity"] == {
        "allowance_pct": "20.00",
        "days_pct": "0.00",
        "exceeds": True,
        "tolerance_pct": 10,
    }
    pid = post["id"]
    r = client.post(f"/api/v1/posts/{pid}/submit", headers=town)
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert (
        err["code"] == "parity_reason_required" and "720.00元" in err["message"] and "±10%" in err["message"]
    )
    reason = "山区村落分散，保洁路段是平原村的两倍"
    r = client.post(f"/api/v1/posts/{pid}/submit", json={"deviation_reason": reason}, headers=town)
    assert r.status_code == 200 and r.get_json()["deviation_status"] == "pending"
    rep = client.get("/api/v1/parity-report", headers=api_token(client, "inspector")).get_json()
    dev = rep["deviating_posts"]
    assert len(dev) == 1 and dev[0]["deviation_reason"] == reason and dev[0]["allowance_pct"] == "20.00"
    assert rep["categories"][0]["count"] == 1
    assert client.post(f"/api/v1/posts/{pid}/approve", json={}, headers=admin).status_code == 422
    r = client.post(f"/api/v1/posts/{pid}/approve", json={"approve_deviation": True}, headers=admin)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    detail = client.get(f"/api/v1/posts/{pid}", headers=town).get_json()
    assert [h["action"] for h in detail["history"]] == ["propose_post", "submit_post", "approve_post"]
    listing = client.get("/api/v1/posts?status=approved&deviation=any", headers=town).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == pid
    assert client.get("/api/v1/posts?status=nonsense", headers=town).status_code == 400
    assert audit.verify_chain(session).ok


def test_roles_on_the_api(client, session, county):
    policy = add_policy(session, county)
    session.commit()
    town = api_token(client, "town")
    pid = client.post("/api/v1/posts", json=body(county, policy), headers=town).get_json()["id"]
    client.post(f"/api/v1/posts/{pid}/submit", headers=town)
    tokens = {who: api_token(client, who) for who in ("inspector", "village", "otherTown", "admin")}
    n = session.scalar(select(func.count(AuditEntry.id)))
    for who in ("inspector", "village"):
        h = tokens[who]
        assert client.post("/api/v1/posts", json=body(county, policy), headers=h).status_code == 403
        for step, data in (
            ("approve", {"approve_deviation": True}),
            ("reject", {"reason": "不同意"}),
            ("close", {"reason": "不需要"}),
            ("submit", {}),
        ):
            assert client.post(f"/api/v1/posts/{pid}/{step}", json=data, headers=h).status_code == 403, (
                who,
                step,
            )
        assert (
            client.post(
                "/api/v1/settings",
                json={"key": "parity_tolerance_pct", "value": "20", "effective_from": "2026-12-01"},
                headers=h,
            ).status_code
            == 403
        )
    assert client.post(f"/api/v1/posts/{pid}/approve", json={}, headers=town).status_code == 403
    assert client.get(f"/api/v1/posts/{pid}", headers=tokens["otherTown"]).status_code == 404
    assert session.scalar(select(func.count(AuditEntry.id))) == n  # nothing refused left a trace of change
    r = client.post(f"/api/v1/posts/{pid}/reject", json={"reason": "需求不足"}, headers=tokens["admin"])
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert client.post(f"/api/v1/posts/{pid}/revise", headers=tokens["inspector"]).status_code == 403
    r = client.post(f"/api/v1/posts/{pid}/revise", headers=town)
    assert r.status_code == 200 and r.get_json()["status"] == "draft"
    assert client.post(f"/api/v1/posts/{pid}/revise", headers=town).status_code == 422


def test_settings_over_the_api(client, session, county):
    h = api_token(client, "admin")
    items = client.get("/api/v1/settings", headers=api_token(client, "inspector")).get_json()
    tol = next(s for s in items if s["key"] == "parity_tolerance_pct")
    assert tol["value"] == "10" and tol["history"] == []
    r = client.post(
        "/api/v1/settings",
        json={"key": "parity_tolerance_pct", "value": "20", "effective_from": "2026-12-01", "note": "县文件"},
        headers=h,
    )
    assert r.status_code == 201
    s = r.get_json()
    assert s["value"] == "10" and s["history"] == [
        {"value": "20", "effective_from": "2026-12-01", "note": "县文件"}
    ]
    r = client.post(
        "/api/v1/settings",
        json={"key": "parity_tolerance_pct", "value": "20", "effective_from": "2026-11-01"},
        headers=h,
    )
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "setting_backdated"
    assert (
        client.post(
            "/api/v1/settings", json={"key": "nope", "value": "1", "effective_from": "2026-12-01"}, headers=h
        ).status_code
        == 400
    )
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "change_setting")) == 1
