"""The persons, posts and payroll-runs lists answer from plain rows (api/list_rows.py): each item must be
exactly what the one-object serializer returns for that object, for roles that see full and masked ID
numbers; and an API read costs its token one statement, not a second transaction for the request log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, select

from pwposts import demo, pagination
from pwposts.api import v1  # noqa: F401 — imports the resource modules in their order
from pwposts.api.payroll import run_json
from pwposts.api.people import person_json
from pwposts.api.posts import post_json
from pwposts.extensions import db
from pwposts.models.accounts import User
from pwposts.models.pay import PayrollRun
from pwposts.models.people import Person
from pwposts.models.posts import Post
from tests.conftest import api_token


@pytest.fixture
def demo_county(session, today):
    demo.generate_county(session, seed=5, persons=demo.MIN_PERSONS, today=today)
    session.commit()


def _all_items(client, url: str, headers) -> list[dict]:
    items, page = [], 1
    while True:
        body = client.get(f"{url}?per_page=200&page={page}", headers=headers).get_json()
        items += body["items"]
        if page >= body["pages"]:
            assert len(items) == body["total"]
            return items
        page += 1


@pytest.mark.parametrize("username", ["admin", "village1", "inspector"])
def test_person_items_are_person_json(client, session, today, demo_county, username):
    items = _all_items(client, "/api/v1/persons", api_token(client, username, demo.DEMO_PASSWORD))
    actor = session.scalar(select(User).where(User.username == username))
    assert items, username
    expected = [person_json(session.get(Person, item["id"]), actor, today) for item in items]
    assert items == expected
    if username in ("admin", "village1"):
        assert not any(i["id_number_masked"] for i in items)
    else:
        assert all(i["id_number_masked"] and i["birth_date"] is None for i in items)
    if username == "admin":
        assert any(i["current_categories"] for i in items) and any(i["household_code"] for i in items)


def test_post_and_run_items_are_post_json_and_run_json(client, session, demo_county):
    headers = api_token(client, "admin", demo.DEMO_PASSWORD)
    posts = _all_items(client, "/api/v1/posts", headers)
    assert posts and posts == [post_json(session.get(Post, p["id"])) for p in posts]
    runs = _all_items(client, "/api/v1/payroll-runs", headers)
    assert runs and runs == [run_json(session.get(PayrollRun, r["id"])) for r in runs]
    assert any(r["approved_by"] for r in runs) and any(r["approved_by"] is None for r in runs)


def test_an_api_read_costs_its_token_one_statement(app, client, demo_county):
    headers = api_token(client, "admin", demo.DEMO_PASSWORD)
    seen = []
    handler = logging.Handler()
    handler.emit = seen.append
    logging.getLogger("pwposts.logs").addHandler(handler)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        r = client.get("/api/v1/me", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        logging.getLogger("pwposts.logs").removeHandler(handler)
    assert r.status_code == 200 and r.get_json()["region"] is not None
    # the token, its user and the user's region in one SELECT; no second transaction for the request log
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements
    assert [rec.user for rec in seen if getattr(rec, "path", "") == "/api/v1/me"] == ["admin"]


def _filters(session) -> dict[str, list[str]]:
    """Per list: no filter, and one that changes both clerks' answers (the seeded demo county)."""
    capacity = session.scalar(
        select(Person.work_capacity).where(Person.work_capacity.is_not(None)).order_by(Person.id)
    )
    month = session.scalar(select(PayrollRun.month).order_by(PayrollRun.month.desc()))
    return {
        "/api/v1/posts": ["", "deviation=approved"],
        "/api/v1/persons": ["", f"work_capacity={capacity}"],
        "/api/v1/payroll-runs": ["", f"month={month}"],
    }


def test_list_statements_built_once_keep_each_scope_and_filter(client, session, demo_county):
    """The lists' statements are built once per scope and filter (v1.paginated_rows, cached_select): two
    clerks of different townships asking for two filters each, alternately, must each get exactly what
    they get when nothing was built before — their own township's rows for their own filter."""
    first = session.scalar(select(User).where(User.username == "township1"))
    other_town = select(PayrollRun.township_id).where(PayrollRun.township_id != first.region_id)
    other = session.scalar(
        select(User).where(User.role == first.role, User.region_id.in_(other_town)).order_by(User.id)
    )
    users = (first.username, other.username)
    tokens = {u: api_token(client, u, demo.DEMO_PASSWORD) for u in users}
    townships = {first.username: first.region_id, other.username: other.region_id}

    def answer(username, url):
        r = client.get(url, headers=tokens[username])
        assert r.status_code == 200, (username, url, r.get_json())
        return r.get_json()

    for path, filters in _filters(session).items():
        urls = [f"{path}?{f}&per_page=200" for f in filters]
        expected = {}
        for url in urls:
            for username in users:
                pagination._selects.clear()  # noqa: SLF001 — as if nothing had been built yet
                expected[username, url] = body = answer(username, url)
                assert {i["township"]["id"] for i in body["items"]} <= {townships[username]}
        # each answer differs from the others: one clerk's scope or filter shown to another would be seen
        distinct = {repr(body) for body in expected.values()}
        assert len(distinct) == 4 and any(b["items"] for b in expected.values()), path
        for _ in range(2):  # alternately: actor, filter, then both change from one request to the next
            for username, url in [(u, url) for url in urls for u in users] + [
                (users[0], urls[0]),
                (users[1], urls[1]),
                (users[0], urls[1]),
                (users[1], urls[0]),
            ]:
                assert answer(username, url) == expected[username, url], (username, url)
