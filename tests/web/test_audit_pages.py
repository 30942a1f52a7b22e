"""The audit trail's pages: 下一页 and 上一页 read by cursor (the id the page continues from), numbered as
before; any page number still opens by OFFSET; a cursor continues exactly when entries are added."""

from __future__ import annotations

import re

from sqlalchemy import event

from pwposts.extensions import db
from pwposts.services import audit

PER_PAGE = 10


def _ids(page_html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr><td><a href="/audit/(\d+)">', page_html)]


def _link(page_html: str, label: str) -> str:
    m = re.search(rf'<a href="([^"]+)">{label}</a>', page_html)
    assert m, label
    return m.group(1).replace("&amp;", "&")


def _trail(session, county, n: int) -> None:
    for i in range(n):
        audit.record(session, county.users["admin"], "update", "person", i, summary=f"第{i}条")
    session.commit()


def test_next_and_previous_pages_read_by_cursor_show_what_the_page_numbers_show(login_as, county, session):
    _trail(session, county, 45)
    c = login_as("inspector")
    by_number = {
        n: _ids(c.get(f"/audit/?per_page={PER_PAGE}&page={n}").get_data(as_text=True)) for n in (1, 2, 3)
    }
    assert all(len(ids) == PER_PAGE for ids in by_number.values())
    assert by_number[1][-1] > by_number[2][0] and by_number[2][-1] > by_number[3][0]  # newest first

    first = c.get(f"/audit/?per_page={PER_PAGE}").get_data(as_text=True)
    nxt = _link(first, "下一页")
    assert f"before={by_number[1][-1]}" in nxt and "page=2" in nxt
    second = c.get(nxt).get_data(as_text=True)
    assert _ids(second) == by_number[2] and "第 2 /" in second
    third = c.get(_link(second, "下一页")).get_data(as_text=True)
    assert _ids(third) == by_number[3]
    back = _link(third, "上一页")
    assert f"after={by_number[3][0]}" in back and "page=2" in back
    assert _ids(c.get(back).get_data(as_text=True)) == by_number[2]
    # page 1 is the newest page, read without a cursor; the numbered links carry none either
    assert "after=" not in _link(second, "上一页")
    assert not re.search(r'href="[^"]*(before|after)=[^"]*">\d+</a>', third)


def test_a_cursor_continues_exactly_where_the_reader_was_when_entries_are_added(login_as, county, session):
    _trail(session, county, 35)
    c = login_as("inspector")
    first = c.get(f"/audit/?per_page={PER_PAGE}").get_data(as_text=True)
    shown = _ids(first)
    _trail(session, county, 3)  # three new entries at the top while the reader reads page 1
    by_cursor = _ids(c.get(_link(first, "下一页")).get_data(as_text=True))
    by_offset = _ids(c.get(f"/audit/?per_page={PER_PAGE}&page=2").get_data(as_text=True))
    assert by_cursor[0] == shown[-1] - 1 and not set(by_cursor) & set(shown)
    assert set(by_offset) & set(shown)  # by OFFSET the last three of page 1 come again


def test_a_cursor_page_runs_no_offset_and_a_bad_cursor_is_left_off(app, login_as, county, session):
    _trail(session, county, 25)
    c = login_as("inspector")
    sql: list[str] = []

    def log(_conn, _cursor, statement, *_args):
        sql.append(" ".join(statement.lower().split()))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", log)
    try:
        first = c.get(f"/audit/?per_page={PER_PAGE}").get_data(as_text=True)
        sql.clear()
        assert c.get(_link(first, "下一页")).status_code == 200
        page_sql = [s for s in sql if s.startswith("select audit_entry.id, audit_entry.at")]
        # by the id's index from the cursor, not by skipping the first page (SQLite's dialect writes OFFSET 0)
        assert page_sql and all("audit_entry.id <" in s and " offset 10" not in s for s in page_sql), sql
        sql.clear()
        c.get(f"/audit/?per_page={PER_PAGE}&page=2")  # the page number alone: by OFFSET, as before
        assert any(s.startswith("select audit_entry.id, audit_entry.at") and " offset 10" in s for s in sql)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", log)
    assert c.get(f"/audit/?per_page={PER_PAGE}&page=2&before=abc").status_code == 200
    by_number = _ids(c.get(f"/audit/?per_page={PER_PAGE}&page=2").get_data(as_text=True))
    assert _ids(c.get(f"/audit/?per_page={PER_PAGE}&page=2&before=abc").get_data(as_text=True)) == by_number
