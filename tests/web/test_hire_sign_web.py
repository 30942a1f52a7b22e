"""Hire → sign by following links only, the signing form's defaults, a start before the hire refused, the
已聘用待签协议 worklist and tile, and the notice's derived state on its pages."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from pwposts.models.contracts import Contract
from pwposts.services import hiring as svc
from tests.hiring_support import ENTRY_DAY, NOTICE_DAY, NOTICE_FIELDS, make_post, shortlist_wang_and_li

TODAY = date(2026, 11, 25)


@pytest.fixture
def shortlist(session, county):
    """Registration 11-16 to 11-24; wang and li on 公示 from 11-25 (ends 12-02, hiring from 12-03)."""
    town = county.users["town"]
    post = make_post(session, county)
    notice = svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    a, b, _ = shortlist_wang_and_li(session, county, notice, TODAY)
    return notice, a, b


def link(page: str, text: str) -> str:
    """The href of the first link whose text contains `text`."""
    for href, inner in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        if text in inner:
            return html.unescape(href)
    raise AssertionError(f"no link “{text}” on the page")


def value(page: str, name: str) -> str:
    tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else ""


def test_a_hired_applicant_reaches_a_signed_contract_by_links_only(app, login_as, session, county, shortlist):
    notice, a, _ = shortlist
    app.config["PWPOSTS_TODAY"] = "2026-12-03"
    c = login_as("town")
    page = c.get(link(c.get("/hiring/").get_data(as_text=True), notice.title)).get_data(as_text=True)
    assert "公示中" in page
    page = c.get(link(page, "王秀英")).get_data(as_text=True)  # the application page
    hire_action = re.search(r'<form method="post" action="([^"]+/hire)"', page).group(1)
    page = c.post(hire_action, data={"back": "application"}, follow_redirects=True).get_data(as_text=True)
    assert "已聘用王秀英" in page and "聘用日期" in page and "2026-12-03" in page

    form_url = link(page, "签订协议")  # on the application page
    form = c.get(form_url)
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert (value(text, "start_on"), value(text, "end_on")) == (
        "2026-12-04",
        "2027-12-03",
    )  # hire + 1, one year
    assert value(text, "signed_on") == "2026-12-03" and "聘用日期" in text
    r = c.post(
        form_url,
        data={
            "kind": "劳务协议",
            "start_on": value(text, "start_on"),
            "end_on": value(text, "end_on"),
            "signed_on": value(text, "signed_on"),
        },
    )
    assert r.status_code == 302
    contract = session.scalar(select(Contract).where(Contract.application_id == a.id))
    assert r.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert (contract.start_on, contract.end_on, contract.status) == (
        date(2026, 12, 4),
        date(2027, 12, 3),
        "draft",
    )

    page = c.get(f"/hiring/{notice.id}").get_data(as_text=True)  # the notice now links to the contract
    assert "已聘用" in page and contract.code in page
    again = c.get(form_url, follow_redirects=True).get_data(as_text=True)  # no second signing offered
    assert contract.code in again


def test_the_dashboard_tile_and_worklist_lead_to_the_form(app, login_as, session, county, shortlist):
    notice, a, _ = shortlist
    svc.hire(session, county.users["town"], a.id, date(2026, 12, 3))
    session.commit()
    app.config["PWPOSTS_TODAY"] = "2026-12-10"
    c = login_as("town")
    dash = c.get("/").get_data(as_text=True)
    assert "已聘用待签协议" in dash
    worklist = c.get(link(dash, "已聘用待签协议")).get_data(as_text=True)
    assert "王秀英" in worklist and "2026-12-03" in worklist and "2026-12-04 至 2027-12-03" in worklist
    assert "李建国" not in worklist
    form = c.get(link(worklist, "签订协议")).get_data(as_text=True)
    assert value(form, "start_on") == "2026-12-04" and value(form, "end_on") == "2027-12-03"

    listing = c.get("/contracts/").get_data(as_text=True)  # the contracts list offers the same way in
    assert link(listing, "签订协议").endswith("/contracts/pending")
    notice_page = c.get(f"/hiring/{notice.id}").get_data(as_text=True)
    assert f"/contracts/new?application_id={a.id}" in notice_page
    assert "王秀英" not in c.get("/contracts/pending?q=李建国").get_data(as_text=True)
    other = login_as("otherTown")
    assert "王秀英" not in other.get("/contracts/pending").get_data(as_text=True)


def test_a_start_before_the_hire_is_refused_on_the_form(app, login_as, session, county, shortlist):
    _, a, _ = shortlist
    svc.hire(session, county.users["town"], a.id, date(2026, 12, 14))
    session.commit()
    app.config["PWPOSTS_TODAY"] = "2026-12-14"
    c = login_as("town")
    r = c.post(
        f"/contracts/new?application_id={a.id}",
        data={
            "kind": "劳务协议",
            "start_on": "2026-11-01",
            "end_on": "2027-10-31",
            "signed_on": "2026-12-14",
        },
    )
    assert r.status_code == 422
    text = r.get_data(as_text=True)
    assert "2026-11-01" in text and "2026-12-14" in text and "聘用日期" in text
    assert session.scalar(select(Contract)) is None


def test_notice_list_and_page_show_the_derived_state(app, login_as, session, county, shortlist):
    notice, _, _ = shortlist
    c = login_as("town")
    assert "公示中" in c.get(f"/hiring/{notice.id}").get_data(as_text=True)
    assert notice.title in c.get("/hiring/?state=publicity").get_data(as_text=True)
    assert notice.title not in c.get("/hiring/?state=open").get_data(as_text=True)
    app.config["PWPOSTS_TODAY"] = "2026-11-20"
    assert notice.title in c.get("/hiring/?state=publicity").get_data(as_text=True)


def test_publicity_form_refused_while_registration_is_open(app, login_as, session, county):
    town = county.users["town"]
    post = make_post(session, county)
    notice = svc.publish_notice(session, town, post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    a = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    other_post = make_post(session, county, title="护林员")
    session.commit()
    app.config["PWPOSTS_TODAY"] = "2026-11-24"
    c = login_as("town")
    page = c.get(f"/hiring/{notice.id}").get_data(as_text=True)
    assert "报名中" in page and "报名截止（2026-11-24）后方可公示" in page
    r = c.post(f"/hiring/{notice.id}/shortlist", data={"application_id": [str(a.id)]}, follow_redirects=True)
    assert "公示须在报名截止后发布" in r.get_data(as_text=True)
    assert svc.load_notice(session, town, notice.id).publicities == []
    r = c.post(
        f"/hiring/new/{other_post.id}",
        data={**NOTICE_FIELDS, "start_on": "2026-11-20", "end_on": "2026-12-05"},
    )
    assert "不能从过去的日期开始报名" in r.get_data(as_text=True)
