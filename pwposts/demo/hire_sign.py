"""Demo: one recruitment in the logins' township that ended in a hire still waiting for its 劳务协议, made
through the real services (audited) in the right order — notice, applications, 公示 after the registration
deadline, hire the day after the 公示 — so the 已聘用待签协议 tile and worklist show the way to the
contract form.

Called once from demo.generate_county, after generate_open_recruitment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError
from ..models.accounts import User
from ..models.hiring import Notice
from ..models.people import Region
from ..models.policy import Fund, PostCategory
from ..models.posts import Post
from ..services.clock_binding import bind_now, now_of


def _on(session: Session, day: date) -> None:
    """Stamp what follows at 10:00 Beijing on `day`, so a timestamp and its business date agree."""
    bind_now(session, datetime(day.year, day.month, day.day, 2, 0))


def generate_hire_awaiting_contract(session: Session, today: date) -> int:
    """Returns the number of hires left waiting for their contract (0 when the rules would not allow one)."""
    from ..services import hiring
    from ..services import posts as post_service
    from .recruitment import _recruiting_village

    clerk = session.scalar(select(User).where(User.username == "township1"))
    admin = session.scalar(select(User).where(User.username == "admin"))
    fund = session.scalar(
        select(Fund)
        .where(Fund.year == today.year, Fund.restricts_categories.is_(False))
        .order_by(Fund.allocation_fen.desc())
    )
    category = session.scalar(select(PostCategory).where(PostCategory.name == "公共设施维护"))
    if clerk is None or admin is None or fund is None or category is None:
        return 0
    villages = session.scalars(
        select(Region).where(Region.parent_id == clerk.region_id).order_by(Region.code)
    ).all()
    busy = set(
        session.scalars(
            select(Post.village_id).join(Notice, Notice.post_id == Post.id).where(Notice.status == "open")
        )
    )
    proposed = today - timedelta(days=45)
    start, end = proposed + timedelta(days=4), proposed + timedelta(days=14)
    village, ok, _refused = _recruiting_village(session, villages, busy, fund, start)
    if village is None or not ok:
        return 0
    bound = now_of(session)
    try:  # a refusal part-way leaves valid earlier steps
        # (an approved post, a notice), as the open recruitment does
        _on(session, proposed)
        post = post_service.propose_post(
            session,
            clerk,
            post_service.PostInput(
                title="公共设施维护员",
                village_id=village.id,
                category_id=category.id,
                fund_id=fund.id,
                headcount=1,
                duties="维护村内路灯、文体设施、公厕和宣传栏，小故障及时修理，大故障报告村委会。",
                work_place=village.name,
                hours="每周一、三、五上午",
                need_text="村里新建的文化广场和路灯需要日常维护；本村脱贫户中有无法离乡、可以承担的人员。",
                eligible_pool=len(ok),
            ),
            proposed,
        )
        post_service.submit_post(session, clerk, post, proposed)
        _on(session, proposed + timedelta(days=2))
        post_service.approve_post(
            session, admin, post, proposed + timedelta(days=2), note="需求属实，同意设岗"
        )
        _on(session, start)
        notice = hiring.publish_notice(
            session,
            clerk,
            post.id,
            title=f"{village.name}公共设施维护员招聘公告",
            conditions="本村户籍、年满16周岁、属于脱贫人口等帮扶类别的人员；村干部及其家庭成员不得报名。",
            places=1,
            start_on=start,
            end_on=end,
            today=start,
            contact=f"{clerk.region.name}人民政府社会事务办，电话 0855-8612345",
        )
        _on(session, start + timedelta(days=1))
        for person in ok[:2]:
            hiring.enter_application(session, clerk, notice.id, person.id, start + timedelta(days=1))
        published = end + timedelta(days=1)  # the day after the registration deadline
        _on(session, published)
        pub = hiring.publish_shortlist(session, clerk, notice.id, None, published)
        hired_on = pub.end_on + timedelta(days=1)
        _on(session, hired_on)
        chosen = [
            a for a in hiring.load_notice(session, clerk, notice.id).applications if a.status == "shortlisted"
        ]
        hiring.hire(session, clerk, chosen[0].id, hired_on)
        hiring.close_notice(session, clerk, notice.id, hired_on)
    except DomainError:  # the rules would not let this recruitment happen on these dates: leave it out
        return 0
    finally:
        bind_now(session, bound)
    session.flush()
    return 1
