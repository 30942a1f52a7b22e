"""四色预警 colours: computed for every exited holder, stored by the sweep, listed, counted, and read for
households (red households first on a vacated post)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from ...domain import exits as rules
from ...domain.contracts import LIVE_STATES
from ...models.contracts import Contract
from ...models.exits import ContractExit, FollowupService, PersonColour
from ...models.people import EmploymentRecord, Person, PersonCategory, Region
from .. import audit
from ..bulk import execute_in, scalars_in
from ..permissions import id_number_search, scope_regions
from .common import idle_days

# ---- colours ----


def _village_counties(session: Session) -> dict[int, int]:
    """village id → county id, from the region tree (one query)."""
    regions = {
        rid: (level, parent)
        for rid, level, parent in session.execute(select(Region.id, Region.level, Region.parent_id))
    }
    out = {}
    for rid, (level, _parent) in regions.items():
        if level != "village":
            continue
        r = rid
        while r is not None and regions[r][0] != "county":
            r = regions[r][1]
        if r is not None:
            out[rid] = r
    return out


def compute_colours(session: Session, today: date) -> dict[int, tuple[str, str, int]]:
    """{person id: (colour, reason, exit id)} for every holder whose latest confirmed exit is in effect
    and who holds no active post — in a handful of queries for the whole database."""
    latest: dict[int, ContractExit] = {}
    for ex in session.scalars(
        select(ContractExit)
        .where(ContractExit.status == "confirmed", ContractExit.effective_on <= today)
        .order_by(ContractExit.effective_on, ContractExit.id)
    ):
        latest[ex.person_id] = ex
    if not latest:
        return {}
    persons = {
        p.id: p for p in scalars_in(session, lambda part: select(Person).where(Person.id.in_(part)), latest)
    }
    households = {p.household_id for p in persons.values() if p.household_id is not None}
    members: dict[int, list[tuple[int, str]]] = {}
    if households:
        for pid, hid, idn in execute_in(
            session,
            lambda part: select(Person.id, Person.household_id, Person.id_number).where(
                Person.household_id.in_(part)
            ),
            households,
        ):
            members.setdefault(hid, []).append((pid, idn))
    everyone = set(persons) | {pid for ms in members.values() for pid, _ in ms}
    id_numbers = {p.id_number for p in persons.values()} | {idn for ms in members.values() for _, idn in ms}
    on_post = set(
        scalars_in(
            session,
            lambda part: select(Contract.person_id).where(
                Contract.person_id.in_(part),
                Contract.status == "active",
                Contract.start_on <= today,
                func.coalesce(Contract.exit_on, Contract.end_on) >= today,
            ),
            everyone,
        )
    )
    jobs: dict[str, str] = {}
    for idn, employer in execute_in(
        session,
        lambda part: (
            select(EmploymentRecord.id_number, EmploymentRecord.employer)
            .where(
                EmploymentRecord.id_number.in_(part),
                EmploymentRecord.start_on <= today,
                or_(EmploymentRecord.end_on.is_(None), EmploymentRecord.end_on >= today),
            )
            .order_by(EmploymentRecord.id)
        ),  # the first record of each number wins, as before
        id_numbers,
    ):
        jobs.setdefault(idn, employer)
    monitored_people = set(
        scalars_in(
            session,
            lambda part: select(PersonCategory.person_id).where(
                PersonCategory.person_id.in_(part),
                PersonCategory.category == "防止返贫监测对象",
                PersonCategory.start_on <= today,
                or_(PersonCategory.end_on.is_(None), PersonCategory.end_on >= today),
            ),
            everyone,
        )
    )
    given: dict[int, list[tuple[str, date]]] = {}
    for pid, kind, on in execute_in(
        session,
        lambda part: select(FollowupService.person_id, FollowupService.kind, FollowupService.given_on).where(
            FollowupService.person_id.in_(part)
        ),
        latest,
    ):
        given.setdefault(pid, []).append((kind, on))
    counties = _village_counties(session)
    idle_by_county: dict[int | None, int] = {}
    out = {}
    for pid, ex in latest.items():
        p = persons[pid]
        county_id = counties.get(p.village_id)
        if county_id not in idle_by_county:
            idle_by_county[county_id] = idle_days(session, county_id, today) if county_id else 30
        hh = [m for m in members.get(p.household_id, []) if m[0] != pid] if p.household_id else []
        placed_job = ex.placement == "就业"
        facts = rules.ColourFacts(
            reason=ex.reason,
            effective_on=ex.effective_on,
            dead=p.death_date is not None and p.death_date <= today,
            has_job=placed_job or p.id_number in jobs,
            job_text=jobs.get(p.id_number) or (ex.placement_note or "" if placed_job else ""),
            has_post=pid in on_post or ex.placement == "转岗",
            household_has_worker=any(m in on_post or idn in jobs for m, idn in hh),
            household_monitored=pid in monitored_people or any(m in monitored_people for m, _ in hh),
            wants_work=ex.wants_work,
            schedule=rules.schedule(ex.effective_on, today, given.get(pid, [])) if ex.wants_work else None,
        )
        colour, reason = rules.colour_of(facts, today, idle_by_county[county_id])
        out[pid] = (colour, reason, ex.id)
    return out


def refresh_colours(session: Session, actor, today: date) -> dict[str, int]:
    """Store today's colours; only a changed colour or reason is written and audited (idempotent)."""
    fresh = compute_colours(session, today)
    stored = {c.person_id: c for c in session.scalars(select(PersonColour))}
    counts = {"changed": 0, "to_red": 0, "to_orange": 0}
    names = (
        {
            pid: name
            for pid, name in execute_in(
                session, lambda part: select(Person.id, Person.name).where(Person.id.in_(part)), fresh
            )
        }
        if fresh
        else {}
    )
    for pid, (colour, reason, exit_id) in sorted(fresh.items()):
        row = stored.get(pid)
        if row is not None and row.colour == colour and row.reason == reason and row.exit_id == exit_id:
            continue
        before = {"colour": row.colour, "reason": row.reason, "since": row.since} if row is not None else None
        if row is None:
            row = PersonColour(person_id=pid, colour=colour, reason=reason, since=today, exit_id=exit_id)
            session.add(row)
        else:
            if row.colour != colour:
                row.since = today
            row.colour, row.reason, row.exit_id = colour, reason, exit_id
        counts["changed"] += 1
        if before is None or before["colour"] != colour:
            counts["to_" + colour] = counts.get("to_" + colour, 0) + 1
        audit.record(
            session,
            actor,
            "set_colour",
            "person",
            pid,
            before=before,
            after={"colour": colour, "reason": reason, "since": row.since},
            summary=f"四色预警：{names.get(pid, pid)} "
            f"{rules.COLOUR_LABELS[before['colour']] + ' → ' if before else ''}"
            f"{rules.COLOUR_LABELS[colour]}（{reason}）",
        )
    session.flush()  # the colours and their entries, in the order added, in one flush (not one per person)
    return counts


@dataclass
class ColourFilter:
    colour: str = ""
    township_id: int | None = None
    village_id: int | None = None
    q: str = ""


def colour_query(actor, f: ColourFilter) -> Select:
    """Exited holders with their colour, in the actor's region (by the person's village), worst first."""
    q = scope_regions(
        actor, select(PersonColour).join(Person, PersonColour.person_id == Person.id), Person.village_id
    )
    if f.colour in rules.COLOURS:
        q = q.where(PersonColour.colour == f.colour)
    if f.village_id:
        q = q.where(Person.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Person.village_id.in_(select(Region.id).where(Region.parent_id == f.township_id)))
    text = (f.q or "").strip()
    if text:
        q = q.where(
            or_(Person.name.contains(text, autoescape=True), id_number_search(actor, Person.id_number, text))
        )
    from sqlalchemy import case

    rank = case(*[(PersonColour.colour == c, i) for i, c in enumerate(rules.COLOURS)], else_=9)
    return q.options(
        joinedload(PersonColour.person).joinedload(Person.village), joinedload(PersonColour.exit)
    ).order_by(rank, PersonColour.since, Person.id)


def colour_counts(session: Session, actor) -> list[dict]:
    """Per township: how many exited holders of each colour (for inspectors and the dashboard)."""
    town = aliased(Region)
    q = (
        scope_regions(
            actor,
            select(town.id, town.name, PersonColour.colour, func.count(PersonColour.person_id))
            .select_from(PersonColour)
            .join(Person, PersonColour.person_id == Person.id)
            .join(Region, Region.id == Person.village_id)
            .join(town, town.id == Region.parent_id),
            Person.village_id,
        )
        .group_by(town.id, town.name, PersonColour.colour)
        .order_by(town.id)
    )
    rows: dict[int, dict] = {}
    for tid, name, colour, n in session.execute(q):
        row = rows.setdefault(tid, {"township_id": tid, "township": name, **{c: 0 for c in rules.COLOURS}})
        row[colour] = n
    return list(rows.values())


def household_colours(session: Session, household_ids) -> dict[int, str]:
    """{household id: the worst colour of its members} for the given households."""
    out: dict[int, list[str]] = {}
    if not household_ids:
        return {}
    for hid, colour in execute_in(
        session,
        lambda part: (
            select(Person.household_id, PersonColour.colour)
            .join(Person, Person.id == PersonColour.person_id)
            .where(Person.household_id.in_(part))
        ),
        household_ids,
    ):
        out.setdefault(hid, []).append(colour)
    return {hid: rules.worst(cs) for hid, cs in out.items()}


def red_household_person_ids(session: Session, person_ids) -> set[int]:
    """Of these persons, those whose household is red (a red member): placed first on a vacated post."""
    ids = list(person_ids)
    if not ids:
        return set()
    hh = {
        pid: hid
        for pid, hid in execute_in(
            session,
            lambda part: select(Person.id, Person.household_id).where(
                Person.id.in_(part), Person.household_id.is_not(None)
            ),
            ids,
        )
    }
    colours = household_colours(session, set(hh.values()))
    return {pid for pid, hid in hh.items() if colours.get(hid) == "red"}


def red_candidates(session: Session, actor, village_id: int, today: date, limit: int = 10) -> list[Person]:
    """People in red households of a village, not dead and not on a post: first in line for a vacated post."""
    red = (
        select(Person.household_id)
        .join(PersonColour, PersonColour.person_id == Person.id)
        .where(PersonColour.colour == "red")
    )
    busy = exists().where(Contract.person_id == Person.id, Contract.status.in_(LIVE_STATES))
    q = scope_regions(actor, select(Person), Person.village_id).where(
        Person.village_id == village_id, Person.household_id.in_(red), Person.death_date.is_(None), ~busy
    )
    return list(session.scalars(q.order_by(Person.id).limit(limit)))


def colour_of_person(session: Session, person_id: int) -> PersonColour | None:
    return session.get(PersonColour, person_id)
