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
from collections import Counter
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from ..domain import exits as rules
from ..domain.contracts import CONTRACT_STATE_LABELS, LIVE_STATES
from ..domain.errors import DomainError
from ..domain.exits import SERVICE_KINDS, schedule
from ..models.accounts import User
from ..models.contracts import Contract
from ..models.exits import ContractExit, FollowupService
from ..models.people import Person, Region
from ..models.posts import Post
from .bulk import insert_rows, sync_sequences

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

    The historical exits are written set-based (_historical_rows: the rows and audit entries
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
        counts = _historical_rows(session, candidates, clerks, admin, today, rng)
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


def _historical_rows(session: Session, candidates, clerks, admin, today: date, rng) -> dict[str, int]:
    """The historical exits set-based: the contract_exit and followup_service rows, contract changes and
    audit entries record_exit and record_service would write for the same arguments (their checks made
    here in the same order, with the same domain rules; a plan they would refuse is skipped as they skip
    it), written with a few statements."""
    from ..services import audit
    from ..services.exits.common import (
        CONTRACT_FIELDS,
        EXIT_FIELDS,
        SERVICE_FIELDS,
        _actor_label,
        _text,
        report_limit,
    )
    from ..services.permissions import can

    counts = {"exits": 0, "late_exits": 0, "followup_services": 0}
    renewed = set(
        session.scalars(
            select(Contract.previous_contract_id).where(
                Contract.previous_contract_id.is_not(None), Contract.status.in_(LIVE_STATES)
            )
        )
    )
    regions: dict[int, Region] = {}

    def region(rid: int) -> Region:
        if rid not in regions:
            regions[rid] = session.get(Region, rid)
        return regions[rid]

    limits: dict[date, int] = {}
    exit_id = (session.scalar(select(func.max(ContractExit.id))) or 0) + 1
    service_id = (session.scalar(select(func.max(FollowupService.id))) or 0) + 1
    exits, services, changes, entries = [], [], [], []  # entries: (actor, audit entry) in order
    flushes = []  # the township of each flush that would change a contract (pay input counters)
    plans = _plans(candidates, clerks, admin, today, rng)
    recorded = None
    while True:
        try:
            p = plans.send(recorded)
        except StopIteration:
            break
        recorded = False
        c, actor = p.c, p.actor
        try:  # propose_exit's checks, in its order
            if not can(actor, "propose_exit", region(c.post_village_id)):
                raise DomainError("not_found", "合同")
            rules.check_reason(p.reason)
            rules.check_placement(p.placement)
            if c.status == "terminated":
                expected = c.exit_on + timedelta(days=1) if c.exit_on else None
                if expected is None or p.effective != expected:
                    raise DomainError("exit_contract_terminated", c.code)
            elif c.status not in ("active", "ended"):
                raise DomainError("exit_contract_not_live", c.code)
            if c.id in renewed:
                raise DomainError("exit_contract_renewed", c.code)
            rules.check_dates(c.code, c.start_on, c.end_on, p.event, p.effective, p.reported)
            ex = SimpleNamespace(
                contract_id=c.id,
                person_id=c.person_id,
                reason=p.reason,
                status="proposed",
                source="staff",
                event_on=p.event,
                effective_on=p.effective,
                evidence=None,
                note=_text(p.note, "备注", 1000),
                placement=p.placement,
                placement_note=_text(p.placement_note, "安置说明", 200),
                wants_work=bool(p.wants_work),
                confirmed_on=None,
                late=False,
                report_limit_days=None,
                dismissed_on=None,
                dismiss_reason=None,
            )
        except DomainError:
            continue
        if c.status == "active":  # the query takes ended and terminated contracts only
            raise AssertionError("an active contract's exit changes its post's staffing: use the services")
        recorded = True
        ex.id = exit_id
        exit_id += 1
        label = rules.reason_label(p.reason)
        entries.append(
            (
                actor,
                (
                    "propose_exit",
                    "contract_exit",
                    ex.id,
                    None,
                    audit.snapshot(ex, EXIT_FIELDS),
                    f"提出退岗：{c.person_name}（合同 {c.code}，岗位“{c.post_title}”），{label}，"
                    f"{p.effective.isoformat()}起",
                ),
            )
        )
        row = dict(
            vars(ex),
            proposed_on=p.reported,
            proposed_by_id=actor.id,
            proposed_by_label=_actor_label(actor),
            confirmed_by_id=None,
        )
        confirmed = can(actor, "confirm_exit", region(c.post_village_id))
        if confirmed:  # _confirm
            if p.reported not in limits:
                limits[p.reported] = report_limit(
                    session, session.get(Post, _post_of(session, c.id)), p.reported
                )
            limit = limits[p.reported]
            before = audit.snapshot(ex, EXIT_FIELDS)
            ex.status, ex.confirmed_on = "confirmed", p.reported
            ex.report_limit_days, ex.late = limit, rules.is_late(p.event, p.reported, limit)
            contract = SimpleNamespace(status=c.status, exit_on=c.exit_on, end_reason=c.end_reason)
            c_before = audit.snapshot(contract, CONTRACT_FIELDS)
            contract.exit_on = rules.last_paid_day(p.effective, c.end_on)
            contract.end_reason = (
                contract.end_reason or f"退岗：{label}（{p.effective.isoformat()}起停止发放）"
            )
            late = f"，超过{limit}天报告时限（迟报）" if ex.late else ""
            entries.append(
                (
                    actor,
                    (
                        "confirm_exit",
                        "contract_exit",
                        ex.id,
                        before,
                        audit.snapshot(ex, EXIT_FIELDS),
                        f"确认退岗：{c.person_name}（合同 {c.code}），{label}，"
                        f"事由发生于{p.event.isoformat()}，{p.effective.isoformat()}起{late}",
                    ),
                )
            )
            if c_before != audit.snapshot(contract, CONTRACT_FIELDS):
                flushes.append(c.township_id)
                entries.append(
                    (
                        actor,
                        (
                            "record_exit_date",
                            "contract",
                            c.id,
                            c_before,
                            audit.snapshot(contract, CONTRACT_FIELDS),
                            f"合同 {c.code} 登记退岗：最后计发日 {contract.exit_on.isoformat()}",
                        ),
                    )
                )
            target = "ended" if p.reason == "contract_end" else "terminated"
            if p.effective <= p.reported and contract.status != target:  # _take_effect
                before = audit.snapshot(contract, CONTRACT_FIELDS)
                contract.status = target
                flushes.append(c.township_id)
                entries.append(
                    (
                        actor,
                        (
                            "terminate_contract" if target == "terminated" else "end_contract",
                            "contract",
                            c.id,
                            before,
                            audit.snapshot(contract, CONTRACT_FIELDS),
                            f"合同 {c.code} {CONTRACT_STATE_LABELS[target]}：{c.person_name}，{label}，"
                            f"{p.effective.isoformat()}起停止发放",
                        ),
                    )
                )
            if c_before != audit.snapshot(contract, CONTRACT_FIELDS):
                changes.append(
                    {"cid": c.id, "s": contract.status, "x": contract.exit_on, "r": contract.end_reason}
                )
            row.update(status=ex.status, confirmed_on=ex.confirmed_on, confirmed_by_id=actor.id)
            row.update(report_limit_days=ex.report_limit_days, late=ex.late)
        exits.append(row)
        counts["exits"] += 1
        counts["late_exits"] += int(ex.late)
        if not (ex.wants_work and ex.placement == "none" and p.reason not in ("death",)):
            continue
        in_scope = can(actor, "record_followup", region(c.person_village_id))
        for kind, on, giver in _service_dates(ex.effective_on, ex.event_on, today, rng):
            # record_service's checks: the person in the actor's region, a confirmed exit, the date
            if not in_scope or not confirmed or on > today or on < ex.event_on:
                continue
            given_by, note = _text(giver, "服务提供人", 100, required=True), _text(NOTES[kind], "备注", 1000)
            s = SimpleNamespace(
                person_id=c.person_id, exit_id=ex.id, kind=kind, given_on=on, given_by=given_by, note=note
            )
            services.append(dict(vars(s), id=service_id, recorded_by_id=actor.id))
            entries.append(
                (
                    actor,
                    (
                        "record_followup",
                        "followup_service",
                        service_id,
                        None,
                        audit.snapshot(s, SERVICE_FIELDS),
                        f"311服务：{c.person_name}，{SERVICE_KINDS[kind]}，{on.isoformat()}，{given_by}",
                    ),
                )
            )
            service_id += 1
            counts["followup_services"] += 1
    _write(session, exits, services, changes, entries, flushes)
    return counts


def _post_of(session: Session, contract_id: int) -> int:
    return session.scalar(select(Contract.post_id).where(Contract.id == contract_id))


def _write(
    session: Session, exits: list, services: list, changes: list, entries: list, flushes: list
) -> None:
    """The rows, the contracts' new state and the audit entries (in their order, one record_many per run
    of entries by the same actor). The contracts change by Core UPDATE, which the pay input counters'
    flush listener does not see: their townships' '*' counters are bumped here, once for each flush the
    services would have made (services.pay.changes)."""
    from ..services import audit
    from ..services.pay.changes import ANY_MONTH, bump

    insert_rows(session, ContractExit.__table__, exits)
    insert_rows(session, FollowupService.__table__, services)
    sync_sequences(session, [ContractExit.__table__, FollowupService.__table__])
    if changes:
        t = Contract.__table__
        session.execute(
            update(t)
            .where(t.c.id == bindparam("cid"))
            .values(status=bindparam("s"), exit_on=bindparam("x"), end_reason=bindparam("r")),
            changes,
        )
        pending = Counter(flushes)
        while pending:  # bump adds one to each key it is given
            bump(session, [(township_id, ANY_MONTH) for township_id in pending])
            pending = Counter({t: n - 1 for t, n in pending.items() if n > 1})
        changed = {ch["cid"] for ch in changes}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Contract) and obj.id in changed:
                session.expire(obj)
    for actor, run in groupby(entries, key=itemgetter(0)):
        audit.record_many(session, actor, [entry for _actor, entry in run])


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
