"""Starting a real county: `pwposts init`, the first-run API, the 区划代码 import, policy administration."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from pwposts.models.audit import AuditEntry
from pwposts.models.people import Region
from pwposts.models.policy import Standard
from tests.conftest import api_token

REGIONS_CSV = (
    "统计用区划代码,城乡分类代码,名称\n"
    "522799000000,,新县\n"
    "522799100000,111,城关镇\n"
    "522799100201,111,东街社区\n"
    "522799100202,220,河口村\n"
    "522799101000,,坝子乡\n"
    "522799101201,220,坝子村\n"
)


def setup_county(client) -> dict:
    r = client.post(
        "/api/v1/setup",
        json={
            "county_code": "522799",
            "county_name": "新县",
            "admin_username": "boss",
            "admin_name": "县管理员",
            "admin_password": "long-enough-1",
        },
    )
    assert r.status_code == 201, r.get_json()
    return api_token(client, "boss", "long-enough-1")


def upload(client, headers, url, text, name="regions.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        url, headers=headers, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_init_command_creates_county_and_admin_and_refuses_twice(app, session):
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=[
            "init",
            "--county-code",
            "522799",
            "--county-name",
            "新县",
            "--admin-username",
            "boss",
            "--admin-name",
            "县管理员",
            "--admin-password",
            "long-enough-1",
        ]
    )
    assert r.exit_code == 0, r.output
    assert session.scalar(select(Region.code).where(Region.level == "county")) == "522799000000"
    again = runner.invoke(
        args=[
            "init",
            "--county-code",
            "522798",
            "--county-name",
            "别县",
            "--admin-username",
            "b2",
            "--admin-name",
            "二",
            "--admin-password",
            "long-enough-1",
        ]
    )
    assert again.exit_code != 0 and "已初始化" in again.output


def test_setup_api_then_region_import_adds_only_what_is_new(client, app, session):
    h = setup_county(client)
    assert (
        client.post(
            "/api/v1/setup",
            json={
                "county_code": "522798",
                "county_name": "x",
                "admin_username": "y",
                "admin_name": "z",
                "admin_password": "long-enough-1",
            },
        ).status_code
        == 422
    )
    assert client.get("/setup").status_code == 404
    r = upload(client, h, "/api/v1/regions/import", REGIONS_CSV)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["added_townships"], r.get_json()["added_villages"]) == (2, 3)
    village = session.scalar(select(Region).where(Region.code == "522799100202"))
    assert (
        village.level == "village"
        and village.parent.code == "522799100000"
        and village.parent.parent.level == "county"
    )
    audits = session.scalar(select(func.count(AuditEntry.id)))
    # the same file again: nothing, not even an audit entry
    again = upload(client, h, "/api/v1/regions/import", REGIONS_CSV)
    assert again.get_json()["same_file"] is True
    assert session.scalar(select(func.count(AuditEntry.id))) == audits
    # a newer list: one new village, a renamed one is reported and kept
    newer = REGIONS_CSV.replace("河口村", "河口新村") + "522799101202,220,新民村\n"
    r = upload(client, h, "/api/v1/regions/import", newer)
    body = r.get_json()
    assert (body["added_villages"], body["unchanged"]) == (1, 5)
    assert "河口新村" in body["name_differs"][0]
    assert session.scalar(select(Region.name).where(Region.code == "522799100202")) == "河口村"


def test_region_import_refuses_the_whole_file_naming_rows(client, app, session):
    h = setup_county(client)
    bad = (
        "统计用区划代码,名称\n"
        "522799100000,城关镇\n"
        "52279910020,短码村\n"
        "522701100201,外县村\n"
        "522799105201,孤村\n"
        "522799100000,重复镇\n"
    )
    r = upload(client, h, "/api/v1/regions/import", bad)
    assert r.status_code == 422
    details = "\n".join(r.get_json()["error"]["details"])
    assert "第3行" in details and "12位" in details
    assert "第4行" in details and "不属于本县" in details
    assert "第5行" in details and "522799105000" in details
    assert "第6行" in details and "重复" in details
    assert session.scalar(select(func.count(Region.id))) == 1


def test_region_import_reads_xlsx_from_the_web_page(client, app, session):
    from openpyxl import Workbook

    setup_county(client)
    client.post("/login", data={"username": "boss", "password": "long-enough-1"})
    wb = Workbook()
    ws = wb.active
    ws.append(["2025年统计用区划代码"])
    ws.append(["统计用区划代码", "名称"])
    ws.append([522799100000, "城关镇"])  # a number cell
    ws.append(["522799100201", "东街社区"])
    out = io.BytesIO()
    wb.save(out)
    r = client.post(
        "/county/regions/import",
        data={"file": (io.BytesIO(out.getvalue()), "q.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "新增乡镇1个、村1个" in r.data.decode()
    assert client.get("/county/regions").status_code == 200
    assert client.get("/county/regions/template.xlsx").status_code == 200


def test_policy_administration_through_the_api(client, app, session):
    h = setup_county(client)
    upload(client, h, "/api/v1/regions/import", REGIONS_CSV)
    cat = client.post(
        "/api/v1/post-categories", headers=h, json={"code": "BJ", "name": "保洁", "kind": "普通"}
    )
    assert cat.status_code == 201, cat.get_json()
    cid = cat.get_json()["id"]
    s1 = client.post(
        "/api/v1/standards",
        headers=h,
        json={
            "category_id": cid,
            "effective_from": "2026-01-01",
            "monthly_allowance_fen": 60000,
            "required_days": 20,
            "perf_excellent_fen": 5000,
            "perf_pass_fen": 4000,
        },
    )
    assert s1.status_code == 201, s1.get_json()
    s2 = client.post(
        "/api/v1/standards",
        headers=h,
        json={
            "category_id": cid,
            "effective_from": "2027-01-01",
            "monthly_allowance_fen": 70000,
            "required_days": 20,
        },
    )
    assert s2.status_code == 201
    old = session.get(Standard, s1.get_json()["id"])
    session.refresh(old)
    assert old.effective_to == date(2026, 12, 31) and old.monthly_allowance_fen == 60000
    earlier = client.post(
        "/api/v1/standards",
        headers=h,
        json={
            "category_id": cid,
            "effective_from": "2026-06-01",
            "monthly_allowance_fen": 1,
            "required_days": 20,
        },
    )
    assert earlier.status_code == 422 and "2027-01-01" in earlier.get_json()["error"]["message"]
    refused = client.delete(f"/api/v1/post-categories/{cid}", headers=h)
    assert refused.status_code == 422 and "2个补贴标准" in refused.get_json()["error"]["message"]
    fund = client.post(
        "/api/v1/funds",
        headers=h,
        json={
            "name": "衔接推进乡村振兴补助资金",
            "year": 2026,
            "allocation_fen": 100_000_00,
            "document_no": "黔财农〔2026〕1号",
            "categories": ["脱贫人口", "边缘易致贫人员"],
        },
    )
    assert fund.status_code == 201, fund.get_json()
    assert fund.get_json()["categories"] == ["脱贫人口", "边缘易致贫人员"]
    fid = fund.get_json()["id"]
    upd = client.put(
        f"/api/v1/funds/{fid}", headers=h, json={"allocation_fen": 200_000_00, "document_no": "二号"}
    )
    assert upd.status_code == 200 and upd.get_json()["restricts_categories"] is False
    setting = client.post(
        "/api/v1/settings",
        headers=h,
        json={
            "key": "eligible_categories",
            "value": "脱贫人口、边缘易致贫人员",
            "effective_from": "2026-11-25",
        },
    )
    assert setting.status_code == 201, setting.get_json()
    bad = client.post(
        "/api/v1/settings",
        headers=h,
        json={"key": "eligible_categories", "value": "富人", "effective_from": "2026-11-25"},
    )
    assert bad.status_code == 422
    assert client.get("/api/v1/standards", headers=h).status_code == 200
    assert client.get("/api/v1/funds", headers=h).get_json()[0]["document_no"] == "二号"
    assert client.delete(f"/api/v1/funds/{fid}", headers=h).status_code == 204
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {
        "create_post_category",
        "add_standard",
        "update_standard",
        "create_fund",
        "update_fund",
        "delete_fund",
        "change_setting",
    } <= actions


def test_policy_admin_web_page(client, app, session):
    setup_county(client)
    client.post("/login", data={"username": "boss", "password": "long-enough-1"})
    r = client.post(
        "/county/policy/categories",
        data={"code": "HL", "name": "护林", "kind": "普通"},
        follow_redirects=True,
    )
    assert "已新增岗位类别" in r.data.decode()
    r = client.post(
        "/county/policy/funds",
        data={
            "name": "光伏收益",
            "year": "2026",
            "allocation": "1,000.50",
            "document_no": "县发1号",
            "categories": ["脱贫人口"],
        },
        follow_redirects=True,
    )
    assert "已新增资金来源" in r.data.decode() and "1,000.50" in r.data.decode()
    r = client.post(
        "/county/policy/standards",
        data={"category_id": "1", "effective_from": "2026-12-01", "allowance": "abc", "required_days": "20"},
        follow_redirects=True,
    )
    assert "月补贴" in r.data.decode()


def test_calendar_fresh_county_2026_spring_festival(client, app, session):
    """No holidays entered: the national calendar alone makes 5 working days from 2026-02-11 end on 02-25."""
    from pwposts.domain.hiring import add_working_days
    from pwposts.services.settings import calendar_exceptions

    setup_county(client)
    county = session.scalar(select(Region).where(Region.level == "county"))
    cal = calendar_exceptions(session, county.id, date(2026, 2, 1), date(2026, 3, 31))
    assert cal[date(2026, 2, 14)] is True and cal[date(2026, 2, 16)] is False
    assert add_working_days(date(2026, 2, 11), 5, cal) == date(2026, 2, 25)
    h = api_token(client, "boss", "long-enough-1")
    body = client.get("/api/v1/calendar?year=2026", headers=h).get_json()
    assert (
        body["national_covered"] is True
        and {"day": "2026-02-14", "is_workday": True, "name": "春节调休上班"} in body["national"]
    )
    later = client.get("/api/v1/calendar?year=2099", headers=h).get_json()
    assert later["national_covered"] is False
    client.post("/login", data={"username": "boss", "password": "long-enough-1"})
    assert "尚未包含2099年" in client.get("/policy/holidays?year=2099").data.decode()


def test_publicity_published_2026_02_11_ends_2026_02_25_with_no_county_holidays(session, county):
    from pwposts.models.policy import Holiday
    from pwposts.services.hiring import publication_period
    from tests.hiring_support import make_post

    assert session.scalar(select(func.count(Holiday.id))) == 0
    post = make_post(session, county)
    assert publication_period(session, post, date(2026, 2, 11)) == (date(2026, 2, 12), date(2026, 2, 25), 5)


def test_a_publicity_in_a_year_the_national_calendar_lacks_says_so(client, session, county, login_as):
    from pwposts.domain.national_calendar import calendar_note

    assert calendar_note(date(2026, 12, 28), date(2027, 1, 5)).startswith(
        "内置的国家节假日安排尚未包含2027年"
    )
    assert calendar_note(date(2026, 2, 12), date(2026, 2, 25)) == ""


def test_login_page_points_a_fresh_install_to_setup(client, app):
    assert "初始化本县" in client.get("/login").data.decode()
    assert client.get("/setup").status_code == 200


def test_import_regions_command(app, session, tmp_path):
    runner = app.test_cli_runner()
    runner.invoke(
        args=[
            "init",
            "--county-code",
            "522799",
            "--county-name",
            "新县",
            "--admin-username",
            "boss",
            "--admin-name",
            "县管理员",
            "--admin-password",
            "long-enough-1",
        ]
    )
    path = tmp_path / "regions.csv"
    path.write_text(REGIONS_CSV, encoding="utf-8")
    r = runner.invoke(args=["import-regions", "--user", "boss", str(path)])
    assert r.exit_code == 0 and "新增乡镇2个、村3个" in r.output, r.output
    again = runner.invoke(args=["import-regions", "--user", "boss", str(path)])
    assert "此前已导入" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("统计用区划代码,名称\n522799199201,孤村\n", encoding="utf-8")
    r = runner.invoke(args=["import-regions", "--user", "boss", str(bad)])
    assert r.exit_code == 1 and "第2行" in r.output


def test_category_edit_on_the_web_page_is_audited(client, app, session):
    setup_county(client)
    client.post("/login", data={"username": "boss", "password": "long-enough-1"})
    client.post("/county/policy/categories", data={"code": "HL", "name": "护林", "kind": "普通"})
    from pwposts.models.policy import PostCategory

    cat = session.scalar(select(PostCategory))
    r = client.post(
        f"/county/policy/categories/{cat.id}",
        data={"name": "护林防火", "kind": "专项"},
        follow_redirects=True,
    )
    assert "已修改岗位类别" in r.data.decode() and "护林防火" in r.data.decode()
    assert (
        session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "update_post_category"))
        == 1
    )
