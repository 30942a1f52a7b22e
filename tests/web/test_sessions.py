"""Sessions and logins (issue 10 item 4): old cookies and tokens die at logout, reset and deactivation;
idle and absolute lifetimes; a fresh session at login; lockout per (user, address) with back-off and an
admin unlock; passwords of 10+ characters, not common; self-service change; forced change for accounts an
admin created; a strong secret key in production."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pwposts.models.accounts import ApiToken, LoginAttempt, User
from pwposts.services import accounts
from tests.conftest import NOW, PASSWORD, api_token, login

ATTACKER = {"REMOTE_ADDR": "10.9.8.7"}


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value):
    c = app.test_client()
    c.set_cookie("session", value)
    return c


def _is_logged_in(client) -> bool:
    r = client.get("/people/")
    return r.status_code == 200


def test_old_cookie_is_refused_after_logout(app, client, county):
    assert login(client, "town").status_code == 302
    old = _cookie(client)
    assert _is_logged_in(_with_cookie(app, old))
    client.post("/logout")
    assert not _is_logged_in(_with_cookie(app, old))


def test_old_cookie_and_token_are_refused_after_an_admin_reset(app, client, county, session):
    user_client = app.test_client()
    assert login(user_client, "town").status_code == 302
    token = api_token(user_client, "town")
    old = _cookie(user_client)
    assert client.get("/api/v1/me", headers=token).status_code == 200
    assert login(client, "admin").status_code == 302
    r = client.post(f"/users/{county.users['town'].id}/password", data={"password": "brand-new-pass-7"})
    assert r.status_code == 302
    assert not _is_logged_in(_with_cookie(app, old))
    assert not _is_logged_in(user_client)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert all(
        t.revoked_at is not None for t in session.query(ApiToken).filter_by(user_id=county.users["town"].id)
    )


def test_deactivation_ends_sessions_and_tokens(app, client, county):
    user_client = app.test_client()
    assert login(user_client, "village").status_code == 302
    token = api_token(user_client, "village")
    assert login(client, "admin").status_code == 302
    client.post(f"/users/{county.users['village'].id}/active", data={"active": "0"})
    assert not _is_logged_in(user_client)
    assert client.get("/api/v1/me", headers=token).status_code == 401


def test_idle_and_absolute_lifetimes(app, client, county):
    assert login(client, "town").status_code == 302
    with client.session_transaction() as s:
        s["seen_at"] -= 31 * 60
        s["login_at"] -= 31 * 60
    assert not _is_logged_in(client)
    assert login(client, "town").status_code == 302
    assert _is_logged_in(client)
    with client.session_transaction() as s:
        s["login_at"] -= 13 * 3600  # active all along, but logged in 13 hours ago
    assert not _is_logged_in(client)


def test_login_starts_a_fresh_session_with_a_new_csrf_token(client, county):
    with client.session_transaction() as s:
        s["planted"] = "by-someone-else"
        s["csrf_token"] = "planted-token"
    assert login(client, "town").status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s and s.get("csrf_token") != "planted-token"


def test_wrong_passwords_from_one_address_do_not_lock_the_admin_out_from_another(client, county):
    for _ in range(5):
        r = client.post(
            "/login", data={"username": "admin", "password": "guess-guess-1"}, environ_base=ATTACKER
        )
        assert r.status_code == 401
    r = client.post("/login", data={"username": "admin", "password": PASSWORD}, environ_base=ATTACKER)
    assert r.status_code == 429  # that address is locked for that user …
    assert login(client, "admin").status_code == 302  # … the admin at the office is not
    # the API likewise
    for _ in range(5):
        client.post(
            "/api/v1/auth/token",
            json={"username": "town", "password": "guess-guess-1"},
            environ_base=ATTACKER,
        )
    r = client.post(
        "/api/v1/auth/token", json={"username": "town", "password": PASSWORD}, environ_base=ATTACKER
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert (
        client.post("/api/v1/auth/token", json={"username": "town", "password": PASSWORD}).status_code == 201
    )


def test_lockout_backs_off_and_a_success_resets_it(session, county):
    ip = "10.1.1.1"
    t0 = NOW
    for i in range(5):
        assert accounts.authenticate(session, "town", "wrong-wrong-1", ip, t0 + timedelta(seconds=i)) is None
    with pytest.raises(accounts.LoginLocked):
        accounts.authenticate(session, "town", PASSWORD, ip, t0 + timedelta(minutes=14))
    # after 15 minutes one more try; it fails → the next wait is 30 minutes
    assert accounts.authenticate(session, "town", "wrong-wrong-1", ip, t0 + timedelta(minutes=16)) is None
    with pytest.raises(accounts.LoginLocked) as e:
        accounts.authenticate(session, "town", PASSWORD, ip, t0 + timedelta(minutes=40))
    assert "分钟后再试" in e.value.message
    assert accounts.authenticate(session, "town", PASSWORD, ip, t0 + timedelta(minutes=47)) is not None
    # the success starts the count afresh
    assert accounts.authenticate(session, "town", "wrong-wrong-1", ip, t0 + timedelta(minutes=48)) is None
    assert accounts.authenticate(session, "town", PASSWORD, ip, t0 + timedelta(minutes=49)) is not None


def test_the_admin_can_unlock_a_user(client, county, session):
    for _ in range(5):
        login(client, "town", "nope-nope-nope")
    assert login(client, "town").status_code == 429
    admin = session.get(User, county.users["admin"].id)
    accounts.unlock_logins(session, admin, session.get(User, county.users["town"].id))
    session.commit()
    assert login(client, "town").status_code == 302


def test_unlock_button_for_the_admin(login_as, county):
    c = login_as("admin")
    assert "解除登录锁定" in c.get("/users/").get_data(as_text=True)
    assert c.post(f"/users/{county.users['town'].id}/unlock").status_code == 302
    assert login_as("town").post(f"/users/{county.users['admin'].id}/unlock").status_code == 403


def test_forwarded_for_is_believed_only_behind_a_configured_proxy(client, county, session, database_url):
    client.post(
        "/login", data={"username": "town", "password": "x-wrong-x-1"}, headers={"X-Forwarded-For": "1.2.3.4"}
    )
    assert session.query(LoginAttempt).one().ip == "127.0.0.1"
    from pwposts import create_app

    behind = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "PROXY_COUNT": 1,
        }
    ).test_client()
    # end this test's own transaction (its app context outlives the request) before the other app writes
    session.rollback()
    behind.post(
        "/login", data={"username": "town", "password": "x-wrong-x-1"}, headers={"X-Forwarded-For": "1.2.3.4"}
    )
    session.rollback()
    assert sorted(a.ip for a in session.query(LoginAttempt)) == ["1.2.3.4", "127.0.0.1"]


def test_unknown_user_is_checked_against_a_dummy_hash(session, county, monkeypatch):
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    assert accounts.authenticate(session, "nobody-here", "whatever-pass", "10.0.0.1", NOW) is None
    assert len(calls) == 1


@pytest.mark.parametrize(
    "password,message",
    [
        ("short-9ch", "至少10位"),
        ("1234567890", "过于常见"),
        ("qwertyuiop", "过于常见"),
        ("aaaaaaaaaaaa", "重复"),
    ],
)
def test_weak_passwords_are_refused(login_as, county, session, password, message):
    c = login_as("admin")
    r = c.post(
        "/users/new",
        data={
            "username": "weakling",
            "display_name": "x",
            "role": "township_clerk",
            "region_code": county.townships[1].code,
            "password": password,
        },
    )
    assert message in r.get_data(as_text=True)
    assert session.query(User).filter_by(username="weakling").count() == 0


def test_an_admin_created_account_must_change_its_password_first(login_as, county, session, client, app):
    c = login_as("admin")
    c.post(
        "/users/new",
        data={
            "username": "newclerk",
            "display_name": "新经办人",
            "role": "township_clerk",
            "region_code": county.townships[1].code,
            "password": "initial-pass-1",
        },
    )
    c.post("/logout")
    r = login(client, "newclerk", "initial-pass-1")
    assert r.headers["Location"].endswith("/account/password")
    assert client.get("/people/").headers["Location"].endswith("/account/password")
    r = client.post("/api/v1/auth/token", json={"username": "newclerk", "password": "initial-pass-1"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "password_change_required"
    r = client.post(
        "/account/password",
        data={"current": "initial-pass-1", "password": "initial-pass-1", "confirm": "initial-pass-1"},
    )
    assert "不能与当前密码相同" in r.get_data(as_text=True)
    r = client.post(
        "/account/password",
        data={"current": "initial-pass-1", "password": "my-own-secret-42", "confirm": "my-own-secret-42"},
    )
    assert r.status_code == 302
    assert client.get("/people/").status_code in (200, 403)  # no longer sent to the password page
    assert api_token(client, "newclerk", "my-own-secret-42")


def test_self_service_change_ends_other_sessions(app, client, county):
    other = app.test_client()
    assert login(other, "town").status_code == 302
    token = api_token(other, "town")
    assert login(client, "town").status_code == 302
    assert client.get("/account/password").status_code == 200
    r = client.post(
        "/account/password",
        data={"current": "wrong-current-1", "password": "another-pass-42", "confirm": "another-pass-42"},
    )
    assert "当前密码不正确" in r.get_data(as_text=True)
    r = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "another-pass-42", "confirm": "another-pass-42"},
    )
    assert r.status_code == 302
    assert _is_logged_in(client)  # this browser stays in
    assert not _is_logged_in(other)
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert login(app.test_client(), "town", "another-pass-42").status_code == 302


@pytest.mark.parametrize(
    "key,ok", [(None, False), ("short-key", False), ("a" * 64, False), ("0123456789abcdef" * 4, True)]
)
def test_production_needs_a_strong_secret_key(monkeypatch, tmp_path, key, ok):
    from pwposts.config import load_config

    monkeypatch.setenv("PWPOSTS_ENV", "production")
    if key is None:
        monkeypatch.delenv("PWPOSTS_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("PWPOSTS_SECRET_KEY", key)
    if ok:
        assert load_config(str(tmp_path))["SECRET_KEY"] == key
    else:
        with pytest.raises(RuntimeError, match="PWPOSTS_SECRET_KEY"):
            load_config(str(tmp_path))
