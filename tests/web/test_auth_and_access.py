"""Login, dashboards per role, safe redirects, scoping and the inspector's read-only rule."""

import pytest

from pwposts.models.audit import AuditEntry
from tests.conftest import login


@pytest.mark.parametrize(
    "username,title",
    [
        ("admin", "县级工作台"),
        ("town", "乡镇工作台"),
        ("village", "村级工作台"),
        ("inspector", "纪检监察工作台"),
    ],
)
def test_each_role_lands_on_its_dashboard_in_chinese(client, county, username, title):
    r = login(client, username)
    assert r.status_code == 302
    page = client.get(r.headers["Location"], follow_redirects=True)
    assert page.status_code == 200
    assert title in page.get_data(as_text=True) or "我的岗位" in page.get_data(as_text=True)


def test_holder_lands_on_own_page(client, county):
    r = login(client, "holder")
    page = client.get(r.headers["Location"], follow_redirects=True)
    assert page.status_code == 200
    assert "王秀英" in page.get_data(as_text=True) or "我的岗位" in page.get_data(as_text=True)


def test_wrong_password_is_refused_in_chinese(client, county):
    r = login(client, "admin", "wrong-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.get_data(as_text=True)


def test_login_is_rate_limited(client, county):
    for _ in range(5):
        assert login(client, "admin", "nope-nope").status_code == 401
    r = login(client, "admin")  # even the right password, while locked
    assert r.status_code == 429
    assert "登录失败次数过多" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/people/", "/people/"),
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
    ],
)
def test_next_redirect_is_local_only(client, county, target, expected):
    r = client.post("/login?next=" + target, data={"username": "admin", "password": "test-pass-123"})
    assert r.status_code == 302
    assert r.headers["Location"] == expected


def test_pages_require_login(client, county):
    r = client.get("/people/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_holder_cannot_open_another_person(login_as, county):
    c = login_as("holder")
    other = county.persons["zhao"]
    assert c.get(f"/people/{other.id}").status_code in (403, 404)
    assert c.get("/people/").status_code == 403


def test_village_clerk_sees_only_their_village(login_as, county):
    c = login_as("village")
    page = c.get("/people/").get_data(as_text=True)
    assert "王秀英" in page and "赵喆" not in page
    assert c.get(f"/people/{county.persons['zhao'].id}").status_code == 404
    assert c.get(f"/people/{county.persons['wang'].id}").status_code == 200


def test_person_detail_shows_household_and_cadre_kin(login_as, county):
    c = login_as("town")
    page = c.get(f"/people/{county.persons['chief_wife'].id}").get_data(as_text=True)
    assert "张村长" in page and "村委会主任" in page


def test_lists_mask_id_numbers(login_as, county):
    c = login_as("inspector")
    page = c.get("/people/").get_data(as_text=True)
    full = county.persons["wang"].id_number
    assert full not in page
    assert full[:6] + "********" + full[-4:] in page


def test_inspector_changes_nothing_anywhere(app, login_as, county, session):
    """Every state-changing route refuses an inspector, and no audit entry appears."""
    c = login_as("inspector")
    before = session.query(AuditEntry).count()
    checked = 0
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods or rule.endpoint.startswith(("auth.", "static")) or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in ("audit.verify",):  # a read: recomputes hashes, changes nothing
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1").replace(f"<path:{arg}>", "1")
        for m in methods:
            r = c.open(url, method=m, data={})
            assert r.status_code in (400, 403, 404, 405), f"{m} {url} gave {r.status_code} to an inspector"
            checked += 1
    session.expire_all()
    assert session.query(AuditEntry).count() == before
    assert checked >= 0


def test_audit_page_for_inspector_and_verify(login_as, county):
    c = login_as("inspector")
    assert "审计记录" in c.get("/audit/").get_data(as_text=True)
    r = c.post("/audit/verify")
    assert "审计链完整" in r.get_data(as_text=True)


def test_village_clerk_cannot_read_audit(login_as, county):
    c = login_as("village")
    assert c.get("/audit/").status_code == 403


def test_audit_detail_masks_id_numbers(login_as, county, session):
    from pwposts.services import audit as audit_service

    idn = county.persons["wang"].id_number
    e = audit_service.record(session, "测试", "update_person", "person", 1, after={"id_number": idn})
    session.commit()
    page = login_as("inspector").get(f"/audit/{e.id}").get_data(as_text=True)
    assert idn not in page and idn[:6] + "********" + idn[-4:] in page


@pytest.mark.parametrize("username", ["holder", "village"])
def test_holders_and_village_clerks_cannot_use_township_or_county_actions(
    app, login_as, county, session, username
):
    """Routes that approve, decide or pay refuse a holder and a village clerk, and write nothing."""
    c = login_as(username)
    before = session.query(AuditEntry).count()
    county_only = (
        "approve",
        "reject",
        "void",
        "activate",
        "renew",
        "insurance",
        "bank",
        "retry",
        "correct",
        "setting",
        "holiday",
        "answer",
        "hire",
        "publicity",
        "resolve",
        "users.",
    )
    checked = 0
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if (
            not methods
            or rule.rule.startswith("/api/")
            or not any(k in rule.endpoint + rule.rule for k in county_only)
        ):
            continue
        if username == "holder" and rule.endpoint.startswith("holder."):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1")
        for m in methods:
            r = c.open(url, method=m, data={})
            assert r.status_code in (400, 403, 404, 405), f"{m} {url} gave {r.status_code} to {username}"
            checked += 1
    assert checked >= 10
    session.expire_all()
    assert session.query(AuditEntry).count() == before


def test_audit_export_for_inspectors_masks_numbers_and_keeps_hashes(login_as, county, session):
    import io

    from openpyxl import load_workbook

    from pwposts.services import audit as audit_service

    idn = county.persons["wang"].id_number
    e = audit_service.record(session, "测试", "update_person", "person", 1, after={"id_number": idn})
    session.commit()
    r = login_as("inspector").get("/audit/export?object_type=person")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "序号" and len(rows) == 3  # title, header, the one person entry
    assert rows[2][0] == e.id and idn not in rows[2][8] and idn[:6] + "********" in rows[2][8]
    assert rows[2][10] == e.entry_hash
    assert login_as("village").get("/audit/export").status_code == 403
