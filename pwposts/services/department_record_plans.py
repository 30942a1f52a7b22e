"""What a checked department file changes, and writing it set-based (issue 11: imports at the speed of the
file). Used by department_records.import_records.

A plan is made before anything is written: rows to add and rows to change, each change a summary line for
the import's audit entry, in the file's order. Writing it is one INSERT stream per table (bulk.insert_tuples:
executemany, COPY on PostgreSQL) and one executemany UPDATE — a file of 100,000 rows costs a handful of
statements, never one per row. Existing rows are looked up in chunks of bulk.CHUNK values, well inside every
driver's parameter limit (bulk.chunks: psycopg refuses more than 65,535 per statement).

A death changes the person, which the payroll's change counters (pay/changes) must see: the ORM listener
does not see Core UPDATEs, so the writer bumps the counters of the persons' townships itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from ..models.people import Cadre, EmploymentRecord, Person, PersonCategory
from ..models.registry import ExternalPostRecord, ImportBatch
from . import bulk
from .clock_binding import now_of, stamped_update_values
from .pay import changes as pay_changes


@dataclass(frozen=True)
class Who:
    """The registry's person a row names (matched by ID number): only what planning needs."""

    id: int
    id_number: str
    name: str
    village_id: int
    death_date: date | None


@dataclass
class Parsed:
    line: int
    person: Who
    values: dict


@dataclass
class Plan:
    """Rows to add (column → value, without the batch's columns) and to change (id and new values, the
    batch's columns added when written), with one summary line per row that adds or changes, in file order."""

    table: Table
    adds: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    added: int = 0
    changed: int = 0

    def __len__(self) -> int:
        return self.added + self.changed

    def add(self, row: dict, summary: str) -> None:
        self.adds.append(row)
        self.summaries.append(summary)
        self.added += 1

    def change(self, row: dict, summary: str, added: bool = False) -> None:
        self.updates.append(row)
        self.summaries.append(summary)
        if added:
            self.added += 1
        else:
            self.changed += 1


def _existing(session: Session, table: Table, key: str, values: Iterable, columns: Sequence[str]) -> list:
    cols = [table.c[c] for c in columns]
    return list(bulk.execute_in(session, lambda part: select(*cols).where(table.c[key].in_(part)), values))


# ---------------------------------------------------------------- planning, one function a kind


def plan_deaths(session: Session, rows: list[Parsed], department: str) -> Plan:
    plan = Plan(Person.__table__)
    for r in rows:
        p, d = r.person, r.values["death_date"]
        if p.death_date == d:
            continue
        plan.change({"id": p.id, "death_date": d}, f"{p.id}:{d.isoformat()}", added=p.death_date is None)
    return plan


def _plan_spans(model, key: str, extra: tuple[str, ...] = ()):
    """The planner of rows identified by (person, key field, start): new → add; an end date that differs →
    change it. `extra`: further values of the row (already parsed) the new row takes."""
    table = model.__table__
    start, end = ("term_start", "term_end") if model is Cadre else ("start_on", "end_on")

    def plan_spans(session: Session, rows: list[Parsed], department: str) -> Plan:
        existing = {
            (person_id, k, s): (oid, e)
            for oid, person_id, k, s, e in _existing(
                session, table, "person_id", (r.person.id for r in rows), ("id", "person_id", key, start, end)
            )
        }
        plan = Plan(table)
        for r in rows:
            v = r.values
            found = existing.get((r.person.id, v[key], v["start_on"]))
            if found is None:
                row = {"person_id": r.person.id, key: v[key], start: v["start_on"], end: v["end_on"]}
                plan.add({**row, **{k: v[k] for k in extra}}, f"{r.person.id}:新增")
            elif found[1] != v["end_on"]:
                plan.change({"id": found[0], end: v["end_on"]}, f"{r.person.id}:结束于{v['end_on']}")
        return plan

    return plan_spans


plan_cadres = _plan_spans(Cadre, "office", extra=("village_id",))
plan_categories = _plan_spans(PersonCategory, "category")


def _plan_by_number(model, keys: tuple[str, ...], compared: tuple[str, ...], label):
    """The planner of rows identified by (ID number, key fields): new → add; `compared` fields that differ →
    change them. label(values) names the row in the import's summary."""
    table = model.__table__
    columns = ("id", "person_id", "id_number", *keys, *compared)

    def plan_by_number(session: Session, rows: list[Parsed], department: str) -> Plan:
        existing = {
            tuple(found[2 : 3 + len(keys)]): (found[0], found[1], tuple(found[3 + len(keys) :]))
            for found in _existing(session, table, "id_number", (r.person.id_number for r in rows), columns)
        }
        plan = Plan(table)
        for r in rows:
            v = r.values
            found = existing.get((r.person.id_number, *(v[k] for k in keys)))
            if found is None:
                row = {"id_number": r.person.id_number, "person_id": r.person.id}
                plan.add({**row, **{k: v[k] for k in keys + compared}}, f"{r.person.id}:{label(v)}")
            elif found[2] != tuple(v[c] for c in compared):
                plan.change({"id": found[0], **{c: v[c] for c in compared}}, f"{found[1]}:{label(v)}")
        return plan

    return plan_by_number


plan_employment = _plan_by_number(
    EmploymentRecord, ("employer", "start_on"), ("end_on", "full_time"), lambda v: v["employer"]
)
_plan_external = _plan_by_number(
    ExternalPostRecord,
    ("department", "post_name", "start_on"),
    ("end_on",),
    lambda v: f"{v['department']}{v['post_name']}",
)


def plan_external(session: Session, rows: list[Parsed], department: str) -> Plan:
    for r in rows:
        r.values["department"] = r.values.get("department") or department
    return _plan_external(session, rows, department)


PLANNERS = {
    "deaths": plan_deaths,
    "employment": plan_employment,
    "external_posts": plan_external,
    "cadres": plan_cadres,
    "categories": plan_categories,
}


# ---------------------------------------------------------------- writing


def _batch_columns(session: Session, kind: str, batch: ImportBatch, adding: bool) -> dict[str, Any]:
    """The columns every added or changed row of this kind gets from the import itself."""
    if kind == "deaths":
        return {"death_batch_id": batch.id, "death_source": batch.label[:200]}
    if kind == "employment":
        extra = {"batch_id": batch.id, "source": batch.label}
        return {**extra, "imported_at": now_of(session)} if adding else extra
    return {"batch_id": batch.id}


def _insert(session: Session, table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    procs = [bulk.bind_processor(session, table.c[c]) for c in columns]
    bulk.insert_tuples(
        session,
        table,
        columns,
        [tuple(p(row[c]) for p, c in zip(procs, columns, strict=True)) for row in rows],
    )


def _update(session: Session, table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    stamped = {k: v for k, v in stamped_update_values(session, table).items() if k not in rows[0]}
    if stamped:  # person.updated_at: the bound now, not the column's onupdate (the real clock)
        rows = [{**row, **stamped} for row in rows]
    columns = [c for c in rows[0] if c != "id"]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({c: bindparam(c) for c in columns})
        .execution_options(synchronize_session=False)
    )
    session.connection().execute(stmt, [{"_id": row["id"], **{c: row[c] for c in columns}} for row in rows])


def write_plan(session: Session, kind: str, plan: Plan, batch: ImportBatch) -> None:
    """Add and change the plan's rows (the batch flushed: its id and label are known)."""
    session.flush()
    adding = _batch_columns(session, kind, batch, adding=True)
    changing = _batch_columns(session, kind, batch, adding=False)
    _insert(session, plan.table, [{**row, **adding} for row in plan.adds])
    _update(session, plan.table, [{**row, **changing} for row in plan.updates])
    changed = {row["id"] for row in plan.updates}
    model = {
        t.__table__.name: t for t in (Person, EmploymentRecord, ExternalPostRecord, Cadre, PersonCategory)
    }[plan.table.name]
    for obj in list(session.identity_map.values()):  # objects loaded earlier no longer show the rows
        if isinstance(obj, model) and obj.id in changed:
            session.expire(obj)
    if kind == "deaths":
        pay_changes.bump_persons(session, sorted(changed))
