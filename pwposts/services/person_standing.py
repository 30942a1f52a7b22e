"""What the records say about a person's standing on a date (issue 13 §6): a recorded death, the last
eligible category ended, a full-time job in the imported 参保 records, a post in another department's
roster — each with the record behind it. The person page shows them; HR's dashboard counts the active
holders affected (the exit worklist acts on them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..domain.hiring import OLDER_WORKER
from ..domain.people import is_older_worker
from ..models.contracts import Contract
from ..models.people import EmploymentRecord, Person
from ..models.posts import Post
from ..models.registry import ExternalPostRecord
from .department_records import record_source
from .permissions import scope_regions
from .settings import county_of, setting


@dataclass(frozen=True)
class Standing:
    code: str  # dead / category_ended / employed_elsewhere / external_post
    since: date
    message: str
    source: str  # the record behind it


def eligible_categories(session: Session, person: Person, on: date) -> tuple[str, ...]:
    county = county_of(session, person.village)
    return tuple(c for c in setting(session, county.id, "eligible_categories", on).split("、") if c)


def standing_of(
    session: Session,
    person: Person,
    on: date,
    *,
    eligible: tuple[str, ...] | None = None,
    employment: list | None = None,
    external: list | None = None,
) -> list[Standing]:
    """Every recorded fact that makes `person` ineligible for a post on `on`, with its source."""
    out: list[Standing] = []
    if person.death_date is not None and person.death_date <= on:
        src = (
            person.death_batch.label
            if person.death_batch is not None
            else (person.death_source or "人工登记")
        )
        out.append(Standing("dead", person.death_date, f"已于{person.death_date.isoformat()}死亡", src))
    eligible = eligible if eligible is not None else eligible_categories(session, person, on)
    spans = [c for c in person.categories if c.category in eligible]
    held = [c for c in spans if c.start_on <= on and (c.end_on is None or c.end_on >= on)]
    older = OLDER_WORKER in eligible and is_older_worker(person.sex, person.birth_date, on)
    if not held and not older:
        ended = sorted((c for c in spans if c.end_on is not None and c.end_on < on), key=lambda c: c.end_on)
        if ended:
            last = ended[-1]
            src = last.batch.label if last.batch is not None else "人工登记"
            out.append(
                Standing(
                    "category_ended",
                    last.end_on,
                    f"安置对象类别已全部结束（最后为“{last.category}”，于{last.end_on.isoformat()}结束），"
                    f"自次日起不再是安置对象",
                    src,
                )
            )
    if employment is None:
        employment = session.scalars(
            select(EmploymentRecord)
            .options(joinedload(EmploymentRecord.batch))
            .where(EmploymentRecord.id_number == person.id_number)
        ).all()
    for e in employment:
        if e.full_time and e.start_on <= on and (e.end_on is None or e.end_on >= on):
            out.append(
                Standing(
                    "employed_elsewhere",
                    e.start_on,
                    f"自{e.start_on.isoformat()}起在{e.employer}全日制就业（参保记录）",
                    record_source(e),
                )
            )
    if external is None:
        external = session.scalars(
            select(ExternalPostRecord)
            .options(joinedload(ExternalPostRecord.batch))
            .where(ExternalPostRecord.id_number == person.id_number)
        ).all()
    for x in external:
        if x.active_on(on):
            out.append(
                Standing(
                    "external_post",
                    x.start_on,
                    f"自{x.start_on.isoformat()}起在{x.department}“{x.post_name}”岗位在册（一人一岗）",
                    x.batch.label,
                )
            )
    return out


@dataclass(frozen=True)
class AffectedHolder:
    contract: Contract
    person: Person
    standings: list[Standing]


def affected_holders(session: Session, actor, today: date) -> list[AffectedHolder]:
    """Active holders in the actor's scope whom a record makes ineligible today (death, categories ended,
    a full-time job elsewhere, another department's post)."""
    contracts = session.scalars(
        scope_regions(actor, select(Contract).join(Post, Post.id == Contract.post_id), Post.village_id)
        .where(Contract.status == "active")
        .order_by(Contract.id)
    ).all()
    if not contracts:
        return []
    persons = {
        p.id: p
        for p in session.scalars(
            select(Person)
            .where(Person.id.in_({c.person_id for c in contracts}))
            .options(
                selectinload(Person.categories), joinedload(Person.village), joinedload(Person.death_batch)
            )
        )
    }
    numbers = [p.id_number for p in persons.values()]
    employment: dict[str, list] = {}
    external: dict[str, list] = {}
    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        for e in session.scalars(
            select(EmploymentRecord)
            .options(joinedload(EmploymentRecord.batch))
            .where(EmploymentRecord.id_number.in_(chunk))
        ):
            employment.setdefault(e.id_number, []).append(e)
        for x in session.scalars(
            select(ExternalPostRecord)
            .options(joinedload(ExternalPostRecord.batch))
            .where(ExternalPostRecord.id_number.in_(chunk))
        ):
            external.setdefault(x.id_number, []).append(x)
    eligible_by_county: dict[int, tuple[str, ...]] = {}
    out = []
    for c in contracts:
        p = persons[c.person_id]
        county = county_of(session, p.village)
        if county.id not in eligible_by_county:
            eligible_by_county[county.id] = eligible_categories(session, p, today)
        found = standing_of(
            session,
            p,
            today,
            eligible=eligible_by_county[county.id],
            employment=employment.get(p.id_number, []),
            external=external.get(p.id_number, []),
        )
        if found:
            out.append(AffectedHolder(c, p, found))
    return out


@dataclass
class PersonRecord:
    """Everything the system holds on a person, for staff with the need (the person page's 全部记录)."""

    person: Person
    standings: list[Standing]
    contracts: list
    applications: list
    attendance: list
    payments: list
    employment: list
    external_posts: list
    cadre_terms: list
    category_rows: list
    audit_entries: list


def person_record(session: Session, actor, person_id: int, today: date) -> PersonRecord:
    from ..models.audit import AuditEntry
    from ..models.hiring import Application, Notice
    from ..models.pay import AttendanceRecord, Payment
    from ..models.people import Cadre
    from .permissions import get_scoped

    p = get_scoped(session, actor, Person, person_id, "view_full_id_number", "人员")
    contracts = session.scalars(
        select(Contract)
        .where(Contract.person_id == p.id)
        .options(joinedload(Contract.post))
        .order_by(Contract.start_on.desc())
    ).all()
    applications = session.scalars(
        select(Application)
        .where(Application.person_id == p.id)
        .options(joinedload(Application.notice).joinedload(Notice.post))
        .order_by(Application.id.desc())
    ).all()
    attendance = session.scalars(
        select(AttendanceRecord)
        .where(AttendanceRecord.person_id == p.id)
        .order_by(AttendanceRecord.month.desc())
        .limit(60)
    ).all()
    payments = session.scalars(
        select(Payment)
        .where(Payment.person_id == p.id)
        .order_by(Payment.month.desc(), Payment.id.desc())
        .limit(60)
    ).all()
    employment = session.scalars(
        select(EmploymentRecord)
        .options(joinedload(EmploymentRecord.batch))
        .where(EmploymentRecord.id_number == p.id_number)
        .order_by(EmploymentRecord.start_on)
    ).all()
    external = session.scalars(
        select(ExternalPostRecord)
        .options(joinedload(ExternalPostRecord.batch))
        .where(ExternalPostRecord.id_number == p.id_number)
        .order_by(ExternalPostRecord.start_on)
    ).all()
    cadres = session.scalars(select(Cadre).where(Cadre.person_id == p.id).order_by(Cadre.term_start)).all()
    from ..models.people import Relation

    relation_ids = session.scalars(
        select(Relation.id).where(or_(Relation.person_id == p.id, Relation.relative_id == p.id))
    ).all()
    ids = (
        {("person", str(p.id))}
        | {("contract", str(c.id)) for c in contracts}
        | {("application", str(a.id)) for a in applications}
        | {("person_category", str(c.id)) for c in p.categories}
        | {("cadre", str(c.id)) for c in cadres}
        | {("relation", str(i)) for i in relation_ids}
    )
    entries = session.scalars(
        select(AuditEntry)
        .where(or_(*[(AuditEntry.object_type == t) & (AuditEntry.object_id == i) for t, i in ids]))
        .order_by(AuditEntry.id.desc())
        .limit(200)
    ).all()
    return PersonRecord(
        p,
        standing_of(session, p, today, employment=employment, external=external),
        contracts,
        applications,
        attendance,
        payments,
        employment,
        external,
        cadres,
        list(p.categories),
        entries,
    )
