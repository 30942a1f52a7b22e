"""Holders for the attendance tests, built directly (approved posts, contracts in force)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pwposts.models.contracts import Contract
from pwposts.models.policy import Fund, PostCategory, Standard
from pwposts.models.posts import Post
from tests.builders import County, add_person


@dataclass
class Holders:
    county: County
    contracts: dict[str, Contract] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)


def _post(
    session,
    c: County,
    village,
    code: str,
    title: str,
    category,
    fund,
    standard=None,
    *,
    required_days=20,
    full_time=False,
) -> Post:
    p = Post(
        code=code,
        title=title,
        township_id=village.parent_id,
        village_id=village.id,
        category_id=category.id,
        fund_id=fund.id,
        standard_id=standard.id if standard else None,
        headcount=2,
        duties="清扫村道、收集垃圾",
        work_place=village.name,
        hours="每日上午",
        need_text="村内道路与公共场所需要日常保洁，有能力的脱贫人口无法离乡",
        allowance_fen=60000,
        required_days=required_days,
        full_time=full_time,
        status="approved",
    )
    session.add(p)
    session.flush()
    return p


def _contract(
    session,
    code: str,
    person,
    post: Post,
    start: date,
    end: date,
    *,
    status="active",
    exit_on=None,
    required_days=20,
    full_time=False,
    perf=(5000, 4000),
) -> Contract:
    c = Contract(
        code=code,
        person_id=person.id,
        post_id=post.id,
        kind="劳务协议",
        start_on=start,
        end_on=end,
        allowance_fen=60000,
        required_days=required_days,
        full_time=full_time,
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


def build_holders(session, c: County) -> Holders:
    """Village 0 (东坪一村): wang (2026-03-01 … 2027-02-28), li (from 2026-10-16,
    part-time counted in hours), sun (terminated, last day 2026-10-20); village 2
    (西岭一村, other township): zhao (2026-01-01 … 2026-12-31)."""
    h = Holders(c)
    cat = PostCategory(code="BJ", name="保洁", kind="普通")
    fund = Fund(county_id=c.county.id, name="衔接推进乡村振兴补助资金", year=2026, allocation_fen=100_000_000)
    session.add_all([cat, fund])
    session.flush()
    hourly = Standard(
        county_id=c.county.id,
        category_id=cat.id,
        effective_from=date(2026, 1, 1),
        monthly_allowance_fen=60000,
        required_days=20,
        required_hours=60,
    )
    session.add(hourly)
    session.flush()
    v0, v2 = c.villages[0], c.villages[2]
    h.posts["v0"] = _post(session, c, v0, "GW-0001", "村道保洁员", cat, fund)
    h.posts["v0_hours"] = _post(session, c, v0, "GW-0002", "公厕保洁员（非全日制）", cat, fund, hourly)
    h.posts["v2"] = _post(session, c, v2, "GW-0003", "护路员", cat, fund)
    sun = add_person(session, v0, "孙小红", date(1972, 7, 7), "F")
    c.persons["sun"] = sun
    h.contracts["wang"] = _contract(
        session, "HT-2026-0001", c.persons["wang"], h.posts["v0"], date(2026, 3, 1), date(2027, 2, 28)
    )
    h.contracts["li"] = _contract(
        session, "HT-2026-0002", c.persons["li"], h.posts["v0_hours"], date(2026, 10, 16), date(2027, 10, 15)
    )
    h.contracts["sun"] = _contract(
        session,
        "HT-2025-0009",
        sun,
        h.posts["v0"],
        date(2025, 11, 10),
        date(2026, 11, 9),
        status="terminated",
        exit_on=date(2026, 10, 20),
    )
    h.contracts["zhao"] = _contract(
        session, "HT-2026-0003", c.persons["zhao"], h.posts["v2"], date(2026, 1, 1), date(2026, 12, 31)
    )
    session.flush()
    return h
