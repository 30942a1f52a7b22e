"""Effects on the contract and the post: confirming an exit, the effective date coming (also the sweep's
apply_due_exits), payments made after the exit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ...domain import exits as rules
from ...domain.contracts import CONTRACT_STATE_LABELS
from ...domain.errors import Conflict
from ...domain.formats import month_of
from ...models.contracts import Contract
from ...models.exits import ContractExit
from ...models.pay import Payment
from .. import audit
from .common import CONTRACT_FIELDS, EXIT_FIELDS, _actor_id, _successor, report_limit


def _target_state(ex: ContractExit) -> str:
    """已结束 for a contract that simply ran out without renewal, 已退岗 for every other exit."""
    return "ended" if ex.reason == "contract_end" else "terminated"


def _take_effect(session: Session, actor, c: Contract, ex: ContractExit) -> bool:
    """The exit's effective date has come: the contract reads
    已退岗 (or 已结束), the post's staffing follows."""
    target = _target_state(ex)
    if c.status == target or c.status not in ("active", "ended"):
        return False
    was_active = c.status == "active"
    before = audit.snapshot(c, CONTRACT_FIELDS)
    c.status = target
    session.flush()
    label = CONTRACT_STATE_LABELS[target]
    audit.record(
        session,
        actor,
        "terminate_contract" if target == "terminated" else "end_contract",
        "contract",
        c.id,
        before=before,
        after=audit.snapshot(c, CONTRACT_FIELDS),
        summary=f"合同 {c.code} {label}：{c.person.name}，{rules.reason_label(ex.reason)}，"
        f"{ex.effective_on.isoformat()}起停止发放",
    )
    if was_active:
        from ..posts import mark_staffing

        mark_staffing(session, c.post, actor)
    return True


def _confirm(
    session: Session, actor, ex: ContractExit, today: date, *, terminate: bool = True
) -> ContractExit:
    c = ex.contract
    nxt = _successor(session, c)
    if nxt is not None:
        raise Conflict(
            "exit_contract_renewed", f"合同 {c.code} 已续签为 {nxt.code}：请先作废续签合同，再确认退岗"
        )
    limit = report_limit(session, c.post, today)
    before = audit.snapshot(ex, EXIT_FIELDS)
    ex.status, ex.confirmed_on, ex.confirmed_by_id = "confirmed", today, _actor_id(actor)
    ex.report_limit_days = limit
    ex.late = rules.is_late(ex.event_on, today, limit)
    c_before = audit.snapshot(c, CONTRACT_FIELDS)
    c.exit_on = rules.last_paid_day(ex.effective_on, c.end_on)
    c.end_reason = (
        c.end_reason or f"退岗：{rules.reason_label(ex.reason)}（{ex.effective_on.isoformat()}起停止发放）"
    )
    session.flush()
    late = f"，超过{limit}天报告时限（迟报）" if ex.late else ""
    audit.record(
        session,
        actor,
        "confirm_exit",
        "contract_exit",
        ex.id,
        before=before,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"确认退岗：{c.person.name}（合同 {c.code}），{rules.reason_label(ex.reason)}，"
        f"事由发生于{ex.event_on.isoformat()}，{ex.effective_on.isoformat()}起{late}",
    )
    if c_before != audit.snapshot(c, CONTRACT_FIELDS):
        audit.record(
            session,
            actor,
            "record_exit_date",
            "contract",
            c.id,
            before=c_before,
            after=audit.snapshot(c, CONTRACT_FIELDS),
            summary=f"合同 {c.code} 登记退岗：最后计发日 {c.exit_on.isoformat()}",
        )
    if terminate and ex.effective_on <= today:
        _take_effect(session, actor, c, ex)
    return ex


def apply_due_exits(session: Session, actor, today: date) -> int:
    """Confirmed exits whose effective date has come take effect on their contracts (the sweep)."""
    rows = session.execute(
        select(Contract, ContractExit)
        .join(ContractExit, ContractExit.contract_id == Contract.id)
        .where(
            ContractExit.status == "confirmed",
            ContractExit.effective_on <= today,
            or_(
                Contract.status == "active",
                and_(Contract.status == "ended", ContractExit.reason != "contract_end"),
            ),
        )
        .order_by(Contract.id)
    ).all()
    return sum(1 for c, ex in rows if _take_effect(session, actor, c, ex))


def paid_after_exit(session: Session, contract: Contract) -> list[Payment]:
    """Regular payments for months after the one holding the last day paid: to be recovered (扣回)."""
    if contract.exit_on is None:
        return []
    last_month = month_of(contract.exit_on)
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.contract_id == contract.id, Payment.kind == "regular", Payment.month > last_month)
            .order_by(Payment.month)
        )
    )
