"""Lists: the exit list and filter, a contract's exits, an exit's history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from ...domain import exits as rules
from ...models.contracts import Contract
from ...models.exits import ContractExit
from ...models.people import Person
from ...models.posts import Post
from ..permissions import id_number_search, scope_regions


def exit_history(session: Session, ex: ContractExit):
    from ...models.audit import AuditEntry

    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "contract_exit", AuditEntry.object_id == str(ex.id))
        .order_by(AuditEntry.id)
    ).all()


# ---- lists ----


@dataclass
class ExitFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None
    status: str = ""
    reason: str = ""
    late: bool = False
    person_id: int | None = None


def exit_query(actor, f: ExitFilter) -> Select:
    """Exits on posts in the actor's region, newest first."""
    q = scope_regions(
        actor,
        select(ContractExit)
        .join(Contract, ContractExit.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, ContractExit.person_id == Person.id),
        Post.village_id,
    )
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(
            or_(
                Person.name.like(like),
                id_number_search(actor, Person.id_number, text),
                Contract.code.like(f"%{text.upper()}%"),
            )
        )
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    if f.status in rules.EXIT_STATES:
        q = q.where(ContractExit.status == f.status)
    if f.reason in rules.EXIT_REASONS:
        q = q.where(ContractExit.reason == f.reason)
    if f.late:
        q = q.where(ContractExit.late.is_(True))
    if f.person_id:
        q = q.where(ContractExit.person_id == f.person_id)
    return q.options(
        joinedload(ContractExit.person),
        joinedload(ContractExit.contract).joinedload(Contract.post).joinedload(Post.village),
    ).order_by(ContractExit.id.desc())


def confirmed_exit_of(session: Session, contract_id: int) -> ContractExit | None:
    return session.scalars(
        select(ContractExit).where(
            ContractExit.contract_id == contract_id, ContractExit.status == "confirmed"
        )
    ).first()


def exits_of_contract(session: Session, contract_id: int) -> list[ContractExit]:
    return list(
        session.scalars(
            select(ContractExit).where(ContractExit.contract_id == contract_id).order_by(ContractExit.id)
        )
    )
