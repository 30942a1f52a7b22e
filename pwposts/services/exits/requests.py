"""Exit requests: propose (a clerk, or the sweep), confirm or dismiss, record the follow-up placement."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ...domain import exits as rules
from ...domain.contracts import CONTRACT_STATE_LABELS
from ...domain.errors import Conflict, DomainError
from ...models.exits import ContractExit
from .. import audit
from ..permissions import can
from .common import (
    EXIT_FIELDS,
    _actor_id,
    _actor_label,
    _is_system,
    _load_contract,
    _successor,
    _text,
    load_exit,
    open_exit_of,
)
from .effects import _confirm

# ---- propose, confirm, dismiss ----


def propose_exit(
    session: Session,
    actor,
    contract_id: int,
    reason: str,
    event_on: date,
    effective_on: date,
    today: date,
    *,
    note: str | None = None,
    evidence: str | None = None,
    placement: str = "none",
    placement_note: str | None = None,
    wants_work: bool = True,
) -> ContractExit:
    """An exit awaiting township HR's confirmation (by a clerk, or by the sweep when actor is its label)."""
    c = _load_contract(session, actor, contract_id, "propose_exit")
    rules.check_reason(reason)
    rules.check_placement(placement)
    if c.status == "terminated":
        # an exit made before exit records existed (imported or legacy data): recorded to match the contract
        expected = c.exit_on + timedelta(days=1) if c.exit_on else None
        if expected is None or effective_on != expected or open_exit_of(session, c.id) is not None:
            raise DomainError(
                "exit_contract_terminated",
                f"合同 {c.code} 已退岗（{c.end_reason or '原因未记录'}）"
                + (f"；补登退岗记录时生效日期应为 {expected.isoformat()}" if expected else ""),
            )
    elif c.status not in ("active", "ended"):
        raise DomainError(
            "exit_contract_not_live",
            f"合同 {c.code} 状态为“{CONTRACT_STATE_LABELS.get(c.status, c.status)}”，不能办理退岗"
            + ("；待生效的合同请作废" if c.status == "draft" else ""),
        )
    nxt = _successor(session, c)
    if nxt is not None:
        raise Conflict(
            "exit_contract_renewed",
            f"合同 {c.code} 已续签为 {nxt.code}（{CONTRACT_STATE_LABELS.get(nxt.status, nxt.status)}）："
            "请先作废续签合同，或对续签合同办理退岗",
        )
    existing = open_exit_of(session, c.id)
    if existing is not None:
        raise Conflict(
            "exit_exists",
            f"合同 {c.code} 已有{rules.EXIT_STATE_LABELS[existing.status]}的退岗记录"
            f"（{rules.reason_label(existing.reason)}，{existing.effective_on.isoformat()}起）",
        )
    rules.check_dates(c.code, c.start_on, c.end_on, event_on, effective_on, today)
    ex = ContractExit(
        contract=c,
        person_id=c.person_id,
        reason=reason,
        status="proposed",
        source="sweep" if _is_system(actor) else "staff",
        event_on=event_on,
        effective_on=effective_on,
        evidence=_text(evidence, "依据", 2000),
        note=_text(note, "备注", 1000),
        placement=placement,
        placement_note=_text(placement_note, "安置说明", 200),
        wants_work=bool(wants_work),
        proposed_on=today,
        proposed_by_id=_actor_id(actor),
        proposed_by_label=_actor_label(actor),
    )
    session.add(ex)
    session.flush()
    audit.record(
        session,
        actor,
        "propose_exit",
        "contract_exit",
        ex.id,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"提出退岗：{c.person.name}（合同 {c.code}，岗位“{c.post.title}”），"
        f"{rules.reason_label(reason)}，{effective_on.isoformat()}起",
    )
    return ex


def confirm_exit(
    session: Session,
    actor,
    exit_id: int,
    today: date,
    *,
    effective_on: date | None = None,
    placement: str | None = None,
    placement_note: str | None = None,
    wants_work: bool | None = None,
    note: str | None = None,
) -> ContractExit:
    """Township HR confirms a proposed exit, optionally correcting its effective date and placement."""
    ex = load_exit(session, actor, exit_id, "confirm_exit")
    if ex.status != "proposed":
        raise DomainError(
            "exit_not_proposed", f"只有待确认的退岗可以确认：此记录为“{rules.EXIT_STATE_LABELS[ex.status]}”"
        )
    c = ex.contract
    if effective_on is not None and effective_on != ex.effective_on:
        rules.check_dates(c.code, c.start_on, c.end_on, min(ex.event_on, effective_on), effective_on, today)
        ex.event_on = min(ex.event_on, effective_on)
        ex.effective_on = effective_on
    if placement is not None:
        rules.check_placement(placement)
        ex.placement = placement
        ex.placement_note = _text(placement_note, "安置说明", 200)
    if wants_work is not None:
        ex.wants_work = bool(wants_work)
    if note:
        ex.note = _text(note, "备注", 1000)
    return _confirm(session, actor, ex, today)


def record_exit(
    session: Session,
    actor,
    contract_id: int,
    reason: str,
    event_on: date,
    effective_on: date,
    today: date,
    **kw,
) -> ContractExit:
    """A clerk records an exit: confirmed at once when the actor may confirm, else proposed."""
    ex = propose_exit(session, actor, contract_id, reason, event_on, effective_on, today, **kw)
    if can(actor, "confirm_exit", ex):
        _confirm(session, actor, ex, today)
    return ex


def dismiss_exit(session: Session, actor, exit_id: int, reason: str, today: date) -> ContractExit:
    """A proposal that is wrong (e.g. a mismatched employment record) is dismissed with a reason;
    the sweep does not propose the same exit (same reason and event date) again."""
    ex = load_exit(session, actor, exit_id, "confirm_exit")
    if ex.status != "proposed":
        raise DomainError(
            "exit_not_proposed", f"只有待确认的退岗可以驳回：此记录为“{rules.EXIT_STATE_LABELS[ex.status]}”"
        )
    why = _text(reason, "驳回理由", 1000, required=True)
    before = audit.snapshot(ex, EXIT_FIELDS)
    ex.status, ex.dismissed_on, ex.dismissed_by_id, ex.dismiss_reason = (
        "dismissed",
        today,
        _actor_id(actor),
        why,
    )
    session.flush()
    audit.record(
        session,
        actor,
        "dismiss_exit",
        "contract_exit",
        ex.id,
        before=before,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"驳回退岗建议：{ex.person.name}（合同 {ex.contract.code}），{why}",
    )
    return ex


def set_placement(
    session: Session,
    actor,
    exit_id: int,
    placement: str,
    placement_note: str | None,
    wants_work: bool,
    today: date,
) -> ContractExit:
    """Record (or update) the follow-up placement of an exit: 转岗, 就业 or none, and the wish to work."""
    ex = load_exit(session, actor, exit_id, "confirm_exit")
    rules.check_placement(placement)
    if ex.status == "dismissed":
        raise DomainError("exit_dismissed", "已驳回的退岗建议不能登记后续安置")
    before = audit.snapshot(ex, EXIT_FIELDS)
    ex.placement, ex.placement_note, ex.wants_work = (
        placement,
        _text(placement_note, "安置说明", 200),
        bool(wants_work),
    )
    session.flush()
    audit.record(
        session,
        actor,
        "exit_placement",
        "contract_exit",
        ex.id,
        before=before,
        after=audit.snapshot(ex, EXIT_FIELDS),
        summary=f"登记后续安置：{ex.person.name}，{rules.PLACEMENT_LABELS[placement]}"
        f"{('（' + ex.placement_note + '）') if ex.placement_note else ''}，"
        f"{'有' if ex.wants_work else '无'}就业意愿",
    )
    return ex
