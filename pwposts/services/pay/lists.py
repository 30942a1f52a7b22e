"""Lists of runs and lines, counts, and the lines of the 汇总表/公示表."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased, joinedload

from ...models.accounts import User
from ...models.contracts import Contract
from ...models.pay import Payment, PayrollRun
from ...models.people import Person, Region
from ...models.posts import Post
from ...pagination import total_columns
from ..permissions import id_number_search, scope_regions

# ---------------------------------------------------------------- lists


RUN_ORDER = (PayrollRun.month.desc(), PayrollRun.township_id, PayrollRun.id.desc())  # newest month first


def _run_filter(actor, q, township_id: int | None, month: str | None, status: str | None):
    q = scope_regions(actor, q, PayrollRun.township_id)
    if township_id:
        q = q.where(PayrollRun.township_id == township_id)
    if month:
        q = q.where(PayrollRun.month == month)
    if status:
        q = q.where(PayrollRun.status == status)
    return q.order_by(*RUN_ORDER)


def run_query(actor, *, township_id: int | None = None, month: str | None = None, status: str | None = None):
    """Runs in the actor's scope, newest month first."""
    return _run_filter(actor, select(PayrollRun), township_id, month, status).options(
        joinedload(PayrollRun.township)
    )


def run_ids(actor, *, township_id: int | None = None, month: str | None = None, status: str | None = None):
    """The ids of run_query's runs, in its order (a list page's ids, or their count)."""
    return _run_filter(actor, select(PayrollRun.id), township_id, month, status)


_preparer = aliased(User)
_approver = aliased(User)


def run_list_rows(session: Session, page) -> list:
    """The runs list's rows for `page` (run_ids(…) limited to one page), in its order, with the township's
    name and the preparer's and approver's names — one statement, no ORM objects."""
    return session.execute(run_list_statement(page)).all()


def run_list_statement(page):
    """The statement of run_list_rows (the list page builds it once per filter: web/row_pages.py)."""
    ids = page.subquery()
    q = (
        select(
            PayrollRun.id,
            Region.name.label("township"),
            PayrollRun.month,
            PayrollRun.kind,
            PayrollRun.status,
            PayrollRun.line_count,
            PayrollRun.total_fen,
            PayrollRun.unpaid_count,
            PayrollRun.prepared_at,
            PayrollRun.approved_by_id,
            PayrollRun.approved_at,
            _preparer.display_name.label("preparer"),
            _approver.display_name.label("approver"),
            *total_columns(ids),
        )
        .select_from(ids)
        .join(PayrollRun, PayrollRun.id == ids.c.id)
        .join(Region, PayrollRun.township_id == Region.id)
        .outerjoin(_preparer, PayrollRun.prepared_by_id == _preparer.id)
        .outerjoin(_approver, PayrollRun.approved_by_id == _approver.id)
    )
    return q.order_by(*RUN_ORDER)


def line_query(
    run_id: int, *, status: str | None = None, village_id: int | None = None, q: str = "", actor=None
):
    """A run's lines with their person, in village and name order (a search by number as `actor` may)."""
    stmt = (
        select(Payment)
        .join(Person, Payment.person_id == Person.id)
        .where(Payment.run_id == run_id)
        .options(joinedload(Payment.person), joinedload(Payment.contract))
    )
    if status:
        stmt = stmt.where(Payment.status == status)
    if village_id:
        stmt = stmt.where(
            Payment.contract_id.in_(
                select(Contract.id)
                .join(Post, Contract.post_id == Post.id)
                .where(Post.village_id == village_id)
            )
        )
    if q:
        stmt = stmt.where(
            or_(Person.name.contains(q, autoescape=True), id_number_search(actor, Person.id_number, q))
        )
    return stmt.order_by(Payment.month, Person.village_id, Person.name, Payment.id)


def count_awaiting_approval(session: Session, actor) -> tuple[int, int]:
    """(runs awaiting approval in scope, of which the actor may approve — not prepared by them)."""
    q = scope_regions(actor, select(PayrollRun.prepared_by_id), PayrollRun.township_id).where(
        PayrollRun.status == "preview"
    )
    preparers = session.scalars(q).all()
    return len(preparers), sum(1 for p in preparers if p != actor.id)


# ---------------------------------------------------------------- documents


@dataclass
class SheetLine:
    seq: int
    name: str
    id_number: str
    village: str
    post_title: str
    month: str
    required_days: int
    attended_days: int
    amount_fen: int
    contract_start: date
    contract_end: date


def sheet_lines(session: Session, run: PayrollRun) -> list[SheetLine]:
    """The run's regular lines for the 汇总表 and the 公示表, in village and name order."""
    rows = session.execute(
        select(
            Person.name,
            Person.id_number,
            Region.name.label("village"),
            Post.title,
            Payment.month,
            Payment.required_days,
            Payment.attended_days,
            Payment.amount_fen,
            Contract.start_on,
            Contract.end_on,
            Contract.exit_on,
        )
        .select_from(Payment)
        .join(Person, Payment.person_id == Person.id)
        .join(Contract, Payment.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .join(Region, Post.village_id == Region.id)
        .where(Payment.run_id == run.id, Payment.kind == "regular")
        .order_by(Payment.month, Region.code, Person.name, Payment.id)
    ).all()
    return [
        SheetLine(
            n,
            r.name,
            r.id_number,
            r.village,
            r.title,
            r.month,
            r.required_days,
            r.attended_days,
            r.amount_fen,
            r.start_on,
            r.exit_on or r.end_on,
        )
        for n, r in enumerate(rows, start=1)
    ]
