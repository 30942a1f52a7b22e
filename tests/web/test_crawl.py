"""Every page a role can reach by following links in the demo county answers without a server error."""

import re
from collections import deque

import pytest

from pwposts import demo
from tests.conftest import login

LINK = re.compile(r'href="(/[^"#]*)"')
LIMIT = 250  # pages per role; the lists are paginated, so this covers every kind of page


@pytest.fixture
def demo_county(session, today):
    demo.generate_county(session, seed=5, persons=700, today=today)
    session.commit()


def crawl(client, start="/"):
    seen, queue, bad = set(), deque([start]), []
    kinds = set()
    while queue and len(seen) < LIMIT:
        url = queue.popleft()
        # one page per kind of URL (numbers folded), so a list of 300 persons is not 300 visits
        kind = re.sub(r"\d+", "N", url.split("?")[0]) + ("?" if "?" in url else "")
        if url in seen or kind in kinds or url.startswith(("/static/", "/logout")):
            continue
        seen.add(url)
        kinds.add(kind)
        r = client.get(url)
        if r.status_code >= 500:
            bad.append((url, r.status_code))
            continue
        if r.mimetype == "text/html":
            for link in LINK.findall(r.get_data(as_text=True)):
                queue.append(link.replace("&amp;", "&"))
    return seen, bad


@pytest.mark.parametrize("username", [u for u, _ in demo.DEMO_LOGINS] + ["township1b"])
def test_no_page_reachable_by_a_role_fails(client, demo_county, username):
    assert login(client, username, demo.DEMO_PASSWORD).status_code == 302
    seen, bad = crawl(client)
    assert not bad, f"server errors for {username}: {bad}"
    assert len(seen) >= (20 if username != "holder1" else 3), sorted(seen)


def test_public_pages_without_login(client, demo_county):
    seen, bad = crawl(client, "/public/")
    assert not bad, bad
