"""Demo county, 有序退岗 and after (issue 8), made through the real services:

- exit records for the contracts the history ended or terminated (death, other employment, no longer
  eligible, failed annual grade, health, breach, own request, contract end), each reported some days
  after its event — some beyond the county's 5-day limit, so inspectors see late reports;
- in the logins' township, exits from the first of this month recorded by township1 (户籍迁出, 达到年龄上限并
  领取养老金, 无法胜任, 严重违纪, 死亡) and one proposal by a village clerk awaiting township1's confirmation;
- 311 services for part of the exited holders (some on schedule, some behind);
- then the daily sweep: deaths and other triggers proposed, expired contracts ended, and every exited
  holder coloured red, orange, yellow or green (its anomaly scan is left to the end of the build).

The exits change no paid month: a historical exit keeps its contract's last day paid, and this month's
exits take effect from the first day of the current month (the last payroll prepared is last month's).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError
from ..domain.exits import SERVICE_KINDS
from ..models.accounts import User
from ..models.contracts import Contract
from ..models.exits import ContractExit
from ..models.posts import Post

MAX_HISTORICAL = 160
GIVERS = ("乡镇人社所", "县公共就业服务中心", "村就业信息员")
NOTES = {
    "job_info": "推送县内企业招聘岗位信息",
    "training": "告知县职业技能培训报名信息",
    "guidance": "入户开展职业指导，了解就业意愿",
}


def _reason(end_reason: str | None, status: str) -> str:
    text = end_reason or ""
    for key, reason in (
        ("死亡", "death"),
        ("就业", "employed"),
        ("年度考核不合格", "assessment_failed"),
        ("身体原因", "unable"),
        ("严重违反", "misconduct"),
        ("外出务工", "own_request"),
        ("本人", "own_request"),
        ("村干部", "ineligible"),
        ("不再符合条件", "ineligible"),
        ("资格复核", "ineligible"),
        ("岗位撤销", "contract_end"),
    ):
        if key in text:
            return reason
    return "contract_end" if status == "ended" else "own_request"


def _clerks(session: Session) -> tuple[dict[int, User], User | None]:
    clerks: dict[int, User] = {}
    for u in session.scalars(
        select(User).where(User.role == "township_clerk", User.active.is_(True)).order_by(User.id)
    ):
        clerks.setdefault(u.region_id, u)
    admin = session.scalar(select(User).where(User.username == "admin"))
    return clerks, admin


def generate_exits(session: Session, today: date, seed: int = 2026) -> dict[str, int]:
    """Exit records, 311 services and colours for the demo county; returns counts for the summary."""
    from ..services import exits as svc

    rng = random.Random(seed * 31 + 8)
    clerks, admin = _clerks(session)
    if admin is None:
        return {}
    counts = {"exits": 0, "late_exits": 0, "followup_services": 0}
    since = today - timedelta(days=540)
    done = set()
    rows = session.execute(
        select(Contract, Post.township_id)
        .join(Post, Post.id == Contract.post_id)
        .where(
            Contract.status.in_(("terminated", "ended")),
            Contract.end_reason.is_not(None),
            Contract.end_on >= since,
            ~Contract.end_reason.like("续签%"),
        )
        .order_by(Contract.id)
    ).all()
    rng.shuffle(rows)
    for c, township_id in rows[:MAX_HISTORICAL]:
        if c.person_id in done:
            continue
        reason = _reason(c.end_reason, c.status)
        if c.status == "terminated":
            effective = c.exit_on + timedelta(days=1)
            event = effective if reason == "employed" else c.exit_on
        else:
            effective = event = c.end_on + timedelta(days=1)
        if effective > today:
            continue
        reported = min(today, event + timedelta(days=rng.choice((0, 1, 2, 3, 4, 5, 5, 8, 12, 20))))
        actor = clerks.get(township_id, admin)
        employed = reason == "employed" or "外出务工" in (c.end_reason or "")
        try:
            with session.begin_nested():
                ex = svc.record_exit(
                    session,
                    actor,
                    c.id,
                    reason,
                    event,
                    effective,
                    reported,
                    placement="就业" if employed else "none",
                    placement_note=(
                        "外出务工" if "外出务工" in (c.end_reason or "") else (c.end_reason or "")[:60]
                    )
                    if employed
                    else None,
                    wants_work=reason not in ("death",) and rng.random() < 0.85,
                    note="补登：历史退岗" if reported == today else None,
                )
        except DomainError:
            continue
        done.add(c.person_id)
        counts["exits"] += 1
        counts["late_exits"] += int(ex.late)
        if ex.wants_work and ex.placement == "none" and reason not in ("death",):
            counts["followup_services"] += _services(session, svc, actor, ex, today, rng)
    counts.update(_this_month(session, svc, clerks, today))
    report = _sweep_without_scan(session, today)
    counts["sweep_proposals"] = sum(report.proposed.values())
    from sqlalchemy import func

    from ..models.exits import PersonColour

    for colour, n in session.execute(select(PersonColour.colour, func.count()).group_by(PersonColour.colour)):
        counts[f"colour_{colour}"] = n
    session.flush()
    return counts


def _sweep_without_scan(session: Session, today: date):
    """services.sweep.run_sweep's steps, in its order, without its closing anomaly scan: the demo scans
    the county once, at the very end (generate_county), when the planted cases are in place too."""
    from ..services import sweep

    report = sweep.SweepReport(today)
    report.applied = sweep.apply_due_exits(session, sweep.ACTOR, today)
    sweep.propose_for_deaths(session, report)
    sweep.propose_for_failed_grades(session, report)
    sweep.propose_for_employment(session, report)
    sweep.propose_for_external_posts(session, report)
    sweep.propose_for_ended_categories(session, report)
    sweep.end_expired(session, report)
    report.colours = sweep.refresh_colours(session, sweep.ACTOR, today)
    session.flush()
    return report


def _services(session: Session, svc, actor, ex: ContractExit, today: date, rng: random.Random) -> int:
    """311 services after the exit: on schedule for about half, fewer (behind) for the others."""
    from ..domain.exits import schedule

    sched = schedule(ex.effective_on, today, [])
    keep_up = rng.random() < 0.5
    n = 0
    for kind in SERVICE_KINDS:
        due = sched.due[kind] if keep_up else max(0, sched.due[kind] - 1)
        for i in range(due):
            span = max(1, (today - max(sched.year_first, ex.event_on)).days)
            on = max(sched.year_first, ex.event_on) + timedelta(
                days=min(span - 1, (i + 1) * span // (due + 1))
            )
            try:
                with session.begin_nested():
                    svc.record_service(
                        session,
                        actor,
                        ex.person_id,
                        kind,
                        min(on, today),
                        rng.choice(GIVERS),
                        NOTES[kind],
                        today,
                    )
                n += 1
            except DomainError:
                pass
    return n


def _this_month(session: Session, svc, clerks: dict[int, User], today: date) -> dict[str, int]:
    """In township1's township: 户籍迁出 and 达到年龄上限 exits from the first of this month, and a village
    clerk's proposal for next month awaiting confirmation."""
    clerk = session.scalar(select(User).where(User.username == "township1"))
    if clerk is None:
        return {}
    first = today.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    active = session.scalars(
        select(Contract)
        .join(Post, Post.id == Contract.post_id)
        .where(
            Post.township_id == clerk.region_id,
            Contract.status == "active",
            Contract.exit_on.is_(None),
            Contract.start_on < first - timedelta(days=1),
            Contract.end_on >= nxt,
        )
        .order_by(Contract.id)
    ).all()
    holder1 = session.scalar(select(User.person_id).where(User.username == "holder1"))
    active = [c for c in active if c.person_id != holder1]
    out = {"exits_this_month": 0, "exit_proposals": 0}
    plans = (
        ("moved_away", False, "户籍迁至外省"),
        ("retired", False, "年满60周岁，已按月领取城乡居民养老保险"),
        ("unable", True, "腰伤不能从事保洁劳动，本人愿意从事轻体力工作"),
        ("misconduct", True, "多次代他人签到，经村委会调查属实，予以解除"),
        ("death", False, "家属报告因病去世"),
    )
    for c, (reason, wants, note) in zip(active[: len(plans)], plans, strict=False):
        last = first - timedelta(days=1)
        try:
            with session.begin_nested():
                if reason == "death":
                    c.person.death_date = last  # the registry fact the family reported
                svc.record_exit(
                    session,
                    clerk,
                    c.id,
                    reason,
                    last,
                    first,
                    today,
                    placement="none",
                    wants_work=wants,
                    note=note,
                )
            out["exits_this_month"] += 1
        except DomainError:
            continue
    village_clerks = {
        u.region_id: u for u in session.scalars(select(User).where(User.role == "village_clerk"))
    }
    later = session.scalars(
        select(Contract)
        .join(Post, Post.id == Contract.post_id)
        .where(
            Post.township_id == clerk.region_id,
            Contract.status == "active",
            Contract.exit_on.is_(None),
            Contract.end_on >= nxt,
            Contract.person_id != (holder1 or -1),
        )
        .order_by(Contract.id.desc())
        .limit(20)
    ).all()
    for c in later:
        proposer = village_clerks.get(c.post.village_id, clerk)
        try:
            with session.begin_nested():
                svc.propose_exit(
                    session,
                    proposer,
                    c.id,
                    "own_request",
                    today,
                    nxt,
                    today,
                    note="本人书面申请下月起退岗，外出务工",
                    placement="none",
                    wants_work=True,
                )
            out["exit_proposals"] += 1
            break
        except DomainError:
            continue
    return out
