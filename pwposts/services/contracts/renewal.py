"""Renewal: a new signing after a passed annual grade and fresh eligibility."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.contracts import LIVE_STATES, check_annual_grade, check_renewal_start, check_term
from ...domain.errors import Conflict, DomainError
from ...models.contracts import Assessment, Contract
from .. import audit
from .common import FIELDS, _check_kind, _label, _load, _span
from .signing import _new_contract


def latest_annual_grade(session: Session, contract_id: int) -> tuple[str, str] | None:
    """(year, grade) of the latest year assessed for this contract, or None."""
    row = session.execute(
        select(Assessment.period, Assessment.grade)
        .where(Assessment.contract_id == contract_id, Assessment.kind == "annual")
        .order_by(Assessment.period.desc())
        .limit(1)
    ).first()
    return (row.period, row.grade) if row else None


def renew_contract(
    session: Session,
    actor,
    contract_id: int,
    kind: str,
    start_on: date,
    end_on: date,
    today: date,
    signed_on: date | None = None,
) -> Contract:
    """A new signing for the same person and post, after a passed annual grade and fresh eligibility."""
    old = _load(session, actor, contract_id, "renew_contract")
    if old.status != "active":
        raise DomainError(
            "contract_not_active", f"只有履行中的合同可以续签：合同 {old.code} 状态为“{_label(old.status)}”"
        )
    pending = session.scalars(
        select(Contract)
        .where(Contract.previous_contract_id == old.id, Contract.status.in_(LIVE_STATES))
        .limit(1)
    ).first()
    if pending is not None:
        raise Conflict(
            "renewal_exists",
            f"合同 {old.code} 已续签为 {pending.code}（{_label(pending.status)}，{_span(pending)}）",
        )
    from ..exits import open_exit_of

    leaving = open_exit_of(session, old.id)
    if leaving is not None:
        raise Conflict(
            "renewal_exit_recorded",
            f"合同 {old.code} 已有退岗记录（{leaving.effective_on.isoformat()}起退岗），不能续签；"
            "退岗建议有误的，请先在退岗页面驳回",
        )
    _check_kind(kind)
    check_term(start_on, end_on)
    check_renewal_start(old.end_on, start_on)
    check_annual_grade(old.code, latest_annual_grade(session, old.id))
    from ..hiring import eligibility_for

    failures = eligibility_for(session, old.person, old.post, start_on, ignore_contract_id=old.id)
    if failures:
        messages = [f.message for f in failures]
        raise DomainError(
            "renewal_ineligible",
            f"{old.person.name}续签前资格复核未通过（{start_on.isoformat()}）：" + "；".join(messages),
            details=messages if len(messages) > 1 else None,
        )
    c = _new_contract(
        session,
        actor,
        person=old.person,
        post=old.post,
        application_id=old.application_id,
        previous=old,
        kind=kind,
        start_on=start_on,
        end_on=end_on,
        today=today,
        signed_on=signed_on,
    )
    audit.record(
        session,
        actor,
        "renew_contract",
        "contract",
        c.id,
        after=audit.snapshot(c, FIELDS),
        summary=f"续签{c.kind} {c.code}（接续 {old.code}）：{c.person.name}，{_span(c)}，待录入保险",
    )
    return c
