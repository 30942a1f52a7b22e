"""Demo: recruitment under way in the logins' township, made through the real services (audited)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models.people import Person, PersonCategory, Region


def _recruiting_village(session: Session, villages, used: set, fund, on: date):
    """The township's village with the most applicants who qualify for a new post there on `on`,
    with those who qualify and some who don't (judged by the real eligibility engine).

    Each village's candidates are its first 40 adults in a category (by work capacity); the engine's facts
    are gathered for all villages' candidates at once: a trial post differs from village to village only
    in its village, which the facts carry as post_village_id/name (and the county's rules are the same)."""
    from ..domain.hiring import check_eligibility
    from ..models.posts import Post
    from ..services.hiring.eligibility import gather_facts_many, rules_for

    open_villages = [v for v in villages if v.id not in used]
    if not open_villages:
        return (None, [], [])
    candidates: dict[int, list] = {v.id: [] for v in open_villages}
    for person in session.scalars(
        select(Person)
        .where(
            Person.village_id.in_(list(candidates)),
            Person.death_date.is_(None),
            Person.id.in_(select(PersonCategory.person_id)),
            Person.birth_date <= date(on.year - 18, 1, 1),
            Person.birth_date >= date(on.year - 60, 1, 1),
        )
        .order_by(Person.village_id, Person.work_capacity.desc(), Person.id)
    ):
        if len(candidates[person.village_id]) < 40:
            candidates[person.village_id].append(person)
    first = open_villages[0]
    trial = Post(village=first, village_id=first.id, fund=fund, fund_id=fund.id)  # never added
    everyone = [p for v in open_villages for p in candidates[v.id]]
    facts = iter(gather_facts_many(session, everyone, trial, on))
    settings = rules_for(session, trial, on)
    best = (None, [], [])
    for village in open_villages:
        verdicts = [
            (
                p,
                check_eligibility(
                    replace(next(facts), post_village_id=village.id, post_village_name=village.name),
                    on,
                    settings,
                ),
            )
            for p in candidates[village.id]
        ]
        ok = [p for p, failures in verdicts if not failures]
        if len(ok) > len(best[1]):
            best = (village, ok, [p for p, failures in verdicts if failures])
    return best


def generate_open_recruitment(session: Session, today: date) -> int:
    """Recruitment under way in the logins' township, made through the real services (audited): two new
    posts proposed by township1 and approved by admin, one whose shortlist is in its 公示 period now and
    one still taking applications — HR has work on the 招聘 screens and the public page shows them.
    Returns the number of notices opened."""
    from ..domain.errors import DomainError
    from ..models.accounts import User
    from ..models.hiring import Application
    from ..models.policy import Fund, PostCategory
    from ..services import hiring
    from ..services import posts as post_service
    from ..services.clock_binding import bind_now, now_of

    clerk = session.scalar(select(User).where(User.username == "township1"))
    admin = session.scalar(select(User).where(User.username == "admin"))
    fund = session.scalar(
        select(Fund)
        .where(Fund.year == today.year, Fund.restricts_categories.is_(False))
        .order_by(Fund.allocation_fen.desc())
    )
    if clerk is None or admin is None or fund is None:
        return 0
    villages = session.scalars(
        select(Region).where(Region.parent_id == clerk.region_id).order_by(Region.code)
    ).all()
    plans = (
        (
            "养老服务",
            "居家养老照护员",
            "本村有独居、失能老人需要日常探访照护；本村脱贫户中有多名因照顾家人无法离乡的妇女可以承担。",
        ),
        (
            "儿童关爱",
            "留守儿童关爱员",
            "本村留守儿童较多，需要有人课后看护、家访并报告安全隐患；符合条件且无法离乡的人员有数名。",
        ),
    )
    opened, used = 0, set()
    for n, (category_name, title, need) in enumerate(plans):
        category = session.scalar(select(PostCategory).where(PostCategory.name == category_name))
        proposed = today - timedelta(days=24 - n * 8)
        start = proposed + timedelta(days=4)
        village, ok, refused = _recruiting_village(session, villages, used, fund, start)
        if category is None or village is None:
            continue
        used.add(village.id)
        try:
            post = post_service.propose_post(
                session,
                clerk,
                post_service.PostInput(
                    title=title,
                    village_id=village.id,
                    category_id=category.id,
                    fund_id=fund.id,
                    headcount=1,
                    duties=f"{title}：按村委会安排履行岗位职责，每月按规定天数出勤并接受考核。",
                    work_place=village.name,
                    hours="每周一至周五上午",
                    need_text=need,
                    eligible_pool=len(ok) + 1,
                ),
                proposed,
            )
            post_service.submit_post(session, clerk, post, proposed)
            post_service.approve_post(
                session, admin, post, proposed + timedelta(days=2), note="需求属实，同意设岗"
            )
            # the first one's registration closed before its 公示
            # (published yesterday); the second still takes applications
            end_on = today - timedelta(days=3) if n == 0 else today + timedelta(days=7)
            notice = hiring.publish_notice(
                session,
                clerk,
                post.id,
                title=f"{village.name}{title}招聘公告",
                conditions="本村户籍、年满16周岁、属于脱贫人口等帮扶类别、无法离乡且无其他就业的人员；村干部及其家庭成员不得报名。",
                places=1,
                start_on=start,
                end_on=end_on,
                today=start,
                contact=f"{clerk.region.name}人民政府社会事务办，电话 0855-8612{n}45",
            )
            # a realistic mix for HR to review: some who qualify, some the engine refuses with reasons
            for person in ok[:3] + refused[:2]:
                hiring.enter_application(session, clerk, notice.id, person.id, start + timedelta(days=1))
            eligible = session.scalar(
                select(Application.id).where(
                    Application.notice_id == notice.id, Application.status == "eligible"
                )
            )
            if n == 0 and eligible:  # by priority; the period counted by the service over the county calendar
                published = today - timedelta(days=1)
                bound = now_of(session)
                bind_now(session, datetime(published.year, published.month, published.day, 2, 0))
                hiring.publish_shortlist(session, clerk, notice.id, None, published)
                bind_now(session, bound)
            opened += 1
        except DomainError:  # the rules would not let this recruitment happen now: leave it out
            continue
    session.flush()
    return opened
