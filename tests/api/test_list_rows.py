"""The persons, posts and payroll-runs lists answer from plain rows (api/list_rows.py): each item must be
exactly what the one-object serializer returns for that object, for roles that see full and masked ID
numbers; and an API read costs its token one statement, not a second transaction for the request log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, select

from pwposts import demo
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
