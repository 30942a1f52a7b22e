"""Each login the demo prints works through the login page and lands on that role's dashboard."""

import pytest

from pwposts import demo
from tests.conftest import login

TITLES = {
    "county_admin": "县级工作台",
    "township_clerk": "乡镇工作台",
    "village_clerk": "村级工作台",
    "inspector": "纪检监察工作台",
    "holder": "您好",
}


@pytest.fixture
def demo_county(session, today):
    demo.generate_county(session, seed=11, persons=600, today=today)
    session.commit()


def test_every_demo_login_lands_on_its_dashboard(client, demo_county):
    for username, role in demo.DEMO_LOGINS:
        client.post("/logout")
        r = login(client, username, demo.DEMO_PASSWORD)
        assert r.status_code == 302, f"{username} could not log in"
        page = client.get("/", follow_redirects=True)
        assert page.status_code == 200
        assert TITLES[role] in page.get_data(as_text=True), f"{username} did not land on the {role} dashboard"
