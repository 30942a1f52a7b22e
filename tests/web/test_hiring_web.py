"""以岗聘任 pages and the public 公示 page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from pwposts.models.audit import AuditEntry
from pwposts.models.hiring import Application, Notice, Objection, Publicity
from pwposts.services import audit
from pwposts.services import hiring as svc
from tests.builders import add_person
from tests.hiring_support import (
    ENTRY_DAY,
    NOTICE_DAY,
    NOTICE_FIELDS,
    OPEN_NOTICE_FIELDS,
    make_post,
    shortlist_wang_and_li,
)

TODAY = date(2026, 11, 25)


@pytest.fixture
def post(session, county):
    p = make_post(session, county)
    session.commit()
    return p


@pytest.fixture
def notice(session, county, post):
    """Registration 2026-11-16 to 11-24 (entries by the service), so the 公示 may be published on TODAY."""
    n = svc.publish_notice(session, county.users["town"], post.id, today=NOTICE_DAY, **NOTICE_FIELDS)
    session.commit()
    return n


@pytest.fixture
def open_notice(session, county, post):
    """Still taking applications on TODAY, for the entry pages."""
    n = svc.publish_notice(session, county.users["town"], post.id, today=TODAY, **OPEN_NOTICE_FIELDS)
    session.commit()
    return n


def publish(session, county, notice):
    return shortlist_wang_and_li(session, county, notice, TODAY)


def test_notice_form_from_a_post(login_as, session, post):
    c = login_as("town")
    page = c.get(f"/hiring/new/{post.id}")
    assert page.status_code == 200 and "发布招聘公告" in page.get_data(as_text=True)
    r = c.post(
        f"/hiring/new/{post.id}", data={**NOTICE_FIELDS, "start_on": "2026-11-25", "end_on": "2026-12-05"}
    )
    assert r.status_code == 302
    n = session.scalar(select(Notice))
    assert n is not None and r.headers["Location"].endswith(f"/hiring/{n.id}")
    session.refresh(post)
    assert post.status == "recruiting"
    again = c.post(
        f"/hiring/new/{post.id}",
        data={**NOTICE_FIELDS, "start_on": "2026-11-25", "end_on": "2026-12-05"},
        follow_redirects=True,
    )
    assert "已有报名中的招聘公告" in again.get_data(as_text=True)


def test_notice_form_refuses_a_bad_date(login_as, post):
    c = login_as("town")
    r = c.post(
        f"/hiring/new/{post.id}", data={**NOTICE_FIELDS, "start_on": "2026-02-30", "end_on": "2026-12-05"}
    )
    assert r.status_code == 200 and "不是真实存在的日期" in r.get_data(as_text=True)


def test_entry_shows_every_reason_and_a_tick(login_as, session, county, open_notice):
    notice = open_notice
    c = login_as("village")
    found = c.get(f"/hiring/{notice.id}/apply?q=刘桂兰").get_data(as_text=True)
    assert "刘桂兰" in found
    r = c.post(
        f"/hiring/{notice.id}/apply",
        data={"person_id": county.persons["chief_wife"].id},
        follow_redirects=True,
    )
    text = r.get_data(as_text=True)
    assert "不符合条件" in text and "张村长" in text and "村委会主任" in text
    c.post(f"/hiring/{notice.id}/apply", data={"person_id": county.persons["wang"].id})
    page = c.get(f"/hiring/{notice.id}").get_data(as_text=True)
    assert "✓ 符合条件" in page and "村干部及其家庭成员不得聘用" in page


def test_village_clerk_cannot_enter_someone_from_another_village(login_as, county, open_notice):
    notice = open_notice
    c = login_as("village")
    assert (
        c.post(f"/hiring/{notice.id}/apply", data={"person_id": county.persons["zhao"].id}).status_code == 404
    )
    assert "赵喆" not in c.get(f"/hiring/{notice.id}/apply?q=赵").get_data(as_text=True)


def test_other_township_cannot_see_the_notice(login_as, notice):
    c = login_as("otherTown")
    assert c.get(f"/hiring/{notice.id}").status_code == 404
    assert "东坪一村村道保洁员招聘公告" not in c.get("/hiring/").get_data(as_text=True)


def test_recheck_is_audited(login_as, session, county, notice):
    a = svc.enter_application(session, county.users["town"], notice.id, county.persons["wang"].id, ENTRY_DAY)
    session.commit()
    c = login_as("town")
    r = c.post(f"/hiring/applications/{a.id}/recheck", follow_redirects=True)
    assert "复核完成" in r.get_data(as_text=True)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "recheck_application")) is not None


def test_shortlist_form_preselects_in_priority_order_and_publishes(login_as, session, county, notice):
    town = county.users["town"]
    li = svc.enter_application(session, town, notice.id, county.persons["li"].id, ENTRY_DAY)
    third = add_person(session, county.villages[0], "孙三", date(1980, 1, 1), "M")
    t = svc.enter_application(session, town, notice.id, third.id, ENTRY_DAY)
    wang = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    session.commit()
    c = login_as("town")
    form = c.get(f"/hiring/{notice.id}/shortlist").get_data(as_text=True)
    assert form.index("王秀英") < form.index("李建国")  # 弱劳力 listed first
    assert f'value="{wang.id}" checked' in form and f'value="{li.id}" checked' in form
    assert f'value="{t.id}" >' in form or f'value="{t.id}" ' in form
    assert "2026-12-02" in form  # the period's last day, shown before publishing
    r = c.post(
        f"/hiring/{notice.id}/shortlist",
        data={"application_id": [str(wang.id), str(li.id)], "where_to_object": "东坪镇纪委 0855-7654321"},
    )
    assert r.status_code == 302
    pub = session.scalar(select(Publicity))
    assert pub.end_on == date(2026, 12, 2) and pub.where_to_object == "东坪镇纪委 0855-7654321"


def test_hire_buttons_flash_the_refusals_then_hire(app, login_as, session, county, notice):
    a, b, pub = publish(session, county, notice)
    c = login_as("town")
    r = c.post(f"/hiring/applications/{a.id}/hire", follow_redirects=True)
    assert "公示期至2026-12-02" in r.get_data(as_text=True)

    v = login_as("village")
    r = v.post(
        f"/hiring/applications/{b.id}/objections",
        data={"content": "李建国长期在外务工", "objector_name": "村民乙", "received_on": "2026-11-25"},
        follow_redirects=True,
    )
    assert "异议已记录" in r.get_data(as_text=True)
    o = session.scalar(select(Objection))
    assert (
        v.post(
            f"/hiring/objections/{o.id}/resolve", data={"decision": "rejected", "resolution": "x"}
        ).status_code
        == 403
    )

    app.config["PWPOSTS_TODAY"] = "2026-12-03"
    c = login_as("town")
    r = c.post(f"/hiring/applications/{a.id}/hire", follow_redirects=True)
    assert "异议尚未处理完毕" in r.get_data(as_text=True)
    r = c.post(
        f"/hiring/objections/{o.id}/resolve",
        data={"decision": "upheld", "resolution": "经核实属实"},
        follow_redirects=True,
    )
    assert "异议已处理" in r.get_data(as_text=True)
    r = c.post(f"/hiring/applications/{a.id}/hire", follow_redirects=True)
    assert "已聘用王秀英" in r.get_data(as_text=True)
    session.expire_all()
    assert session.get(Application, a.id).status == "hired"
    assert session.get(Application, b.id).status == "removed"
    assert audit.verify_chain(session).ok


def test_public_page_needs_no_login_and_masks_ids(app, client, session, county, notice):
    publish(session, county, notice)
    r = client.get("/public/")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    wang = county.persons["wang"]
    assert "王秀英" in text and "李建国" in text and "东坪一村" in text
    assert wang.id_number not in text and wang.id_number[:6] + "********" + wang.id_number[-4:] in text
    assert wang.phone not in text and wang.account_no not in text
    assert "2026-11-26 至 2026-12-02" in text and "0855-1234567" in text  # the period and where to object
    assert "招聘公告" in text
    pub = session.scalar(select(Publicity))
    detail = client.get(f"/public/publicity/{pub.id}")
    assert detail.status_code == 200 and wang.id_number not in detail.get_data(as_text=True)
    app.config["PWPOSTS_TODAY"] = (
        ENTRY_DAY.isoformat()
    )  # the notice itself is public while it takes applications
    assert client.get(f"/public/notices/{notice.id}").status_code == 200


def test_public_page_lists_only_current_items(app, client, session, county, notice):
    publish(session, county, notice)
    pub = session.scalar(select(Publicity))
    app.config["PWPOSTS_TODAY"] = "2026-12-06"  # 公示 and applications both over
    text = client.get("/public/").get_data(as_text=True)
    assert "王秀英" not in text and "目前没有" in text
    assert client.get(f"/public/publicity/{pub.id}").status_code == 404
    assert client.get(f"/public/notices/{notice.id}").status_code == 404


def test_index_search_filters_and_dashboard_card(login_as, session, county, notice):
    publish(session, county, notice)
    c = login_as("town")
    assert "东坪一村村道保洁员招聘公告" in c.get("/hiring/?q=保洁").get_data(as_text=True)
    assert "东坪一村村道保洁员招聘公告" not in c.get("/hiring/?q=护林").get_data(as_text=True)
    assert "东坪一村村道保洁员招聘公告" in c.get("/hiring/?stage=publicity").get_data(as_text=True)
    assert "东坪一村村道保洁员招聘公告" not in c.get("/hiring/?status=closed").get_data(as_text=True)
    dash = c.get("/").get_data(as_text=True)
    assert "7日内期满的公示" in dash and "待处理的公示异议" in dash


def test_inspector_reads_but_cannot_act(login_as, session, county, notice):
    a, _, _ = publish(session, county, notice)
    c = login_as("inspector")
    assert c.get(f"/hiring/{notice.id}").status_code == 200
    assert c.post(f"/hiring/applications/{a.id}/hire").status_code == 403
    assert c.post(f"/hiring/{notice.id}/close").status_code == 403
    assert c.get(f"/hiring/{notice.id}/apply").status_code == 403
