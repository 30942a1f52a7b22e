"""Shared by the contract use cases: the audited fields, the posts that may hold contracts, the small
formatting and checking helpers, and the person check every signing and activation passes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.contracts import CONTRACT_KINDS, CONTRACT_STATE_LABELS
from ...domain.errors import DomainError
from ...domain.posts import LIVE_STATES as POST_LIVE_STATES
from ...models.contracts import Contract
from ...models.people import Person
from ..permissions import get_scoped

# Posts that may hold contracts: approved and not closed.
SIGNABLE_POST_STATES = POST_LIVE_STATES
FIELDS = (
    "code",
    "person_id",
    "post_id",
    "application_id",
    "previous_contract_id",
    "kind",
    "start_on",
    "end_on",
    "allowance_fen",
    "required_days",
    "full_time",
    "perf_excellent_fen",
    "perf_pass_fen",
    "duties",
    "work_place",
    "hours",
    "status",
    "signed_on",
    "exit_on",
    "end_reason",
)
STATUS_FIELDS = ("status", "activated_at", "end_reason")
POLICY_FIELDS = ("contract_id", "insurer", "policy_no", "start_on", "end_on")


def _span(c) -> str:
    return f"{c.start_on.isoformat()} 至 {c.end_on.isoformat()}"


def _label(status: str) -> str:
    return CONTRACT_STATE_LABELS.get(status, status)


def _text(value, label: str, max_len: int) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError("field_required", f"请填写{label}")
    if len(text) > max_len:
        raise DomainError("field_too_long", f"{label}过长（最多{max_len}个字符）")
    return text


def _check_kind(kind: str) -> None:
    if kind not in CONTRACT_KINDS:
        raise DomainError("contract_kind_invalid", f"合同类型“{kind}”无效，可选：{'、'.join(CONTRACT_KINDS)}")


def _lock_rows(session: Session, model, ident: int) -> None:
    """Serialise concurrent signings for one post / one person (row lock on PostgreSQL; SQLite locks all)."""
    session.execute(select(model.id).where(model.id == ident).with_for_update())


def _load(session: Session, actor, contract_id: int, action: str) -> Contract:
    return get_scoped(session, actor, Contract, contract_id, action, "合同")


# ---- the person check every new signing and every activation passes ----


def _check_person(person: Person, start_on: date) -> None:
    if person.death_date is not None:
        raise DomainError(
            "person_dead", f"{person.name}已登记死亡（{person.death_date.isoformat()}），不能签订合同"
        )
