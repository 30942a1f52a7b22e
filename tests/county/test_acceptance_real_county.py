"""Acceptance (issue 13): from an empty database, through HTTP only, a county is set up from a 区划代码 file,
its categories, standards, a fund with its allocation and the users; a roster is imported, one person hired,
attendance recorded and a month paid — without `pwposts demo`."""

from __future__ import annotations

import io
import re

from tests.builders import make_id_number
from tests.services.test_roster import person_row, workbook

REGIONS = (
    "统计用区划代码,城乡分类代码,名称\n"
    "522799000000,,新县\n"
    "522799100000,111,城关镇\n"
    "522799100201,111,东街社区\n"
    "522799100202,220,河口村\n"
    "522799101000,,坝子乡\n"
    "522799101201,220,坝子村\n"
)


def test_a_real_county_from_nothing_to_a_paid_month(client, app):
    from datetime import date

    def today(d: str):
        app.config["PWPOSTS_TODAY"] = d

    def ok(r, status=200):
        assert r.status_code == status, (
            r.status_code,
            r.get_json() if r.is_json else r.data.decode()[-1500:],
        )
        return r.get_json() if r.is_json else r

    def token(username, password="long-enough-1"):
        return {
            "Authorization": "Bearer "
            + ok(client.post("/api/v1/auth/token", json={"username": username, "password": password}), 201)[
                "token"
            ]
        }

    # 1. the county and its first administrator; the townships and villages from the 区划代码 file
    ok(
        client.post(
            "/api/v1/setup",
            json={
                "county_code": "522799",
                "county_name": "新县",
                "admin_username": "boss",
                "admin_name": "县管理员",
                "admin_password": "long-enough-1",
            },
        ),
        201,
    )
    admin = token("boss")
    regions = ok(
        client.post(
            "/api/v1/regions/import",
            headers=admin,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(REGIONS.encode()), "统计用区划代码.csv")},
        )
    )
    assert (regions["added_townships"], regions["added_villages"]) == (2, 3)
    town = ok(client.get("/api/v1/regions/522799100000", headers=admin))
    village = ok(client.get("/api/v1/regions/522799100202", headers=admin))

    # 2. policy: a post category, its standard, a fund with its allocation and 文号
    cat = ok(client.post("/api/v1/post-categories", headers=admin, json={"code": "BJ", "name": "保洁"}), 201)
    ok(
        client.post(
            "/api/v1/standards",
            headers=admin,
            json={
                "category_id": cat["id"],
                "effective_from": "2026-01-01",
                "monthly_allowance_fen": 60000,
                "required_days": 20,
                "perf_excellent_fen": 5000,
                "perf_pass_fen": 4000,
            },
        ),
        201,
    )
    fund = ok(
        client.post(
            "/api/v1/funds",
            headers=admin,
            json={
                "name": "衔接推进乡村振兴补助资金",
                "year": 2026,
                "allocation_fen": 1_000_000_00,
                "document_no": "新财农〔2026〕8号",
            },
        ),
        201,
    )

    # 3. users, on the web page of the county admin
    client.post("/login", data={"username": "boss", "password": "long-enough-1"})
    for username, role, code in (
        ("clerk_a", "township_clerk", "522799100000"),
        ("clerk_b", "township_clerk", "522799100000"),
        ("hekou", "village_clerk", "522799100202"),
    ):
        r = client.post(
            "/users/new",
            data={
                "username": username,
                "display_name": username,
                "role": role,
                "region_code": code,
                "password": "long-enough-1",
            },
        )
        assert r.status_code == 302, r.data.decode()[-1500:]
    client.post("/logout")
    # each account an admin created chooses its own password at first login
    for username in ("clerk_a", "clerk_b", "hekou"):
        r = client.post("/login", data={"username": username, "password": "long-enough-1"})
        assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
        r = client.post(
            "/account/password",
            data={"current": "long-enough-1", "password": "own-choice-2026", "confirm": "own-choice-2026"},
        )
        assert r.status_code == 302, r.data.decode()[-1500:]
        client.post("/logout")

    # 4. the village clerk imports the roster (check, then confirm)
    client.post("/login", data={"username": "hekou", "password": "own-choice-2026"})
    number = make_id_number(date(1972, 6, 1), "F", region6="522799", seq=42)
    book = workbook(
        [
            person_row(
                "杨桂芝",
                number,
                "河口村",
                household="HK-001",
                categories="脱贫人口",
                account_kind="社保卡",
                account_no="6221000012345678",
                account_name="杨桂芝",
            )
        ]
    )
    r = client.post(
        "/people/roster/import",
        data={"file": (book, "河口村花名册.xlsx")},
        content_type="multipart/form-data",
    )
    token_value = re.search(r'name="token" value="([0-9a-f]{32})"', r.data.decode()).group(1)
    r = client.post("/people/roster/import/confirm", data={"token": token_value})
    assert "导入完成" in r.data.decode()
    client.post("/logout")
    a, b = token("clerk_a", "own-choice-2026"), token("clerk_b", "own-choice-2026")
    person = ok(client.get(f"/api/v1/persons?q={number}", headers=a))["items"][0]

    # 5. a post for a written need, approved by the county; notice, application, 公示, hire
    post = ok(
        client.post(
            "/api/v1/posts",
            headers=a,
            json={
                "title": "河口村保洁员",
                "village_id": village["id"],
                "category_id": cat["id"],
                "fund_id": fund["id"],
                "headcount": 1,
                "duties": "清扫村内道路，清运垃圾",
                "work_place": "河口村",
                "hours": "每天上午7:00-9:00",
                "need_text": "村内主干道约3公里需要每日保洁，本村有无法离乡的脱贫人口",
                "eligible_pool": 2,
            },
        ),
        201,
    )
    assert post["allowance_fen"] == 60000
    ok(client.post(f"/api/v1/posts/{post['id']}/submit", headers=a))
    ok(client.post(f"/api/v1/posts/{post['id']}/approve", headers=admin, json={}))
    notice = ok(
        client.post(
            "/api/v1/notices",
            headers=a,
            json={
                "post_id": post["id"],
                "title": "河口村保洁员招聘公告",
                "conditions": "本村户籍、年满16周岁、属于帮扶类别",
                "places": 1,
                "start_on": "2026-11-25",
                "end_on": "2026-11-27",
                "contact": "城关镇人社中心",
            },
        ),
        201,
    )
    application = ok(
        client.post(
            "/api/v1/applications", headers=a, json={"notice_id": notice["id"], "person_id": person["id"]}
        ),
        201,
    )
    assert application["eligible"], application
    today("2026-11-30")  # registration closed on Friday 11-27; the 公示 follows it
    publicity = ok(client.post(f"/api/v1/notices/{notice['id']}/publicity", headers=a, json={}), 201)
    assert publicity["end_on"] == "2026-12-07"  # Monday 11-30 + 5 working days
    today("2026-12-08")
    ok(client.post(f"/api/v1/publicities/{publicity['id']}/end", headers=a, json={}))
    ok(client.post(f"/api/v1/applications/{application['id']}/hire", headers=a, json={}))

    # 6. the contract, its accident insurance, in force
    contract = ok(
        client.post(
            "/api/v1/contracts",
            headers=a,
            json={"application_id": application["id"], "start_on": "2026-12-08", "end_on": "2027-12-07"},
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/contracts/{contract['id']}/insurance",
            headers=a,
            json={
                "insurer": "中国人寿新县支公司",
                "policy_no": "YW2026-001",
                "start_on": "2026-12-08",
                "end_on": "2027-12-07",
            },
        ),
        201,
    )
    ok(client.post(f"/api/v1/contracts/{contract['id']}/activate", headers=a, json={}))

    # 7. December's attendance, entered by one clerk and approved by
    # the other; the month paid (prepared by one, approved by another)
    today("2027-01-04")
    ok(
        client.put(
            f"/api/v1/attendance?village_id={village['id']}&month=2026-12",
            headers=a,
            json={"rows": [{"contract_id": contract["id"], "days_worked": 15}]},
        )
    )
    ok(
        client.post(
            "/api/v1/attendance/approve", headers=b, json={"region_id": town["id"], "month": "2026-12"}
        )
    )
    run = ok(
        client.post("/api/v1/payroll-runs", headers=a, json={"township_id": town["id"], "month": "2026-12"}),
        201,
    )
    approved = ok(client.post(f"/api/v1/payroll-runs/{run['id']}/approve", headers=b, json={}))
    assert approved["status"] == "approved"
    # 600 ÷ 20 × 15 = 450.00 (under the prorated cap 600 × 24 ÷ 31); ungraded month: no performance part
    assert approved["total_fen"] == 45000 and approved["line_count"] == 1

    # a paid month is never altered: no standard may start in it; the allocation may not fall below it;
    # what the paid month depends on cannot be deleted
    refused = client.post(
        "/api/v1/standards",
        headers=admin,
        json={
            "category_id": cat["id"],
            "effective_from": "2026-12-15",
            "monthly_allowance_fen": 70000,
            "required_days": 20,
        },
    )
    assert refused.status_code == 422 and "2026-12" in refused.get_json()["error"]["message"]
    ok(
        client.post(
            "/api/v1/standards",
            headers=admin,
            json={
                "category_id": cat["id"],
                "effective_from": "2027-01-01",
                "monthly_allowance_fen": 70000,
                "required_days": 20,
            },
        ),
        201,
    )
    low = client.put(f"/api/v1/funds/{fund['id']}", headers=admin, json={"allocation_fen": 100})
    assert low.status_code == 422 and "450.00" in low.get_json()["error"]["message"]
    gone = client.delete(f"/api/v1/funds/{fund['id']}", headers=admin)
    assert gone.status_code == 422 and "1个岗位" in gone.get_json()["error"]["message"]
    gone = client.delete(f"/api/v1/post-categories/{cat['id']}", headers=admin)
    assert gone.status_code == 422 and "1个岗位" in gone.get_json()["error"]["message"]
