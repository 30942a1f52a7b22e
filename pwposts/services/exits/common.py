"""Shared helpers: audit fields, the actor's label, text checks, county settings, loading exits, contracts."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.contracts import LIVE_STATES
from ...domain.errors import DomainError, NotFound
from ...models.contracts import Contract
from ...models.exits import ContractExit
from ...models.posts import Post
from .. import audit
from ..permissions import get_scoped
from ..settings import county_of, int_setting

EXIT_FIELDS = (
    "contract_id",
    "person_id",
    "reason",
    "status",
    "source",
    "event_on",
    "effective_on",
    "evidence",
    "note",
    "placement",
    "placement_note",
    "wants_work",
    "confirmed_on",
    "late",
    "report_limit_days",
    "dismissed_on",
    "dismiss_reason",
)
CONTRACT_FIELDS = ("status", "exit_on", "end_reason")
SERVICE_FIELDS = ("person_id", "exit_id", "kind", "given_on", "given_by", "note")


def _is_system(actor) -> bool:
    return isinstance(actor, str)


def _actor_id(actor):
    return None if _is_system(actor) else getattr(actor, "id", None)


def _actor_label(actor) -> str:
    return audit.actor_fields(actor)[1]


def _text(value, label: str, max_len: int, required: bool = False) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise DomainError("field_required", f"请填写{label}")
        return None
    if len(text) > max_len:
        raise DomainError("field_too_long", f"{label}过长（最多{max_len}个字符）")
    return text


def report_limit(session: Session, post: Post, on: date) -> int:
    """The county's exit_report_days in force on `on` (default 5)."""
    return int_setting(session, county_of(session, post.village).id, "exit_report_days", on) or 5


def idle_days(session: Session, county_id: int, on: date) -> int:
    return int_setting(session, county_id, "colour_idle_days", on) or 30


def open_exit_of(session: Session, contract_id: int) -> ContractExit | None:
    """The proposed or confirmed exit of a contract, if any."""
    return session.scalars(
        select(ContractExit).where(
            ContractExit.contract_id == contract_id, ContractExit.status != "dismissed"
        )
    ).first()


def _successor(session: Session, contract: Contract) -> Contract | None:
    return session.scalars(
        select(Contract).where(Contract.previous_contract_id == contract.id, Contract.status.in_(LIVE_STATES))
    ).first()


def _load_contract(session: Session, actor, contract_id: int, action: str) -> Contract:
    if _is_system(actor):
        c = session.get(Contract, contract_id)
        if c is None:
            raise NotFound("合同")
        return c
    return get_scoped(session, actor, Contract, contract_id, action, "合同")


def load_exit(session: Session, actor, exit_id: int, action: str = "view_exit") -> ContractExit:
    return get_scoped(session, actor, ContractExit, exit_id, action, "退岗记录")
