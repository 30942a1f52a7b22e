"""The change counter per township-month (pay_input_change) that lets an approval skip the staleness
re-check when nothing a run's lines depend on changed since its preview.

Every flush that adds, changes or deletes a row a line is computed from bumps the counter of the
township-month(s) concerned, whichever service (or test) made the change — one listener on the ORM
session, so no service can forget it:

* attendance (attendance_record) and a monthly grade (assessment): the contract's township, that month;
* a contract, a post, a person (death date, bank account): the township(s) concerned, month '*';
* a fund (the year fund of a post's fund name): every township of its county, month '*'.

prepare_run and void_run bump their own months too (lines of one run decide who is "late" in another).
A preview stores the counters it saw (read before its inputs, so a change racing it is never missed);
approval compares them with the current ones. Changes made by Core UPDATEs bypass the listener: the
services make none to these tables (approval's attendance lock approved → locked changes no line) except a
department's death list, whose writer calls bump_persons itself."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ...models.contracts import Assessment, Contract
from ...models.pay import AttendanceRecord, PayInputChange, PayrollRun
from ...models.people import Person, Region
from ...models.policy import Fund
from ...models.posts import Post

CHANGES = PayInputChange.__table__
ANY_MONTH = "*"


def bump(session: Session, keys: Iterable[tuple[int, str]]) -> None:
    """Add one to the counters of these (township_id, month) pairs, creating them (one upsert)."""
    rows = [{"township_id": t, "month": m, "changes": 1} for t, m in sorted(set(keys)) if t is not None]
    if not rows:
        return
    conn = session.connection()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(CHANGES)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[CHANGES.c.township_id, CHANGES.c.month],
            set_={"changes": CHANGES.c.changes + 1},
        ),
        rows,
    )


def bump_and_stamp(session: Session, township_id: int, months: list[str]) -> str:
    """bump the township's months, then their stamp — on PostgreSQL in one statement (the upsert as a
    data-modifying CTE returning the new counters, beside the township's '*' counter)."""
    if session.get_bind().dialect.name != "postgresql":
        bump(session, [(township_id, m) for m in months])
        return stamp(session, township_id, months)
    upsert = postgresql.insert(CHANGES).values(
        [{"township_id": township_id, "month": m, "changes": 1} for m in sorted(set(months))]
    )
    bumped = (
        upsert.on_conflict_do_update(
            index_elements=[CHANGES.c.township_id, CHANGES.c.month],
            set_={"changes": CHANGES.c.changes + 1},
        )
        .returning(CHANGES.c.month, CHANGES.c.changes)
        .cte("bumped")
    )
    rows = session.connection().execute(
        select(bumped.c.month, bumped.c.changes).union_all(
            select(CHANGES.c.month, CHANGES.c.changes).where(
                CHANGES.c.township_id == township_id, CHANGES.c.month == ANY_MONTH
            )
        )
    )
    return _stamp_text(months, dict(rows.all()))


def _stamp_text(months: list[str], found: dict[str, int]) -> str:
    return ";".join(f"{m}={found.get(m, 0)}" for m in sorted(set(months)) + [ANY_MONTH])


def stamp(session: Session, township_id: int, months: list[str]) -> str:
    """The counters of the township for these months and '*', as one comparable string."""
    keys = sorted(set(months)) + [ANY_MONTH]
    found = dict(
        session.connection()
        .execute(
            select(CHANGES.c.month, CHANGES.c.changes).where(
                CHANGES.c.township_id == township_id, CHANGES.c.month.in_(keys)
            )
        )
        .all()
    )
    return _stamp_text(months, found)


def _contract_id(obj) -> int | None:
    if obj.contract_id is not None:
        return obj.contract_id
    contract = obj.__dict__.get("contract")
    return contract.id if contract is not None else None


def _changed(session: Session, obj) -> bool:
    return session.is_modified(obj, include_collections=False)


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, flush_context, instances) -> None:
    by_contract: dict[int, set[str]] = {}  # contract id → months ('*' for all)
    posts, persons, counties, direct = set(), set(), set(), set()
    for obj, state in (
        *((o, "new") for o in session.new),
        *((o, "dirty") for o in session.dirty),
        *((o, "deleted") for o in session.deleted),
    ):
        if isinstance(obj, (AttendanceRecord, Assessment, Contract, Person, Post, Fund)):
            if state == "dirty" and not _changed(session, obj):
                continue
        else:
            continue
        if isinstance(obj, AttendanceRecord):
            by_contract.setdefault(_contract_id(obj), set()).add(obj.month)
        elif isinstance(obj, Assessment):
            if obj.kind == "monthly":
                by_contract.setdefault(_contract_id(obj), set()).add(obj.period)
        elif isinstance(obj, Contract):
            if obj.id is not None:
                by_contract.setdefault(obj.id, set()).add(ANY_MONTH)
            post = obj.__dict__.get("post")
            posts.add(obj.post_id if obj.post_id is not None else (post.id if post is not None else None))
        elif isinstance(obj, Person):
            if state != "new":
                persons.add(obj.id)
        elif isinstance(obj, Post):
            direct.add((obj.township_id, ANY_MONTH))
            if obj.id is not None:
                posts.add(obj.id)
        elif isinstance(obj, Fund):
            counties.add(obj.county_id)
    by_contract.pop(None, None)
    posts.discard(None)
    if not (by_contract or posts or persons or counties or direct):
        return
    keys = set(direct)
    conn = session.connection()
    if by_contract or persons:
        q = select(Contract.id, Contract.person_id, Post.township_id).join(Post, Contract.post_id == Post.id)
        conds = []
        if by_contract:
            conds.append(Contract.id.in_(list(by_contract)))
        if persons:
            conds.append(Contract.person_id.in_(list(persons)))
        for cid, pid, tid in conn.execute(q.where(or_(*conds))).all():
            for m in by_contract.get(cid, ()):
                keys.add((tid, m))
            if pid in persons:
                keys.add((tid, ANY_MONTH))
    if posts:
        keys.update(
            (tid, ANY_MONTH)
            for tid in conn.execute(select(Post.township_id).where(Post.id.in_(posts))).scalars()
        )
    if counties:
        keys.update(
            (tid, ANY_MONTH)
            for tid in conn.execute(
                select(Region.id).where(Region.level == "township", Region.parent_id.in_(counties))
            ).scalars()
        )
    bump(session, keys)


def unchanged_since_preview(session: Session, run: PayrollRun, months: list[str]) -> bool:
    """True when no input of the run's township and months changed since it was prepared."""
    return run.inputs_stamp is not None and run.inputs_stamp == stamp(session, run.township_id, months)


def bump_persons(session: Session, person_ids: list[int], chunk: int = 500) -> None:
    """bump the '*' counter of every township where these persons hold a contract — for writers that change
    persons with a Core UPDATE (a department's death list), which the flush listener does not see."""
    keys = set()
    conn = session.connection()
    q = select(Post.township_id).join(Contract, Contract.post_id == Post.id).distinct()
    for i in range(0, len(person_ids), chunk):
        part = person_ids[i : i + chunk]
        keys.update((tid, ANY_MONTH) for tid in conn.execute(q.where(Contract.person_id.in_(part))).scalars())
    bump(session, keys)
