"""Fixtures. SQLite by default; PostgreSQL when PWPOSTS_TEST_DATABASE_URL is set.

The schema is created once per run; every test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pwposts import create_app
from pwposts.extensions import db
from pwposts.services.clock_binding import bind_now

TEST_DB_URL = os.environ.get("PWPOSTS_TEST_DATABASE_URL")
PASSWORD = "test-pass-123"
NOW = datetime(
    2026, 11, 25, 2, 0
)  # 10:00 Beijing on the tests' today: the `now` bound for direct service calls


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DB_URL:
        return TEST_DB_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    from pwposts.services import accounts

    accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"  # fast hashes for test users; login checks them for real
    instance = tmp_path_factory.mktemp("instance")
    os.environ["PWPOSTS_INSTANCE"] = str(instance)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test",
            "PWPOSTS_TODAY": "2026-11-25",
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        # the tables are the models' (create_all); say they are the migrations' head, as `pwposts db upgrade`
        # leaves a database, so that commands checking the schema (pwposts/schema.py) accept it
        command.stamp(app.extensions["migrate"].migrate.get_config(), "head", purge=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_tables():
    db.session.rollback()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
    else:
        with db.engine.begin() as conn:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def app(_app):
    ctx = _app.app_context()
    ctx.push()
    _empty_tables()
    _app.config["PWPOSTS_TODAY"] = "2026-11-25"
    _app.config["WTF_CSRF_ENABLED"] = False
    bind_now(db.session, NOW)
    yield _app
    db.session.remove()
    ctx.pop()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def today():
    return date(2026, 11, 25)


@pytest.fixture
def county(session):
    """A small county: 2 townships × 2 villages, a few persons, and one user per role."""
    from tests.builders import build_county

    c = build_county(session)
    session.commit()
    return c


def login(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def api_token(client, username, password=PASSWORD):
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 201, r.get_json()
    return {"Authorization": "Bearer " + r.get_json()["token"]}


@pytest.fixture
def login_as(client, county):
    def _login(role_username):
        client.post("/logout")
        r = login(client, role_username)
        assert r.status_code == 302, r.data.decode()[:500]
        return client

    return _login


@pytest.fixture
def empty_database_url(tmp_path):
    """A new empty database of the kind under test (SQLite
    file, or a fresh PostgreSQL database dropped after)."""
    base = os.environ.get("PWPOSTS_TEST_DATABASE_URL")
    if not base:
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite3")
        return
    name = "pwposts_mig_" + uuid.uuid4().hex[:8]
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
