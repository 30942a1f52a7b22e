"""花名册 import, the writing step: apply_import() writes a planned, error-free import (services/roster.py
plans it) set-based — households, persons, categories and audit entries each as one executemany of plain
tuples (services/bulk.py), the new rows' ids by one range query, updates grouped by the columns they change.
Moved out of roster.py (each file under ~550 lines); importable from there."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..domain.errors import DomainError
from ..models.people import Household, Person, PersonCategory
from . import audit, bulk
from .clock_binding import now_of, stamped_update_values
from .permissions import require
from .roster_cells import FIELD_LABELS, ImportResult

_CHUNK = 500


_UPDATED_COLUMNS = (
    "name",
    "group_name",
    "work_capacity",
    "phone",
    "account_kind",
    "account_no",
    "account_name",
)


def _ids_of(session: Session, column, key, values) -> dict:
    """{key value: id} for the given keys, a few IN-list queries (Core rows, no objects)."""
    found: dict = {}
    for chunk in bulk.chunks(sorted(set(values)), _CHUNK):
        found.update(tuple(row) for row in session.execute(select(key, column).where(key.in_(chunk))))
    return found


def _new_ids(session: Session, column, key, after: int, wanted: list) -> dict:
    """{key: id} of rows just inserted: one range query over ids above `after` (the largest id before the
    insert); a key it does not find (ids not handed out in order) is looked up by an IN-list."""
    found = dict(tuple(row) for row in session.execute(select(key, column).where(column > after)))
    missing = [k for k in wanted if k not in found]
    if missing:
        found.update(_ids_of(session, column, key, missing))
    return found


_PERSON_COLUMNS = (
    "name",
    "id_number",
    "birth_date",
    "sex",
    "village_id",
    "group_name",
    "household_id",
    "work_capacity",
    "phone",
    "account_kind",
    "account_no",
    "account_name",
    "cannot_leave_home",
    "created_at",
    "updated_at",
)


def apply_import(session: Session, actor, result: ImportResult, today: date) -> ImportResult:
    """Write a planned, error-free import (flush only) with its audit entries — set-based: households,
    persons, categories and audit entries each go in as one executemany of plain tuples (the audit chain
    computed in one pass by audit.record_many), updates grouped by the columns they change."""
    require(actor, "import_roster")
    if result.errors:
        raise DomainError("roster_invalid", "花名册有错误，未导入任何数据")
    if not result.changes:
        return result
    with bulk.roomy_cache(session):
        _write(session, actor, result, today)
    result.applied = True
    return result


def _write(session: Session, actor, result: ImportResult, today: date) -> None:
    session.flush()
    households = dict(result.household_ids)
    new = [(code, village.id) for code, village in result.new_households.items() if code not in households]
    if new:
        last = session.scalar(select(func.max(Household.id))) or 0
        bulk.insert_tuples(session, Household.__table__, ("code", "village_id"), new)
        households.update(_new_ids(session, Household.id, Household.code, last, [code for code, _ in new]))

    created = [ch for ch in result.changes if ch.created]
    person_ids: dict[str, int] = {}
    if created:
        now = bulk.bind_processor(session, Person.__table__.c.created_at)(now_of(session))
        day = bulk.bind_processor(session, Person.__table__.c.birth_date)
        no = bulk.bind_processor(session, Person.__table__.c.cannot_leave_home)(False)
        last = session.scalar(select(func.max(Person.id))) or 0
        for start in range(0, len(created), 5_000):  # bounded memory
            batch = created[start : start + 5_000]
            rows = []
            for r in (ch.data for ch in batch):
                rows.append(
                    (r.name, r.id.number, day(r.id.birth_date), r.id.sex, r.village.id, r.group)
                    + (households.get(r.household) if r.household else None, r.capacity or "全劳力")
                    + (r.phone, r.account_kind, r.account_no, r.account_name, no, now, now)
                )
            bulk.insert_tuples(session, Person.__table__, _PERSON_COLUMNS, rows)
        person_ids = _new_ids(session, Person.id, Person.id_number, last, [ch.id_number for ch in created])

    groups: dict[tuple, list[dict]] = {}  # executemany needs one column set per statement
    stamped = stamped_update_values(session, Person.__table__)  # updated_at: the bound now, not the clock
    for ch in result.changes:
        if ch.created:
            continue
        values = {k: ch.after[k] for k in _UPDATED_COLUMNS if k in ch.after}
        if "village" in ch.after:
            values["village_id"] = ch.data.village.id
        if "household" in ch.after:
            values["household_id"] = households[ch.data.household]
        if values:
            values.update(stamped)
            groups.setdefault(tuple(sorted(values)), []).append({"id": ch.person.id, **values})
        person_ids[ch.id_number] = ch.person.id
    for params in groups.values():
        session.execute(update(Person), params)
    start = bulk.bind_processor(session, PersonCategory.__table__.c.start_on)(today)
    categories = [(person_ids[ch.id_number], c, start) for ch in result.changes for c in ch.add_categories]
    bulk.insert_tuples(session, PersonCategory.__table__, ("person_id", "category", "start_on"), categories)
    for ch in result.changes:  # the objects loaded for the plan no longer show the rows: reload on access
        if ch.person is not None:
            session.expire(ch.person)

    source = f"花名册导入《{result.filename}》" if result.filename else "花名册导入"

    def entries():
        for ch in result.changes:
            pid = person_ids[ch.id_number]
            if ch.created:
                after = audit.Canonical(ch.audit_after())  # built and made canonical once, here
                yield (
                    "create_person",
                    "person",
                    pid,
                    None,
                    after,
                    f"{source}第{ch.row}行：新增人员 {ch.name}",
                )
            else:
                fields = "、".join(FIELD_LABELS.get(k, k) for k in ch.after)
                summary = f"{source}第{ch.row}行：更新人员 {ch.name}（{fields}）"
                yield ("update_person", "person", pid, ch.before, ch.after, summary)

    audit.record_many(session, actor, entries())
    counts = {
        "file": result.filename,
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "households_created": len(result.new_households),
    }
    skipped = ""
    if result.skipped:
        counts["skipped_rows"] = [s.number for s in result.skipped]
        skipped = f"；跳过{len(result.skipped)}行非人员行（合计、签字栏等）"
    audit.record(
        session,
        actor,
        "import_roster",
        "roster",
        None,
        after=counts,
        summary=f"{source}：共{result.rows}行，新增{result.created}人，更新{result.updated}人，"
        f"无变更{result.unchanged}人，新建{len(result.new_households)}户{skipped}",
    )
