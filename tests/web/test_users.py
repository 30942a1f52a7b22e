from pwposts.models.accounts import User
from pwposts.services import audit
from tests.conftest import login


def test_admin_creates_a_township_clerk_who_can_log_in(login_as, county, session, client):
    c = login_as("admin")
    r = c.post(
        "/users/new",
        data={
            "username": "newclerk",
            "display_name": "新经办人",
            "role": "township_clerk",
            "region_code": county.townships[1].code,
            "id_number": "",
            "password": "secret-pass-1",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    user = session.query(User).filter_by(username="newclerk").one()
    assert user.region_id == county.townships[1].id
    c.post("/logout")
    assert login(client, "newclerk", "secret-pass-1").status_code == 302
    assert audit.verify_chain(session).ok


def test_scope_level_must_match_role(login_as, county, session):
    c = login_as("admin")
    r = c.post(
        "/users/new",
        data={
            "username": "x1",
            "display_name": "x",
            "role": "village_clerk",
            "region_code": county.townships[0].code,
            "password": "secret-pass-1",
        },
    )
    assert "管辖范围须为一个村" in r.get_data(as_text=True)
    assert session.query(User).filter_by(username="x1").count() == 0


def test_deactivated_user_cannot_log_in(login_as, county, client):
    c = login_as("admin")
    c.post(f"/users/{county.users['village'].id}/active", data={"active": "0"})
    c.post("/logout")
    assert login(client, "village").status_code == 401


def test_only_admin_manages_users(login_as, county):
    for name in ("town", "village", "inspector", "holder"):
        c = login_as(name)
        assert c.get("/users/").status_code == 403
