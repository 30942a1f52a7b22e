"""Several clerks at once, with real threads: each thread its own test client, app context, session and
database connection (the test database is a file). Every answer is a success or 503 "系统繁忙，请稍后重试",
never a 500, and nothing is half-written: every success is whole in the database and the audit chain verifies.

On SQLite a write transaction takes the write lock at BEGIN (IMMEDIATE), so the busy timeout applies
instead of a reader that later wants to write failing at once with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pwposts import create_app
from pwposts.concurrency import is_busy
from pwposts.extensions import db
from pwposts.models.accounts import LoginAttempt
from pwposts.models.audit import AuditEntry
from pwposts.models.pay import AttendanceRecord
from pwposts.models.posts import Post
from pwposts.services.audit import verify_chain
from tests.api.test_posts_api import body as post_body
from tests.attendance_support import build_holders
from tests.conftest import PASSWORD, api_token
from tests.post_builders import add_policy

N = 20


def race(app, n, request, also=()):
    """Run request(client, i) in n threads released together; returns {i: status}. Every status must be
    2xx/3xx, 503 or one of `also`; an exception (what a 500 would be) fails the test."""
    barrier = threading.Barrier(n)
    results, lock = [], threading.Lock()

    def worker(i):
        client = app.test_client()
        barrier.wait()
        try:
            outcome = request(client, i).status_code
        except Exception as err:  # noqa: BLE001 — an unhandled error is what a 500 would be; reported below
            outcome = err
        with lock:
            results.append((i, outcome))

    db.session.rollback()  # the test's own session holds no transaction while the threads run
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not t.is_alive() for t in threads), "a thread hung"
    assert len(results) == n
    bad = [
        (i, o) for i, o in results if not (isinstance(o, int) and (200 <= o < 400 or o == 503 or o in also))
    ]
    assert not bad, bad
    return dict(results)


def test_twenty_simultaneous_api_writes(app, client, session, county):
    """Twenty proposals for one village at once: each gets its own number (SQLite queues writers at BEGIN;
    PostgreSQL serialises the village-year's numbering with an advisory lock), none is refused by the
    unique code."""
    policy = add_policy(session, county)
    session.commit()
    headers = api_token(client, "town")
    audits = session.scalar(select(func.count(AuditEntry.id)))

    data = post_body(county, policy)  # plain values: the threads touch no object of the test's session
    got = race(
        app,
        N,
        lambda c, i: c.post("/api/v1/posts", headers=headers, json={**data, "title": f"村庄保洁员{i:02d}"}),
    )
    ok = sorted(i for i, status in got.items() if status == 201)
    session.expire_all()
    posts = session.scalars(select(Post)).all()
    assert sorted(int(p.title[-2:]) for p in posts) == ok and len({p.code for p in posts}) == len(posts)
    assert session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "propose_post")
    ) == len(ok)
    assert session.scalar(select(func.count(AuditEntry.id))) == audits + len(ok)
    assert len(ok) >= N // 2  # the busy timeout lets them wait their turn rather than fail
    if db.engine.dialect.name == "postgresql":
        assert len(ok) == N  # nobody waits longer than a few proposals: all twenty go through
    assert verify_chain(session).ok


def test_twenty_simultaneous_logins(app, session, county):
    got = race(
        app,
        N,
        lambda c, i: c.post("/login", data={"username": ["town", "village"][i % 2], "password": PASSWORD}),
    )
    ok = [i for i, status in got.items() if status == 302]
    session.expire_all()
    assert session.scalar(select(func.count(LoginAttempt.id))) == len(ok)
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login")) == len(ok)
    assert len(ok) >= N // 2
    assert verify_chain(session).ok


def test_twenty_simultaneous_saves_of_one_sheet_only_the_first_goes_through(app, client, session, county):
    h = build_holders(session, county)
    session.commit()
    headers = api_token(client, "village")
    url = f"/api/v1/attendance?village_id={county.villages[0].id}&month=2026-10"
    wang = h.contracts["wang"].id  # plain values: the threads touch no object of the test's session

    got = race(app, N, lambda c, i: _save(c, url, headers, wang, i), also=(409,))
    saved = [i for i, status in got.items() if status == 200]
    refused = [i for i, status in got.items() if status == 409]
    assert len(saved) == 1 and len(saved) + len(refused) + list(got.values()).count(503) == N
    session.expire_all()
    rec = session.scalar(select(AttendanceRecord))
    assert rec.days_worked == saved[0] + 1
    assert (
        session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "enter_attendance")) == 1
    )
    assert verify_chain(session).ok


def _save(client, url, headers, contract_id, i):
    r = client.put(
        url,
        headers=headers,
        json={"rows": [{"contract_id": contract_id, "days_worked": i + 1}], "version": 0},
    )
    return r if r.status_code != 409 or "已被" in r.get_json()["error"]["message"] else None


@pytest.fixture
def impatient_app(database_url):
    """A second app on the test database that waits only 0.2 s for SQLite's write lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip("holds SQLite's write lock from a second connection")
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test",
            "PWPOSTS_TODAY": "2026-11-25",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.2}},
        }
    )
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_database_that_stays_locked_answers_503_and_writes_nothing(
    impatient_app, database_url, session, county
):
    session.rollback()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer keeps the write lock
    try:
        c = impatient_app.test_client()
        assert c.get("/login").status_code == 200  # readers never wait
        r = c.post("/login", data={"username": "town", "password": PASSWORD})
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert "系统繁忙，请稍后重试" in r.get_data(as_text=True)
        r = c.post("/api/v1/auth/token", json={"username": "town", "password": PASSWORD})
        assert r.status_code == 503
        assert r.get_json() == {"error": {"code": "busy", "message": "系统繁忙，请稍后重试"}}
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    session.expire_all()
    assert session.scalar(select(func.count(LoginAttempt.id))) == 0
    assert (
        session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action.in_(("login", "issue_token")))
        )
        == 0
    )
    assert (
        impatient_app.test_client()
        .post("/login", data={"username": "town", "password": PASSWORD})
        .status_code
        == 302
    )


class _DriverError(Exception):
    def __init__(self, message, sqlstate=None, sqlite_errorcode=None):
        super().__init__(message)
        if sqlstate:
            self.sqlstate = sqlstate
        if sqlite_errorcode is not None:
            self.sqlite_errorcode = sqlite_errorcode


@pytest.mark.parametrize(
    "orig,busy",
    [
        (_DriverError("database is locked", sqlite_errorcode=5), True),
        (_DriverError("database is locked", sqlite_errorcode=517), True),  # SQLITE_BUSY_SNAPSHOT
        (_DriverError("database table is locked", sqlite_errorcode=6), True),
        (_DriverError("could not serialize access due to concurrent update", "40001"), True),
        (_DriverError("deadlock detected", "40P01"), True),
        (_DriverError("canceling statement due to lock timeout", "55P03"), True),
        (_DriverError("canceling statement due to statement timeout", "57014"), True),
        (_DriverError("sorry, too many clients already", "53300"), True),
        (_DriverError("connection failed: FATAL:  sorry, too many clients already"), True),
        (_DriverError("no such table: person", sqlite_errorcode=1), False),
        (_DriverError('column "x" does not exist', "42703"), False),
    ],
)
def test_which_database_errors_mean_busy(orig, busy):
    assert is_busy(OperationalError("SELECT 1", {}, orig)) is busy


def test_the_pool_running_dry_means_busy_and_other_errors_do_not():
    assert is_busy(PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))
    assert not is_busy(IntegrityError("INSERT", {}, _DriverError("UNIQUE constraint failed")))
    assert not is_busy(ValueError("database is locked"))


def test_a_unique_violation_from_a_race_answers_409_in_chinese_not_500(app, county):
    """Two clerks saving the same unique row at once (e.g. the next post code
    on PostgreSQL): the database keeps the invariant and the loser gets 409
    with a Chinese message, web and API; other integrity errors stay errors."""
    import sqlite3

    import pytest
    from sqlalchemy.exc import IntegrityError

    from pwposts.concurrency import CONFLICT_MESSAGE, is_unique_violation

    unique = IntegrityError(
        "INSERT INTO post …", {}, sqlite3.IntegrityError("UNIQUE constraint failed: post.code")
    )
    not_null = IntegrityError(
        "INSERT INTO post …", {}, sqlite3.IntegrityError("NOT NULL constraint failed: post.title")
    )
    assert is_unique_violation(unique) and not is_unique_violation(not_null)
    handler = app.error_handler_spec[None][None][IntegrityError]
    with app.test_request_context("/api/v1/posts", method="POST"):
        body, status = handler(unique)
        assert status == 409 and body.get_json()["error"]["message"] == CONFLICT_MESSAGE
    with app.test_request_context("/posts/new", method="POST"):
        page, status = handler(unique)
        assert status == 409 and "刷新页面" in page
        with pytest.raises(IntegrityError):
            handler(not_null)
