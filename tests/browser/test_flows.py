"""The main flows clicked through in chromium, as the users do them: HR proposes a post and the county
approves it; recruitment, eligibility, 公示 and hire; the contract; attendance and payroll, each approved
by a second person; the holder on a phone sees the payment and objects; the inspector opens a flag.

Where a flow needs earlier steps, they are seeded through the services (every step is clicked in one
test). The app's clock is its PWPOSTS_TODAY setting; a test moves it forward when a step must wait
(the registration deadline, the 公示 period, the month's end).
"""

from __future__ import annotations

from sqlalchemy import select

from pwposts.models.posts import Post
from tests.post_builders import NEED, add_policy


def fresh(session):
    """Read what the browser wrote: end the test session's transaction (a WAL snapshot on SQLite)."""
    session.rollback()
    session.expire_all()
    return session


def test_hr_proposes_a_post_and_the_county_approves_it(live, session, county):
    add_policy(session, county)
    session.commit()

    hr = live.login("town")
    hr.locator("nav.mainnav").get_by_role("link", name="岗位", exact=True).click()
    hr.get_by_role("link", name="拟设岗位").click()
    assert "设岗需求" in hr.inner_text("main")
    hr.fill("input[name=title]", "村庄保洁员")
    hr.select_option("select[name=village_id]", label="东坪镇 东坪一村")
    hr.select_option("select[name=category_id]", label="保洁（普通）")
    hr.select_option("select[name=fund_id]", label="衔接推进乡村振兴补助资金（2026年）")
    hr.fill("input[name=headcount]", "1")
    hr.fill("input[name=eligible_pool]", "3")
    hr.fill("input[name=work_place]", "东坪一村村内主干道")
    hr.fill("input[name=hours]", "每日 7:00-9:00")
    hr.fill("textarea[name=duties]", "负责村内主干道、广场的日常清扫")
    hr.fill("textarea[name=need_text]", NEED)
    live.shot(hr, "hr-propose-form")
    hr.click("button:has-text('保存草稿')")
    hr.wait_for_url("**/posts/*")
    assert "草稿" in hr.inner_text("h1") and "在容差以内" in hr.inner_text("body")
    hr.click("button:has-text('提交县级审批')")
    hr.wait_for_load_state()
    assert "待县级审批" in hr.inner_text("h1")
    live.shot(hr, "hr-submitted")
    post = fresh(session).scalars(select(Post)).one()
    assert post.status == "submitted"

    county_admin = live.login("admin")
    live.go(county_admin, f"/posts/{post.id}")
    assert "县级审批" in county_admin.inner_text("body")
    county_admin.fill("textarea[name=note]", "同意设岗")
    county_admin.click("button:has-text('批准岗位')")
    county_admin.wait_for_load_state()
    assert "已批准" in county_admin.inner_text("h1")
    assert "批准岗位" in county_admin.inner_text("body")  # the history from the audit trail
    live.shot(county_admin, "county-approved")
    assert fresh(session).get(Post, post.id).status == "approved"
    assert any("确认批准" in d for d in live.dialogs)  # the confirmation was asked, and answered
