"""Builders for the hiring tests: an approved post, an active contract, a notice with applicants."""

from __future__ import annotations

from datetime import date
from itertools import count

from sqlalchemy import select

from pwposts.models.contracts import Contract
from pwposts.models.policy import Fund, FundCategory, PostCategory
from pwposts.models.posts import Post

_seq = count(1)


def make_post(
    session,
    county,
    village_index: int = 0,
    *,
    headcount: int = 2,
    title: str = "村道保洁员",
    status: str = "approved",
    fund_categories: tuple[str, ...] = (),
) -> Post:
    """A post approved by the county (built directly: the posts stage is tested elsewhere)."""
    cat = session.scalar(select(PostCategory).where(PostCategory.code == "BJ"))
    if cat is None:
        cat = PostCategory(code="BJ", name="保洁", kind="普通")
        session.add(cat)
    n = next(_seq)
    fund = Fund(
        county_id=county.county.id,
        name=f"衔接推进乡村振兴补助资金{n}",
        year=2026,
        allocation_fen=100_000_000,
        restricts_categories=bool(fund_categories),
    )
    for c in fund_categories:
        fund.allowed.append(FundCategory(category=c))
    session.add(fund)
    village = county.villages[village_index]
    post = Post(
        code=f"{village.code}-2026-{n:03d}",
        title=title,
        township_id=village.parent_id,
        village_id=village.id,
        category=cat,
        fund=fund,
        headcount=headcount,
        duties="清扫村内主干道，清运垃圾",
        work_place="村内主干道",
        hours="每天上午7:00-9:00",
        need_text="村内主干道约3公里，需要专人每日保洁，本村有无法离乡的帮扶对象",
        eligible_pool=3,
        allowance_fen=60_000,
        required_days=20,
        full_time=False,
        status=status,
    )
    session.add(post)
    session.flush()
    return post


def make_contract(
    session,
    person,
    post,
    *,
    status: str = "active",
    start_on: date = date(2026, 3, 1),
    end_on: date = date(2027, 2, 28),
    application_id: int | None = None,
) -> Contract:
    c = Contract(
        code=f"HT-{next(_seq):05d}",
        person_id=person.id,
        post_id=post.id,
        application_id=application_id,
        kind="劳务协议",
        start_on=start_on,
        end_on=end_on,
        allowance_fen=post.allowance_fen,
        required_days=post.required_days,
        full_time=False,
        duties=post.duties,
        work_place=post.work_place,
        hours=post.hours,
        status=status,
        signed_on=start_on,
    )
    session.add(c)
    session.flush()
    return c


# Registration runs Mon 2026-11-16 to Tue 11-24 (published on its first day, applications entered by the
# 24th), so a 公示 may be published on Wed 11-25 (TODAY in the tests), after the registration deadline.
NOTICE_DAY = date(2026, 11, 16)
ENTRY_DAY = date(2026, 11, 24)
NOTICE_FIELDS = dict(
    title="东坪一村村道保洁员招聘公告",
    conditions="本村户籍、年满16周岁、属于帮扶类别",
    places=2,
    start_on=NOTICE_DAY,
    end_on=ENTRY_DAY,
    contact="东坪镇人社服务中心 0855-1234567",
)
# A notice still taking applications on TODAY (2026-11-25), for the entry pages.
OPEN_NOTICE_FIELDS = {**NOTICE_FIELDS, "start_on": date(2026, 11, 25), "end_on": date(2026, 12, 5)}


def shortlist_wang_and_li(session, county, notice, published_on: date = date(2026, 11, 25)):
    """wang and li apply on ENTRY_DAY and are put on 公示
    on `published_on` (after the registration deadline)."""
    from pwposts.services import hiring as svc

    town = county.users["town"]
    a = svc.enter_application(session, town, notice.id, county.persons["wang"].id, ENTRY_DAY)
    b = svc.enter_application(session, town, notice.id, county.persons["li"].id, ENTRY_DAY)
    pub = svc.publish_shortlist(session, town, notice.id, None, published_on)
    session.commit()
    return a, b, pub
