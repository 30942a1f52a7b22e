"""Rows the contract tests need, built directly: an approved post at the county standard, a notice,
and an application already marked hired (so the tests do not depend on the hiring pages)."""

from __future__ import annotations

from datetime import date
from itertools import count

from pwposts.models.contracts import Assessment, Contract, InsurancePolicy
from pwposts.models.hiring import Application, Notice
from pwposts.models.policy import Fund, PostCategory, Standard
from pwposts.models.posts import Post

_seq = count(1)


def make_post(
    session,
    county,
    *,
    village: int = 0,
    headcount: int = 1,
    status: str = "recruiting",
    allowance_fen: int = 60000,
    perf=(5000, 4000),
) -> Post:
    n = next(_seq)
    cat = PostCategory(code=f"cat{n}", name=f"保洁{n}", kind="普通")
    fund = Fund(
        county_id=county.county.id, name=f"衔接推进乡村振兴补助资金{n}", year=2026, allocation_fen=10_000_000
    )
    session.add_all([cat, fund])
    session.flush()
    std = Standard(
        county_id=county.county.id,
        category_id=cat.id,
        effective_from=date(2026, 1, 1),
        monthly_allowance_fen=allowance_fen,
        required_days=20,
        full_time=False,
        perf_excellent_fen=perf[0],
        perf_pass_fen=perf[1],
        perf_fail_fen=0,
    )
    session.add(std)
    session.flush()
    vil = county.villages[village]
    post = Post(
        code=f"P-{n}",
        title="村道保洁员",
        township_id=vil.parent_id,
        village_id=vil.id,
        category_id=cat.id,
        fund_id=fund.id,
        standard_id=std.id,
        headcount=headcount,
        duties="清扫村内主干道及公共场所，清运垃圾",
        work_place=f"{vil.name}村内主干道",
        hours="每日上午8:00-11:00",
        need_text="村道长，需要保洁员维护，村内有脱贫人口无法离乡",
        allowance_fen=allowance_fen,
        required_days=20,
        status=status,
    )
    session.add(post)
    session.flush()
    return post


HIRED_ON = date(
    2025, 10, 10
)  # before every contract start the contract tests sign (a contract never starts before the hire)


def make_application(
    session, county, person, post, status: str = "hired", hired_on: date = HIRED_ON
) -> Application:
    notice = Notice(
        post_id=post.id,
        title=f"{post.title}招聘公告",
        conditions="本村脱贫人口",
        places=post.headcount,
        start_on=date(2025, 9, 1),
        end_on=date(2025, 9, 15),
        contact="东坪镇人社所",
    )
    session.add(notice)
    session.flush()
    app = Application(
        notice_id=notice.id,
        person_id=person.id,
        status=status,
        checked_on=hired_on,
        hired_on=hired_on if status == "hired" else None,
    )
    session.add(app)
    session.flush()
    return app


def hired(session, county, person_key: str = "wang", hired_on: date = HIRED_ON, **post_kw) -> Application:
    """A post with an application of `person_key` marked hired (on `hired_on`), committed."""
    post = make_post(session, county, **post_kw)
    app = make_application(session, county, county.persons[person_key], post, hired_on=hired_on)
    session.commit()
    return app


def insure(session, contract: Contract, start=None, end=None) -> InsurancePolicy:
    p = InsurancePolicy(
        contract_id=contract.id,
        insurer="中国人寿",
        policy_no=f"PL{next(_seq):06d}",
        start_on=start or contract.start_on,
        end_on=end or contract.end_on,
    )
    session.add(p)
    session.flush()
    return p


def grade(session, contract: Contract, year: str, value: str) -> Assessment:
    a = Assessment(contract_id=contract.id, kind="annual", period=year, grade=value)
    session.add(a)
    session.flush()
    return a


def raw_contract(
    post: Post, person, start: date, end: date, status: str = "draft", code: str | None = None
) -> Contract:
    """A Contract row built by hand (bypassing the service), for database-constraint tests."""
    return Contract(
        code=code or f"RAW-{next(_seq)}",
        person_id=person.id,
        post_id=post.id,
        start_on=start,
        end_on=end,
        allowance_fen=60000,
        required_days=20,
        duties="清扫",
        work_place="村",
        hours="上午",
        status=status,
        signed_on=date(2026, 1, 1),
    )
