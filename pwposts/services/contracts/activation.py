"""Insurance and activation: record the 意外伤害保险 policy, find the covering one, draft → active."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.contracts import LIVE_STATES, check_policy_covers, policy_covers
from ...domain.errors import Conflict, DomainError
from ...models.contracts import Contract, InsurancePolicy
from ...models.people import Person
from .. import audit
from ..clock_binding import now_of
from ..permissions import require
from .common import POLICY_FIELDS, STATUS_FIELDS, _check_person, _label, _load, _lock_rows, _span, _text


def record_insurance(
    session: Session,
    actor,
    contract_id: int,
    insurer: str,
    policy_no: str,
    start_on: date,
    end_on: date,
    today: date,
) -> InsurancePolicy:
    """Record the 意外伤害保险 policy; it must cover the whole contract period."""
    c = _load(session, actor, contract_id, "record_insurance")
    if c.status not in LIVE_STATES:
        raise DomainError("contract_not_live", f"合同 {c.code} 状态为“{_label(c.status)}”，不能再录入保险")
    insurer = _text(insurer, "承保机构", 100)
    policy_no = _text(policy_no, "保单号", 60)
    check_policy_covers(start_on, end_on, c.start_on, c.end_on)
    p = InsurancePolicy(
        contract=c,
        insurer=insurer,
        policy_no=policy_no,
        start_on=start_on,
        end_on=end_on,
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(p)
    session.flush()
    audit.record(
        session,
        actor,
        "record_insurance",
        "insurance_policy",
        p.id,
        after=audit.snapshot(p, POLICY_FIELDS),
        summary=f"合同 {c.code} 录入意外伤害保险：{insurer} {policy_no}，"
        f"{start_on.isoformat()} 至 {end_on.isoformat()}",
    )
    return p


def covering_policy(contract: Contract) -> InsurancePolicy | None:
    """The latest recorded policy covering the whole contract period, if any."""
    c = contract
    ok = [p for p in c.policies if policy_covers(p.start_on, p.end_on, c.start_on, c.end_on)]
    return max(ok, key=lambda p: p.id) if ok else None


def activate_contract(session: Session, actor, c: Contract, today: date) -> Contract:
    """draft → active, only with a covering policy; a renewal ends the contract it renews.

    The caller loaded `c` through get_scoped (in scope); the role is checked again here."""
    require(actor, "activate_contract", c, what="合同")
    if c.status != "draft":
        raise DomainError(
            "contract_not_draft", f"只有待生效的合同可以生效：合同 {c.code} 状态为“{_label(c.status)}”"
        )
    if c.end_on < today:
        raise DomainError(
            "contract_period_passed", f"合同 {c.code} 的期限 {_span(c)} 已过，不能生效；请作废后重新签订"
        )
    policies = session.scalars(
        select(InsurancePolicy).where(InsurancePolicy.contract_id == c.id).order_by(InsurancePolicy.id.desc())
    ).all()
    if not any(policy_covers(p.start_on, p.end_on, c.start_on, c.end_on) for p in policies):
        if policies:
            check_policy_covers(policies[0].start_on, policies[0].end_on, c.start_on, c.end_on)
        raise DomainError(
            "insurance_missing",
            f"合同生效前须录入覆盖合同期限的意外伤害保险：合同 {c.code} 期限 {_span(c)}，尚未录入保单",
        )
    _lock_rows(session, Person, c.person_id)
    _check_person(c.person, c.start_on)
    previous = c.previous
    others = session.scalars(
        select(Contract).where(
            Contract.person_id == c.person_id, Contract.status == "active", Contract.id != c.id
        )
    ).all()
    for other in others:
        if previous is None or other.id != previous.id:
            raise Conflict(
                "contract_person_active",
                f"{c.person.name}已有履行中的合同 {other.code}（{other.post.title}，{_span(other)}）；"
                "一人不得同时有两份有效合同，请先办理退岗或到期终止",
            )
    if previous is not None:
        if previous.status not in ("active", "ended"):
            raise DomainError(
                "renewed_contract_not_active",
                f"所续签的原合同 {previous.code} 状态为“{_label(previous.status)}”，续签合同不能生效",
            )
        if previous.status == "active":
            before = audit.snapshot(previous, STATUS_FIELDS)
            previous.status = "ended"
            previous.end_reason = f"续签：由合同 {c.code} 接续"
            session.flush()  # the old one leaves 'active' before the new one enters it (unique index)
            audit.record(
                session,
                actor,
                "end_contract",
                "contract",
                previous.id,
                before=before,
                after=audit.snapshot(previous, STATUS_FIELDS),
                summary=f"合同 {previous.code} 因续签（{c.code}）终止，期满日 {previous.end_on.isoformat()}",
            )
    before = audit.snapshot(c, STATUS_FIELDS)
    c.status = "active"
    c.activated_at = now_of(session)
    session.flush()
    audit.record(
        session,
        actor,
        "activate_contract",
        "contract",
        c.id,
        before=before,
        after=audit.snapshot(c, STATUS_FIELDS),
        summary=f"合同 {c.code} 生效：{c.person.name}，岗位“{c.post.title}”，{_span(c)}",
    )
    from ..posts import mark_staffing

    mark_staffing(session, c.post, actor)
    return c
