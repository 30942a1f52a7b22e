"""已聘用待签协议: hired applications with no contract yet, and the contract signed for an application."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, exists, false, func, literal_column, or_, select
from sqlalchemy.orm import Session, joinedload

from ...models.contracts import Contract
from ...models.hiring import Application, Notice
from ...models.people import Person, Region
from ...models.posts import Post
from ...pagination import cached_select
from ..permissions import id_number_search, scope_key, scope_regions

# ---- 已聘用待签协议: hired applications with no contract yet ----


@dataclass
class PendingFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None


def awaiting_signing(actor, f: PendingFilter | None = None) -> Select:
    """Hired applications in the actor's region with no contract signed for them (a voided draft does not
    count): the people who were hired and wait for their 劳务协议, the oldest hire first."""
    f = f or PendingFilter()
    signed = exists().where(Contract.application_id == Application.id, Contract.status != "void")
    q = scope_regions(
        actor,
        select(Application)
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id)
        .join(Person, Person.id == Application.person_id),
        Post.village_id,
    ).where(Application.status == "hired", ~signed)
    text = (f.q or "").strip()
    if text:
        like = f"%{text}%"
        q = q.where(
            or_(
                Person.name.like(like),
                id_number_search(actor, Person.id_number, text),
                Post.title.like(like),
                Post.code.like(like),
            )
        )
    if f.village_id:
        q = q.where(Post.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Post.township_id == f.township_id)
    return q.options(
        joinedload(Application.person),
        joinedload(Application.notice)
        .joinedload(Notice.post)
        .joinedload(Post.village)
        .joinedload(Region.parent),
    ).order_by(func.coalesce(Application.hired_on, Application.checked_on), Application.id)


# Written as SQL literals, not bound parameters: SQLite then answers "is there a signed contract for this
# application?" from the partial index ix_contract_signed_application alone (0.5 ms instead of 0.9 ms for
# the county's 1,800 hired applications), and PostgreSQL's generic plans can use it too.
_HIRED = literal_column("'hired'")
_VOID = literal_column("'void'")


def awaiting_signing_count(session: Session, actor) -> int:
    """How many awaiting_signing(actor) lists (the contracts page's banner)."""
    # built once per scope (cached_select): it depends on nothing else of the actor
    q = cached_select(("awaiting_signing_count", scope_key(actor)), lambda: _awaiting_count(actor))
    return session.scalar(q) or 0


def _awaiting_count(actor) -> Select:
    # Starts from the partial index of hired applications not marked signed (ix_application_awaiting_contract:
    # a handful, not the county's ~1,800 hired); the rule — no non-void contract — is checked for those.
    signed = exists().where(Contract.application_id == Application.id, Contract.status != _VOID)
    q = scope_regions(
        actor,
        select(func.count(Application.id))
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id),
        Post.village_id,
    )
    return q.where(Application.status == _HIRED, Application.contract_signed == false(), ~signed)


def contract_for_application(session: Session, application_id: int) -> Contract | None:
    """The (non-void) contract signed for a hired application, if any."""
    return session.scalars(
        select(Contract)
        .where(Contract.application_id == application_id, Contract.status != "void")
        .order_by(Contract.id.desc())
    ).first()


def contracts_for_applications(session: Session, application_ids) -> dict[int, Contract]:
    """{application id: its latest non-void contract} for these applications."""
    ids = list(application_ids)
    if not ids:
        return {}
    out: dict[int, Contract] = {}
    for c in session.scalars(
        select(Contract)
        .where(Contract.application_id.in_(ids), Contract.status != "void")
        .order_by(Contract.id)
    ):
        out[c.application_id] = c
    return out
