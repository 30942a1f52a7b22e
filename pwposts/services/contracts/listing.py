"""Reading: the contract list and its filter, one contract, its history, renewal and policy, the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from ...domain.contracts import CONTRACT_STATES, EXPIRING_DAYS, LIVE_STATES
from ...domain.errors import Forbidden, NotFound
from ...models.audit import AuditEntry
from ...models.contracts import Contract, InsurancePolicy
from ...models.hiring import Application, Notice
from ...models.people import Person, Region
from ...models.posts import Post
from ...pagination import total_columns
from ..permissions import can, county_wide, id_number_search, require, scope_regions
from .activation import covering_policy
from .common import _load

# ---- reading ----


@dataclass
class ContractFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None
    status: str = ""
    expiring: bool = False
    post_id: int | None = None
    person_id: int | None = None


def _successor_exists():
    nxt = aliased(Contract)
    return exists().where(nxt.previous_contract_id == Contract.id, nxt.status.in_(LIVE_STATES))


def expiring_clause(today: date):
    """Active, ending within EXPIRING_DAYS, and not yet renewed: renew or prepare the exit."""
    return and_(
        Contract.status == "active",
        Contract.end_on >= today,
        Contract.end_on <= today + timedelta(days=EXPIRING_DAYS),
        ~_successor_exists(),
    )


def scope_contracts(actor, query: Select) -> Select:
    """Staff and inspectors: contracts on posts in their region; a holder: their own."""
    if can(actor, "view_contract"):
        return scope_regions(actor, query, Post.village_id)
    if can(actor, "view_own_records"):
        return query.where(Contract.person_id == (actor.person_id or -1))
    raise Forbidden()


def _filtered(actor, f: ContractFilter, today: date, q: Select) -> Select:
    """`q` (over Contract) narrowed to the actor's scope and the filter, in the list's order.

    The scope and the region filters select posts (a semi-join: the database finds the scope's posts
    once, then walks contracts by id or end date); the person is joined only for a text search. Joining
    post and person to every contract of the county sorted all 3,356 of them for a page of 50."""
    if can(actor, "view_contract"):
        posts = scope_regions(actor, select(Post.id), Post.village_id)
        if f.village_id:
            posts = posts.where(Post.village_id == f.village_id)
        elif f.township_id:
            posts = posts.where(Post.township_id == f.township_id)
        if not (f.village_id or f.township_id) and county_wide(actor):
            # A county-wide scope holds nearly every contract: walking contracts in the list's order and
            # checking each one's post (a primary-key probe) stops after a page, where collecting the
            # scope's contracts by post and sorting them all cost SQLite 1.4 ms a page at 3,356 contracts
            # (0.27 ms this way). A township's or village's scope holds a few per cent of them: there the
            # IN-list finds its contracts directly, and walking all contracts would cost 30× more.
            q = q.where(posts.where(Post.id == Contract.post_id).exists())
        else:
            q = q.where(Contract.post_id.in_(posts))
    elif can(actor, "view_own_records"):
        q = q.where(Contract.person_id == (actor.person_id or -1))
        if f.village_id or f.township_id:
            region = Post.village_id == f.village_id if f.village_id else Post.township_id == f.township_id
            q = q.where(Contract.post_id.in_(select(Post.id).where(region)))
    else:
        raise Forbidden()
    text = (f.q or "").strip()
    if text:
        q = q.join(Person, Contract.person_id == Person.id).where(
            or_(
                Person.name.contains(text, autoescape=True),
                id_number_search(actor, Person.id_number, text),
                Contract.code.contains(text.upper(), autoescape=True),
            )
        )
    if f.status in CONTRACT_STATES:
        q = q.where(Contract.status == f.status)
    if f.post_id:
        q = q.where(Contract.post_id == f.post_id)
    if f.person_id:
        q = q.where(Contract.person_id == f.person_id)
    if f.expiring:
        return q.where(expiring_clause(today)).order_by(Contract.end_on, Contract.id)
    return q.order_by(Contract.id.desc())


def contract_query(actor, f: ContractFilter, today: date) -> Select:
    """The contracts the actor may see matching `f`, with person, post (village, township) and policies."""
    return _filtered(actor, f, today, select(Contract)).options(
        joinedload(Contract.person),
        joinedload(Contract.post).joinedload(Post.village),
        joinedload(Contract.post).joinedload(Post.township),
        selectinload(Contract.policies),
    )


def contract_ids(actor, f: ContractFilter, today: date) -> Select:
    """The ids of contract_query's contracts, in its order (a list page's ids, or their count)."""
    return _filtered(actor, f, today, select(Contract.id))


_village = aliased(Region)
_township = aliased(Region)


def contract_list_rows(session: Session, page: Select, f: ContractFilter) -> list:
    """The contract list's rows for `page` (contract_ids(…, f, …) limited to one page), in its order: code,
    kind, dates, allowance, status, person name and ID number, post title, village and township names, and
    whether a policy is recorded — one statement, no ORM objects."""
    return session.execute(contract_list_statement(page, f)).all()


def contract_list_statement(page: Select, f: ContractFilter) -> Select:
    """The statement of contract_list_rows (the list page builds it once per filter: web/row_pages.py).

    The page's own select carries the contract's shown columns (it reads them from the rows its ORDER BY
    walks), so the contract is not joined to itself by id: PostgreSQL hashed all 3,356 contracts to join
    the page's 50 (0.3–0.9 ms). Whether a policy is recorded is a scalar subquery (LIMIT 1) per shown row,
    not EXISTS, which PostgreSQL turned into a hash of every policy of the county (another 0.4 ms)."""
    inner = page.add_columns(
        Contract.code,
        Contract.kind,
        Contract.start_on,
        Contract.end_on,
        Contract.allowance_fen,
        Contract.status,
        Contract.person_id.label("contract_person_id"),
        Contract.post_id.label("contract_post_id"),
    ).subquery()
    insured = (
        select(InsurancePolicy.id).where(InsurancePolicy.contract_id == inner.c.id).limit(1).scalar_subquery()
    )
    q = (
        select(
            inner.c.id,
            inner.c.code,
            inner.c.kind,
            inner.c.start_on,
            inner.c.end_on,
            inner.c.allowance_fen,
            inner.c.status,
            Person.name,
            Person.id_number,
            Post.title,
            _village.name.label("village"),
            _township.name.label("township"),
            insured.is_not(None).label("insured"),
            *total_columns(inner),
        )
        .select_from(inner)
        .join(Person, inner.c.contract_person_id == Person.id)
        .join(Post, inner.c.contract_post_id == Post.id)
        .join(_village, Post.village_id == _village.id)
        .join(_township, Post.township_id == _township.id)
    )
    order = (inner.c.end_on, inner.c.id) if f.expiring else (inner.c.id.desc(),)
    return q.order_by(*order)


def load_contract(session: Session, actor, contract_id: int) -> Contract:
    """One contract the actor may see (a holder: only their own) — 404 otherwise."""
    return _load(session, actor, contract_id, "view_contract")


def contract_history(session: Session, contract: Contract) -> list[AuditEntry]:
    """Audit entries about this contract and its insurance policies, oldest first."""
    policy_ids = [str(p.id) for p in contract.policies]
    cond = and_(AuditEntry.object_type == "contract", AuditEntry.object_id == str(contract.id))
    if policy_ids:
        cond = or_(
            cond, and_(AuditEntry.object_type == "insurance_policy", AuditEntry.object_id.in_(policy_ids))
        )
    return session.scalars(select(AuditEntry).where(cond).order_by(AuditEntry.id)).all()


def renewal_of(session: Session, contract: Contract) -> Contract | None:
    """The live (or ended) signing that renews this contract, if any."""
    return session.scalars(
        select(Contract)
        .where(Contract.previous_contract_id == contract.id, Contract.status != "void")
        .order_by(Contract.id.desc())
    ).first()


def latest_policy(contract: Contract) -> InsurancePolicy | None:
    if not contract.policies:
        return None
    return covering_policy(contract) or max(contract.policies, key=lambda p: p.id)


def hired_application(session: Session, actor, application_id: int) -> Application:
    """The application a contract is to be signed for, if the actor may sign on its post."""
    app = session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .options(joinedload(Application.person), joinedload(Application.notice).joinedload(Notice.post))
    )
    if app is None:
        raise NotFound("报名记录")
    require(actor, "sign_contract", app.notice.post, what="报名记录")
    return app


def dashboard_counts(session: Session, actor, today: date) -> dict[str, int]:
    """Drafts awaiting insurance / activation, and active contracts ending within EXPIRING_DAYS."""
    base = scope_contracts(
        actor, select(func.count(Contract.id)).select_from(Contract).join(Post, Contract.post_id == Post.id)
    )
    has_policy = exists().where(InsurancePolicy.contract_id == Contract.id)
    return {
        "draft_no_insurance": session.scalar(base.where(Contract.status == "draft", ~has_policy)) or 0,
        "draft_ready": session.scalar(base.where(Contract.status == "draft", has_policy)) or 0,
        "expiring": session.scalar(base.where(expiring_clause(today))) or 0,
    }
