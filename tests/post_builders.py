"""Policy and post builders for the 按需设岗 tests: categories, county standards, funds, posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pwposts.models.contracts import Contract
from pwposts.models.policy import Fund, FundCategory, PostCategory, Standard
from pwposts.services import posts as service

TODAY = date(2026, 11, 25)
NEED = "村内主干道和公共场所需要每日保洁，现有3名无法离乡的脱贫劳动力可以胜任"


@dataclass
class Policy:
    cleaning: PostCategory  # 保洁: 600.00 元, 20 days from 2024-01-01
    forest: PostCategory  # 护林: 800.00 元, 22 days
    fund: Fund  # 2026 衔接推进乡村振兴补助资金
    old_fund: Fund  # 2025
    solar: Fund  # 2026 光伏收益, 脱贫人口 only
    std_cleaning: Standard
    std_forest: Standard


def add_policy(session, c) -> Policy:
    county = c.county
    cleaning = PostCategory(code="BJ", name="保洁", kind="普通")
    forest = PostCategory(code="HL", name="护林", kind="普通")
    session.add_all([cleaning, forest])
    session.flush()
    std_c = Standard(
        county_id=county.id,
        category_id=cleaning.id,
        effective_from=date(2024, 1, 1),
        monthly_allowance_fen=60000,
        required_days=20,
        perf_excellent_fen=5000,
        perf_pass_fen=4000,
    )
    std_f = Standard(
        county_id=county.id,
        category_id=forest.id,
        effective_from=date(2024, 1, 1),
        monthly_allowance_fen=80000,
        required_days=22,
    )
    fund = Fund(county_id=county.id, name="衔接推进乡村振兴补助资金", year=2026, allocation_fen=100_000_00)
    old = Fund(county_id=county.id, name="衔接推进乡村振兴补助资金", year=2025, allocation_fen=100_000_00)
    solar = Fund(
        county_id=county.id, name="光伏收益", year=2026, allocation_fen=20_000_00, restricts_categories=True
    )
    session.add_all([std_c, std_f, fund, old, solar])
    session.flush()
    session.add(FundCategory(fund_id=solar.id, category="脱贫人口"))
    session.flush()
    return Policy(cleaning, forest, fund, old, solar, std_c, std_f)


def post_input(
    c,
    policy: Policy,
    *,
    village=0,
    category=None,
    allowance_fen=None,
    required_days=None,
    headcount=1,
    deviation_reason=None,
    title="村庄保洁员",
    need=NEED,
) -> service.PostInput:
    return service.PostInput(
        title=title,
        village_id=c.villages[village].id,
        category_id=(category or policy.cleaning).id,
        fund_id=policy.fund.id,
        headcount=headcount,
        duties="负责村内主干道、广场的日常清扫",
        work_place="东坪一村",
        hours="每日 7:00-9:00",
        need_text=need,
        eligible_pool=3,
        allowance_fen=allowance_fen,
        required_days=required_days,
        deviation_reason=deviation_reason,
    )


def approved_post(session, c, policy: Policy, *, today=TODAY, **kw):
    """A post proposed by the township, submitted and approved by the county."""
    clerk = c.users["town" if kw.get("village", 0) < 2 else "otherTown"]
    post = service.propose_post(session, clerk, post_input(c, policy, **kw), today)
    service.submit_post(session, clerk, post, today)
    service.approve_post(session, c.users["admin"], post, today, approve_deviation=True)
    return post


def add_contract(
    session, post, person, *, status="active", start=date(2026, 1, 1), end=date(2026, 12, 31), exit_on=None
) -> Contract:
    n = session.query(Contract).count() + 1
    k = Contract(
        code=f"HT-{n:04d}",
        person_id=person.id,
        post_id=post.id,
        start_on=start,
        end_on=end,
        allowance_fen=post.allowance_fen,
        required_days=post.required_days,
        duties=post.duties,
        work_place=post.work_place,
        hours=post.hours,
        status=status,
        signed_on=start,
        exit_on=exit_on,
    )
    session.add(k)
    session.flush()
    return k
