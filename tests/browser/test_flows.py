"""The main flows clicked through in chromium, as the users do them: HR proposes a post and the county
approves it; recruitment, eligibility, 公示 and hire; the contract; attendance and payroll, each approved
by a second person; the holder on a phone sees the payment and objects; the inspector opens a flag.

Where a flow needs earlier steps, they are seeded through the services (every step is clicked in one
test). The app's clock is its PWPOSTS_TODAY setting; a test moves it forward when a step must wait
(the registration deadline, the 公示 period, the month's end).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from pwposts.models.contracts import Contract
from pwposts.models.hiring import Publicity
from pwposts.models.oversight import Flag
from pwposts.models.pay import AttendanceRecord, PaymentObjection, PayrollRun
from pwposts.models.posts import Post
from pwposts.services import pay as payroll
from pwposts.services.oversight import run_scan
from tests.builders import add_person
from tests.oversight_support import pay
from tests.payroll_support import attend, make_contract, make_fund, make_post
from tests.post_builders import NEED, add_policy, approved_post


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
    live.see(hr.locator("h1"), "待县级审批")
    live.shot(hr, "hr-submitted")
    post = fresh(session).scalars(select(Post)).one()
    assert post.status == "submitted"

    county_admin = live.login("admin")
    live.go(county_admin, f"/posts/{post.id}")
    assert "县级审批" in county_admin.inner_text("body")
    county_admin.fill("textarea[name=note]", "同意设岗")
    county_admin.click("button:has-text('批准岗位')")
    live.see(county_admin.locator("h1"), "已批准")
    assert "批准岗位" in county_admin.inner_text("body")  # the history from the audit trail
    live.shot(county_admin, "county-approved")
    assert fresh(session).get(Post, post.id).status == "approved"
    assert any("确认批准" in d for d in live.dialogs)  # the confirmation was asked, and answered


def test_recruitment_publicity_hire_and_contract(live, session, county):
    policy = add_policy(session, county)
    post = approved_post(session, county, policy, today=live.today)
    session.commit()
    wang = county.persons["wang"]
    opens, closes = live.today, live.today + timedelta(days=2)

    hr = live.login("town")
    live.go(hr, f"/posts/{post.id}")
    hr.get_by_role("link", name="发布招聘公告").click()
    hr.fill("input[name=title]", "东坪一村村庄保洁员招聘公告")
    hr.fill("input[name=places]", "1")
    hr.fill("input[name=start_on]", opens.isoformat())
    hr.fill("input[name=end_on]", closes.isoformat())
    hr.fill("input[name=contact]", "东坪镇人社服务中心 0855-1234567")
    live.shot(hr, "notice-form")
    hr.click("button:has-text('发布公告')")
    hr.wait_for_url("**/hiring/*")
    assert "报名中" in hr.inner_text("h1")
    notice_url = hr.url

    # register an applicant: find the person, enter the application; the rules check at once
    hr.get_by_role("link", name="录入报名").click()
    hr.fill("input[name=q]", "王秀英")
    hr.click("button:has-text('查找人员')")
    row = hr.locator("tr", has_text="王秀英")
    row.locator("button:has-text('录入报名')").click()
    hr.wait_for_url(notice_url)
    live.flashed(hr, "符合条件")
    applicants = hr.locator("section.wide", has_text="报名人员")
    assert "✓ 符合条件" in applicants.inner_text()
    # eligibility checked again by hand (复核), as a clerk does before the 公示
    applicants.locator("button:has-text('复核')").click()
    live.flashed(hr, "复核完成")
    live.shot(hr, "notice-with-eligible-applicant")

    # after the deadline: the 公示 of the shortlist
    live.set_today(closes + timedelta(days=1))
    hr.goto(notice_url)
    hr.get_by_role("link", name="公示拟聘名单").click()
    assert hr.locator("input[name=application_id]").first.is_checked()
    live.shot(hr, "shortlist")
    hr.click("button:has-text('发布公示')")
    hr.wait_for_url(notice_url)
    assert "公示中" in hr.inner_text("h1")
    publicity = fresh(session).scalars(select(Publicity)).one()

    # anyone sees the 公示, the ID number masked
    public = live.page()
    live.go(public, "/public/")
    text = public.inner_text("body")
    assert "王秀英" in text and wang.id_number not in text and wang.id_number[-4:] in text
    live.shot(public, "public-publicity")

    # the day after the 公示 ends: hire, then sign the contract
    live.set_today(publicity.end_on + timedelta(days=1))
    hr.goto(notice_url)
    hr.locator("button:has-text('聘用')").click()
    live.flashed(hr, "已聘用王秀英")
    hr.get_by_role("link", name="签订协议").first.click()
    assert "签订合同：王秀英" in hr.inner_text("h1")
    live.shot(hr, "contract-sign-form")
    hr.click("button:has-text('签订')")
    hr.wait_for_url("**/contracts/*")
    contract = fresh(session).scalars(select(Contract)).one()
    assert contract.status == "draft" and contract.person_id == wang.id
    hr.fill("input[name=insurer]", "中国人寿")
    hr.fill("input[name=policy_no]", "PL2026001")
    hr.fill("input[name=start_on]", contract.start_on.isoformat())
    hr.fill("input[name=end_on]", contract.end_on.isoformat())
    hr.click("button:has-text('录入保险')")
    live.flashed(hr, "已录入意外伤害保险")
    hr.click("button:has-text('确认生效')")
    live.flashed(hr, f"合同 {contract.code} 已生效")
    live.shot(hr, "contract-active")
    assert fresh(session).get(Contract, contract.id).status == "active"


def last_month(today) -> str:
    first = today.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def holder_in_post(session, county, today):
    """王秀英 in a 600.00/20-day post of 东坪一村 under a contract covering last month (built directly)."""
    month_start = date.fromisoformat(last_month(today) + "-01")
    fund = make_fund(session, county, year=month_start.year)
    post = make_post(session, county, county.villages[0], fund, title="村道保洁员")
    contract = make_contract(
        session,
        county.persons["wang"],
        post,
        start=month_start,
        end=month_start.replace(year=month_start.year + 1) - timedelta(days=1),
    )
    session.commit()
    return contract


def test_attendance_and_payroll_each_approved_by_a_second_person(live, session, county):
    contract = holder_in_post(session, county, live.today)
    month = last_month(live.today)

    # the village clerk enters last month's attendance on the village sheet
    clerk = live.login("village")
    clerk.locator("nav.mainnav").get_by_role("link", name="考勤", exact=True).click()
    clerk.wait_for_url(f"**/pay/attendance/{county.villages[0].id}/{month}")
    assert "考勤" in clerk.inner_text("h1") and "王秀英" in clerk.inner_text("table.sheet")
    clerk.fill(f"input[name=c{contract.id}_days_worked]", "18")
    live.shot(clerk, "attendance-entered")
    clerk.click("button:has-text('保存（待审核）')")
    live.see(clerk.locator("table.sheet"), "待审核")

    # the township clerk approves it
    hr = live.login("town")
    hr.locator("nav.mainnav").get_by_role("link", name="考勤", exact=True).click()
    hr.click("button:has-text('审核东坪镇已录入的考勤（1人）')")
    live.flashed(hr, "已审核")
    live.shot(hr, "attendance-approved")
    record = fresh(session).scalars(select(AttendanceRecord)).one()
    assert (record.status, record.days_worked) == ("approved", 18)
    assert record.approved_by_id == county.users["town"].id != record.entered_by_id

    # the township clerk prepares the payroll; another clerk approves it
    hr.locator("nav.mainnav").get_by_role("link", name="发放", exact=True).click()
    assert "生成发放清册" in hr.inner_text("main")
    hr.select_option("select[name=township]", label="东坪镇")
    hr.fill("input[name=month]", month)
    hr.click("button:has-text('生成预览')")
    hr.wait_for_url("**/pay/runs/*")
    page = hr.inner_text("main")
    assert "600 ÷ 20 × 18 = 540.00" in page and "王秀英" in page
    assert "您是本清册的造册人" in page and hr.locator("button:has-text('审批通过')").count() == 0
    live.shot(hr, "payroll-prepared")
    run_url = hr.url

    second = live.login("town2")
    second.goto(run_url)
    second.click("button:has-text('审批通过')")
    live.flashed(second, "清册已审批")
    live.shot(second, "payroll-approved")
    run = fresh(session).scalars(select(PayrollRun)).one()
    assert run.status == "approved" and run.approved_by_id == county.users["town2"].id != run.prepared_by_id
    assert fresh(session).scalars(select(AttendanceRecord)).one().status == "locked"


def test_holder_on_a_phone_sees_the_payment_and_objects(live, session, county):
    contract = holder_in_post(session, county, live.today)
    month = last_month(live.today)
    attend(session, contract, month, 18)
    run = payroll.prepare_run(session, county.users["town"], county.townships[0].id, month, live.today)
    payroll.approve_run(session, county.users["town2"], run.id, live.today)
    session.commit()

    phone = live.login("holder", phone=True)
    phone.wait_for_url("**/me/")
    assert "王秀英，您好" in phone.inner_text("h1")
    payments = phone.locator("section", has_text="发放记录")
    assert "540.00 元" in payments.inner_text() and "待发放" in payments.inner_text()
    assert fits_the_screen(phone)
    live.shot(phone, "holder-home-phone")
    payments.get_by_role("link", name="明细").click()
    phone.wait_for_url("**/me/payments/*")
    detail = phone.inner_text("main")
    assert "发放明细" in detail and "600 ÷ 20 × 18 = 540.00" in detail and "18 天" in detail
    phone.fill("textarea[name=content]", "我10月份出勤20天，村里只记了18天，请核实")
    live.shot(phone, "holder-objection-phone")
    phone.click("button:has-text('提交申诉')")
    live.flashed(phone, "申诉已提交")
    assert "处理中" in phone.inner_text("main") and fits_the_screen(phone)
    live.shot(phone, "holder-objection-filed-phone")
    objection = fresh(session).scalars(select(PaymentObjection)).one()
    assert objection.status == "open" and "只记了18天" in objection.content

    # the township clerk finds it among the objections to answer
    hr = live.login("town")
    hr.locator("nav.mainnav").get_by_role("link", name="申诉", exact=True).click()
    assert "只记了18天" in hr.inner_text("main")


def fits_the_screen(page) -> bool:
    """No sideways scrolling of the page itself (wide tables scroll inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_inspector_opens_a_flag(live, session, county):
    """Paid for two months, the second after the holder's death: the anomaly scan flags it."""
    paid_last, paid_before = (
        last_month(live.today),
        last_month(date.fromisoformat(last_month(live.today) + "-01")),
    )
    died = date.fromisoformat(paid_before + "-13")
    fund = make_fund(session, county, year=died.year)
    post = make_post(session, county, county.villages[0], fund)
    he = add_person(session, county.villages[0], "何艳", date(1975, 1, 1), "F", death_date=died)
    contract = make_contract(
        session, he, post, start=died.replace(month=1, day=1), end=died.replace(month=12, day=31)
    )
    pay(session, contract, paid_before, 42000)
    pay(session, contract, paid_last, 42000)
    run_scan(session, live.today)
    session.commit()
    flag = session.scalars(select(Flag).where(Flag.rule_id == "PAID_AFTER_DEATH")).one()

    inspector = live.login("inspector")
    inspector.locator("nav.mainnav").get_by_role("link", name="线索", exact=True).click()
    assert "纪检监察线索" in inspector.inner_text("h1")
    row = inspector.locator("tr", has_text="何艳")
    assert "死亡后仍发放补贴" in inspector.inner_text("main")
    live.shot(inspector, "flags")
    row.get_by_role("link", name=str(flag.id), exact=True).click()
    inspector.wait_for_url(f"**/oversight/flags/{flag.id}")
    assert f"线索第{flag.id}号" in inspector.inner_text("h1")
    page = inspector.inner_text("main")
    assert "何艳" in page and "420.00 元" in page and paid_last in page
    assert inspector.locator("svg").count() > 0  # the evidence timeline
    inspector.fill("textarea[name=body]", "已调取户籍死亡登记，待乡镇说明")
    inspector.click("button:has-text('添加备注')")
    live.flashed(inspector, "已添加备注")
    assert "已调取户籍死亡登记" in inspector.inner_text("main")
    live.shot(inspector, "flag-detail")
