"""Rows for payroll tests, built directly (post, contract, attendance, grade) so payroll tests do
not depend on the hiring, contract or attendance screens."""

from __future__ import annotations

from datetime import date
from itertools import count

from pwposts.models.contracts import Assessment, Contract
from pwposts.models.pay import AttendanceRecord
from pwposts.models.policy import Fund, PostCategory
from pwposts.models.posts import Post

_seq = count(1)


def make_fund(
    session, county, *, name="衔接推进乡村振兴补助资金", year=2026, allocation_fen=100_000_000
) -> Fund:
    f = Fund(county_id=county.county.id, name=name, year=year, allocation_fen=allocation_fen)
    session.add(f)
    session.flush()
    return f


def make_post(
    session, county, village, fund, *, allowance_fen=60000, required_days=20, title="保洁员"
) -> Post:
    cat = session.query(PostCategory).filter_by(code="pay_cleaning").first()
    if cat is None:
        cat = PostCategory(code="pay_cleaning", name="保洁（发放测试）", kind="普通")
        session.add(cat)
        session.flush()
    p = Post(
        code=f"PAY-POST-{next(_seq)}",
        title=title,
        township_id=village.parent_id,
        village_id=village.id,
        category_id=cat.id,
        fund_id=fund.id,
        headcount=5,
        duties="村内道路清扫保洁",
        work_place="本村",
        hours="每日上午",
        need_text="村内道路和公共场所需要日常保洁，本村有弱劳力脱贫人口可就近就业",
        allowance_fen=allowance_fen,
        required_days=required_days,
        status="filled",
    )
    session.add(p)
    session.flush()
    return p


def make_contract(
    session,
    person,
    post,
    *,
    start=date(2026, 1, 1),
    end=date(2026, 12, 31),
    allowance_fen=None,
    required_days=None,
    perf=(5000, 4000),
    status="active",
    exit_on=None,
) -> Contract:
    c = Contract(
        code=f"PAY-C-{next(_seq)}",
        person_id=person.id,
        post_id=post.id,
        kind="劳务协议",
        start_on=start,
        end_on=end,
        allowance_fen=allowance_fen or post.allowance_fen,
        required_days=required_days or post.required_days,
        perf_excellent_fen=perf[0],
        perf_pass_fen=perf[1],
        duties=post.duties,
        work_place=post.work_place,
        hours=post.hours,
        status=status,
        signed_on=start,
        exit_on=exit_on,
    )
    session.add(c)
    session.flush()
    return c


def attend(session, contract, month, days, status="approved") -> AttendanceRecord:
    r = AttendanceRecord(
        contract_id=contract.id, person_id=contract.person_id, month=month, days_worked=days, status=status
    )
    session.add(r)
    session.flush()
    return r


def grade(session, contract, month, value) -> Assessment:
    a = Assessment(contract_id=contract.id, kind="monthly", period=month, grade=value)
    session.add(a)
    session.flush()
    return a


def township_setup(session, county):
    """东坪镇 (townships[0]) with three holders in October 2026:
    wang 600/20, 15 days, 合格 → 450 + 40; li 600/20 from the 16th of… (October has 31 days) 10 days;
    chief_wife without approved attendance (draft)."""
    fund = make_fund(session, county)
    v0 = county.villages[0]
    post = make_post(session, county, v0, fund)
    wang = make_contract(session, county.persons["wang"], post)
    li = make_contract(session, county.persons["li"], post, start=date(2026, 10, 16), end=date(2027, 10, 15))
    wife = make_contract(session, county.persons["chief_wife"], post)
    attend(session, wang, "2026-10", 15)
    grade(session, wang, "2026-10", "合格")
    attend(session, li, "2026-10", 10)
    attend(session, wife, "2026-10", 12, status="draft")
    session.commit()
    return {"fund": fund, "post": post, "wang": wang, "li": li, "wife": wife}
