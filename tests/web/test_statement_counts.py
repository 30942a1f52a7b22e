"""Each main list page and API list runs as many SQL statements at 100 rows a page as at 10 (no N+1)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from pwposts import demo
from pwposts.extensions import db
from tests.conftest import login

WEB_LISTS = (
    "/people/",
    "/posts/",
    "/contracts/",
    "/contracts/?expiring=1",
    "/pay/runs",
    "/audit/",
    "/hiring/",
    "/exits/",
)
API_LISTS = (
    "/api/v1/persons",
    "/api/v1/posts",
    "/api/v1/contracts",
    "/api/v1/payroll-runs",
    "/api/v1/notices",
    "/api/v1/exits",
)


@pytest.fixture
def demo_county(session, today):
    demo.generate_county(session, seed=3, persons=demo.MIN_PERSONS, today=today)
    session.commit()


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.n = engine, 0

    def __call__(self, *_args):
        self.n += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self)


def statements(app, client, url: str, **kwargs) -> tuple[int, int]:
    """(statements, rows shown) for one GET of `url` (status 200 required)."""
    with app.app_context(), StatementCounter(db.engine) as counter:
        r = client.get(url, **kwargs)
    assert r.status_code == 200, (url, r.status_code)
    data = r.get_json() if r.is_json else None
    rows = len(data["items"]) if data else r.get_data(as_text=True).count("<tr")
    return counter.n, rows


def with_per_page(url: str, n: int) -> str:
    return url + ("&" if "?" in url else "?") + f"per_page={n}"


def test_list_pages_do_not_grow_with_the_page_size(app, client, demo_county):
    assert login(client, "admin", demo.DEMO_PASSWORD).status_code == 302
    client.get("/")  # the first request loads what every later one has cached
    for url in WEB_LISTS:
        small, rows_small = statements(app, client, with_per_page(url, 10))
        large, rows_large = statements(app, client, with_per_page(url, 100))
        assert large <= small, f"{url}: {small} statements for 10 rows, {large} for 100 — an N+1"
        assert small <= 20, f"{url}: {small} statements for one page"
    # the demo's audit trail and persons are longer than a page: the page size really changed something
    for url in ("/audit/", "/people/"):
        assert (
            statements(app, client, with_per_page(url, 100))[1]
            > statements(app, client, with_per_page(url, 10))[1]
        )


def test_the_count_fails_on_a_statement_per_row(app, client, demo_county, monkeypatch):
    """The guard above can fail: a person list that loads each row's categories on its own is caught."""
    from pwposts.services import people

    real = people.person_categories

    def one_by_one(session, ids, today):
        return {k: v for i in ids for k, v in real(session, [i], today).items()}

    monkeypatch.setattr(people, "person_categories", one_by_one)
    assert login(client, "admin", demo.DEMO_PASSWORD).status_code == 302
    client.get("/")
    small = statements(app, client, with_per_page("/people/", 10))[0]
    large = statements(app, client, with_per_page("/people/", 100))[0]
    assert large > small


def test_api_lists_do_not_grow_with_the_page_size(app, client, demo_county):
    from tests.conftest import api_token

    headers = api_token(client, "admin", demo.DEMO_PASSWORD)
    for url in API_LISTS:
        small, rows_small = statements(app, client, with_per_page(url, 10), headers=headers)
        large, rows_large = statements(app, client, with_per_page(url, 100), headers=headers)
        assert large <= small, f"{url}: {small} statements for 10 rows, {large} for 100 — an N+1"
        assert small <= 20, f"{url}: {small} statements for one page"
    assert statements(app, client, with_per_page("/api/v1/persons", 100), headers=headers)[1] == 100


class StatementLog(StatementCounter):
    def __init__(self, engine):
        super().__init__(engine)
        self.sql: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args):
        self.n += 1
        self.sql.append(" ".join(statement.lower().split()))


def test_list_pages_run_no_statement_for_the_fixed_parts(app, client, demo_county):
    """The region drop-downs' version comes with the user's load, the audit filters' choices and the post
    categories from the process's cache, a small total with the page's ids: none is a statement of its own."""
    from pwposts.models.posts import Post

    assert login(client, "admin", demo.DEMO_PASSWORD).status_code == 302
    for url in WEB_LISTS:
        client.get(url)  # fills the caches
    for url in ("/people/", "/posts/", "/contracts/", "/pay/runs", "/audit/"):
        with app.app_context(), StatementLog(db.engine) as log:
            assert client.get(url).status_code == 200
        sql = log.sql
        user_loads = [s for s in sql if "from user_account" in s]
        assert len(user_loads) == 1 and "count(region.id)" in user_loads[0], url
        assert not any(s.startswith("select count(region.id)") for s in sql), url
        assert not any(s.startswith("select distinct") for s in sql), url
        assert not any("from post_category order by" in s for s in sql), url
        if url != "/audit/":  # the trail's capped count is cached from COUNT_CACHE_FROM entries only
            assert not any(s.startswith("select count(*)") for s in sql), (url, sql)
    # the posts list: its total (less than COUNT_CACHE_FROM, never cached) counted with the ids, exactly
    with app.app_context():
        total = db.session.scalar(select_count(Post))
    page = client.get("/posts/?per_page=3").get_data(as_text=True)
    assert total > 3 and f"共 {total:,} 条" in page


def select_count(model):
    from sqlalchemy import func, select

    return select(func.count()).select_from(model)


def test_the_demo_marks_the_applications_with_a_signed_contract(session, demo_county):
    """The demo writes its contracts in bulk: application.contract_signed (the 待签 count's narrowing flag)
    is written with its rows and agrees with the rule — a non-void contract exists for the application."""
    from sqlalchemy import select

    from pwposts.models.contracts import Contract
    from pwposts.models.hiring import Application

    signed = set(
        session.scalars(
            select(Contract.application_id).where(
                Contract.status != "void", Contract.application_id.is_not(None)
            )
        )
    )
    flags = dict(session.execute(select(Application.id, Application.contract_signed)).all())
    assert signed and {i for i, s in flags.items() if s} == signed
