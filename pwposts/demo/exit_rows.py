"""The demo's historical exits written set-based: the contract_exit and followup_service rows, the contracts'
changes, the pay input counters and the audit entries services.exits.record_exit and record_service write
for the same plans (exits.py draws the plans; tests/services/test_demo_exits.py builds a county both ways
and compares them)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from types import SimpleNamespace

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from ..domain import exits as rules
from ..domain.contracts import CONTRACT_STATE_LABELS, LIVE_STATES
from ..domain.errors import DomainError
from ..domain.exits import SERVICE_KINDS
from ..models.contracts import Contract
from ..models.exits import ContractExit, FollowupService
from ..models.people import Region
from ..models.posts import Post
from .bulk import insert_rows, sync_sequences
from .exits import NOTES, _plans, _service_dates


def historical_rows(session: Session, candidates, clerks, admin, today: date, rng) -> dict[str, int]:
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
