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
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.errors import DomainError
from ..domain.exits import SERVICE_KINDS, schedule
from ..models.accounts import User
from ..models.contracts import Contract
from ..models.exits import ContractExit
from ..models.people import Person
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


class _Candidate(NamedTuple):
    """A contract the history ended or terminated, with what its exit records need (one SELECT)."""

    id: int
    code: str
    person_id: int
    status: str
    start_on: date
    end_on: date
    exit_on: date | None
    end_reason: str | None
    township_id: int
    post_village_id: int
    post_title: str
    person_name: str
    person_village_id: int


class _Plan(NamedTuple):
    """One historical exit as the demo reports it (the arguments of services.exits.record_exit)."""

    c: _Candidate
    actor: User
    reason: str
    event: date
    effective: date
    reported: date
    placement: str
    placement_note: str | None
    wants_work: bool
    note: str | None


def _candidates(session: Session, today: date) -> list[_Candidate]:
    since = today - timedelta(days=540)
    rows = session.execute(
        select(
            Contract.id,
            Contract.code,
            Contract.person_id,
            Contract.status,
            Contract.start_on,
            Contract.end_on,
            Contract.exit_on,
            Contract.end_reason,
            Post.township_id,
            Post.village_id,
            Post.title,
            Person.name,
            Person.village_id,
        )
        .join(Post, Post.id == Contract.post_id)
        .join(Person, Person.id == Contract.person_id)
        .where(
            Contract.status.in_(("terminated", "ended")),
            Contract.end_reason.is_not(None),
            Contract.end_on >= since,
            ~Contract.end_reason.like("续签%"),
        )
        .order_by(Contract.id)
    ).all()
    return [_Candidate(*r) for r in rows]


def _plans(candidates, clerks, admin, today: date, rng: random.Random):
    """The historical exits to record, in order, drawing from `rng` exactly as the loop always has (the
    caller says after each one whether it was recorded: a person is reported once)."""
    done = set()
    for c in candidates[:MAX_HISTORICAL]:
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
        employed = reason == "employed" or "外出务工" in (c.end_reason or "")
        recorded = yield _Plan(
            c,
            clerks.get(c.township_id, admin),
            reason,
            event,
            effective,
            reported,
            "就业" if employed else "none",
            ("外出务工" if "外出务工" in (c.end_reason or "") else (c.end_reason or "")[:60])
            if employed
            else None,
            reason not in ("death",) and rng.random() < 0.85,
            "补登：历史退岗" if reported == today else None,
        )
        if recorded:
            done.add(c.person_id)


def _service_dates(effective_on: date, event_on: date, today: date, rng: random.Random):
    """The 311 services after an exit, as (kind, day, giver): on schedule for about half, fewer (behind)
    for the others."""
    sched = schedule(effective_on, today, [])
    keep_up = rng.random() < 0.5
    for kind in SERVICE_KINDS:
        due = sched.due[kind] if keep_up else max(0, sched.due[kind] - 1)
        for i in range(due):
            span = max(1, (today - max(sched.year_first, event_on)).days)
            on = max(sched.year_first, event_on) + timedelta(days=min(span - 1, (i + 1) * span // (due + 1)))
            yield kind, min(on, today), rng.choice(GIVERS)


def generate_exits(
    session: Session, today: date, seed: int = 2026, *, through_services: bool = False
) -> dict[str, int]:
    """Exit records, 311 services and colours for the demo county; returns counts for the summary.

    The historical exits are written set-based (exit_rows.historical_rows: the rows and audit entries
    services.exits.record_exit and record_service write, in the same order); through_services=True records
    them through those services one by one instead (tests/services/test_demo_exits.py compares the two)."""
    from ..services import exits as svc

    rng = random.Random(seed * 31 + 8)
    clerks, admin = _clerks(session)
    if admin is None:
        return {}
    candidates = _candidates(session, today)
    rng.shuffle(candidates)
    if through_services or session.scalar(select(ContractExit.id).limit(1)) is not None:
        counts = _historical_through_services(session, svc, candidates, clerks, admin, today, rng)
    else:
        from .exit_rows import historical_rows

        counts = historical_rows(session, candidates, clerks, admin, today, rng)
    counts.update(_this_month(session, svc, clerks, today))
    report = _sweep_without_scan(session, today)
    counts["sweep_proposals"] = sum(report.proposed.values())
    from ..models.exits import PersonColour

    for colour, n in session.execute(select(PersonColour.colour, func.count()).group_by(PersonColour.colour)):
        counts[f"colour_{colour}"] = n
    session.flush()
    return counts


def _historical_through_services(session, svc, candidates, clerks, admin, today, rng) -> dict[str, int]:
    """The historical exits through services.exits.record_exit and record_service, one by one."""
    counts = {"exits": 0, "late_exits": 0, "followup_services": 0}
    plans = _plans(candidates, clerks, admin, today, rng)
    recorded = None
    while True:
        try:
            p = plans.send(recorded)
        except StopIteration:
            break
        recorded = False
        try:
            with session.begin_nested():
                ex = svc.record_exit(
                    session,
                    p.actor,
                    p.c.id,
                    p.reason,
                    p.event,
                    p.effective,
                    p.reported,
                    placement=p.placement,
                    placement_note=p.placement_note,
                    wants_work=p.wants_work,
                    note=p.note,
                )
        except DomainError:
            continue
        recorded = True
        counts["exits"] += 1
        counts["late_exits"] += int(ex.late)
        if ex.wants_work and ex.placement == "none" and p.reason not in ("death",):
            for kind, on, giver in _service_dates(ex.effective_on, ex.event_on, today, rng):
                try:
                    with session.begin_nested():
                        svc.record_service(
                            session, p.actor, ex.person_id, kind, on, giver, NOTES[kind], today
                        )
                    counts["followup_services"] += 1
                except DomainError:
                    pass
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
