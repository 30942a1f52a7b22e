"""Registry use cases: searching persons, loading a person with household and relations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..domain.people import inverse_kind  # noqa: F401  (re-exported: the web and older callers import it here)
from ..models.people import Cadre, Household, Person, PersonCategory, Region, Relation
from ..pagination import in_ids, total_columns
from .permissions import get_scoped, id_number_search, scope_persons


@dataclass
class PersonFilter:
    q: str = ""
    township_id: int | None = None
    village_id: int | None = None
    category: str = ""
    work_capacity: str = ""
    eligible_only: bool = False
    cadres_only: bool = False
    include_dead: bool = True


def person_query(actor, f: PersonFilter, today: date) -> Select:
    """Persons in the actor's scope matching the filter, ordered by village then name, with their
    village (and township), household and categories loaded."""
    return person_filter_query(actor, f, today).options(
        joinedload(Person.village).joinedload(Region.parent),
        joinedload(Person.household),
        selectinload(Person.categories),
    )


def person_filter_query(actor, f: PersonFilter, today: date) -> Select:
    """Persons in the actor's scope matching the filter, ordered by village then name (nothing loaded
    beside them: the list page pages through its ids and loads its rows with `person_list_rows`)."""
    q = scope_persons(actor, select(Person))
    text = (f.q or "").strip()
    if text:
        q = q.where(
            or_(
                Person.name.contains(text, autoescape=True),
                id_number_search(actor, Person.id_number, text),
                Person.phone.contains(text, autoescape=True),
                Person.household_id.in_(
                    select(Household.id).where(Household.code.contains(text, autoescape=True))
                ),
            )
        )
    if f.village_id:
        q = q.where(Person.village_id == f.village_id)
    elif f.township_id:
        q = q.where(Person.village_id.in_(select(Region.id).where(Region.parent_id == f.township_id)))
    if f.work_capacity:
        q = q.where(Person.work_capacity == f.work_capacity)
    if f.category or f.eligible_only:
        sub = select(PersonCategory.person_id).where(
            PersonCategory.start_on <= today,
            or_(PersonCategory.end_on.is_(None), PersonCategory.end_on >= today),
        )
        if f.category:
            sub = sub.where(PersonCategory.category == f.category)
        q = q.where(Person.id.in_(sub))
    if f.cadres_only:
        q = q.where(
            Person.id.in_(
                select(Cadre.person_id).where(
                    Cadre.term_start <= today, or_(Cadre.term_end.is_(None), Cadre.term_end >= today)
                )
            )
        )
    if not f.include_dead:
        q = q.where(Person.death_date.is_(None))
    return q.order_by(Person.village_id, Person.name, Person.id)


_person, _household, _category = Person.__table__, Household.__table__, PersonCategory.__table__
_village, _township = Region.__table__.alias("village"), Region.__table__.alias("township")
# The list's columns for a page of ids, built once (the ids and today are bound at execution). Table
# columns, not the mapped attributes: a plain Core statement skips the ORM's per-execution setup.
_LIST_ROWS = (
    select(
        _person.c.id,
        _person.c.name,
        _person.c.id_number,
        _person.c.sex,
        _person.c.birth_date,
        _person.c.work_capacity,
        _person.c.death_date,
        _village.c.name.label("village"),
        _township.c.name.label("township"),
        _household.c.code.label("household_code"),
    )
    .select_from(
        _person.outerjoin(_village, _village.c.id == _person.c.village_id)
        .outerjoin(_township, _township.c.id == _village.c.parent_id)
        .outerjoin(_household, _household.c.id == _person.c.household_id)
    )
    .where(in_ids(_person.c.id))
)
_LIST_CATEGORIES = (
    select(_category.c.person_id, _category.c.category)
    .where(
        in_ids(_category.c.person_id),
        _category.c.start_on <= bindparam("today"),
        or_(_category.c.end_on.is_(None), _category.c.end_on >= bindparam("today")),
    )
    .order_by(_category.c.start_on, _category.c.id)
)


@dataclass(slots=True)
class PersonRow:
    """One line of the person list: what it shows, nothing else (no ORM instance)."""

    id: int
    name: str
    id_number: str
    sex: str
    birth_date: date
    work_capacity: str | None
    death_date: date | None
    village: str | None
    township: str | None
    household_code: str | None
    categories: list[str]


def person_list_rows(session: Session, ids: list[int], today: date) -> list[PersonRow]:
    """The person list's rows for `ids` (already filtered and scoped by `person_filter_query`), with the
    categories held on `today` — two statements whatever the page size."""
    return with_categories(session, session.execute(_LIST_ROWS, {"ids": ids}).all(), today)


def person_list_statement(page: Select) -> Select:
    """The person list's columns (those of person_list_rows but the categories) for `page` — the ids of
    person_filter_query(…).with_only_columns(Person.id) limited to one page — in the list's order: one
    statement for the page's ids and their rows (the list page builds it once per filter:
    web/row_pages.py)."""
    ids = page.subquery()
    return (
        select(*_LIST_ROWS.selected_columns, *total_columns(ids))
        .select_from(
            ids.join(_person, _person.c.id == ids.c.id)
            .outerjoin(_village, _village.c.id == _person.c.village_id)
            .outerjoin(_township, _township.c.id == _village.c.parent_id)
            .outerjoin(_household, _household.c.id == _person.c.household_id)
        )
        .order_by(_person.c.village_id, _person.c.name, _person.c.id)
    )


def person_categories(session: Session, ids: list[int], today: date) -> dict[int, list[str]]:
    """{person id: the categories held on `today`, oldest first} for `ids` — one statement."""
    cats: dict[int, list[str]] = {}
    if ids:
        for pid, category in session.execute(_LIST_CATEGORIES, {"ids": ids, "today": today}):
            cats.setdefault(pid, []).append(category)
    return cats


def with_categories(session: Session, rows, today: date) -> list[PersonRow]:
    """PersonRow for each row of person_list_statement / _LIST_ROWS, with its categories held on `today`."""
    cats = person_categories(session, [r[0] for r in rows], today)
    return [PersonRow(*r[:10], cats.get(r[0], [])) for r in rows]


@dataclass
class PersonView:
    person: Person
    household_members: list[Person]
    relations: list[tuple[str, Person]]
    cadre_terms: list[Cadre]
    relatives_who_are_cadres: list[tuple[str, Cadre]]


def load_person(session: Session, actor, person_id: int, today: date) -> PersonView:
    person = get_scoped(session, actor, Person, person_id, "view_person", "人员")
    members = []
    if person.household_id:
        members = session.scalars(
            select(Person)
            .where(Person.household_id == person.household_id, Person.id != person.id)
            .order_by(Person.birth_date)
        ).all()
    rels = []
    for r in session.scalars(
        select(Relation).where(or_(Relation.person_id == person.id, Relation.relative_id == person.id))
    ).all():
        if r.person_id == person.id:
            rels.append((r.kind, r.relative))
        else:
            rels.append((inverse_kind(r.kind), r.person))
    terms = session.scalars(
        select(Cadre).where(Cadre.person_id == person.id).order_by(Cadre.term_start)
    ).all()
    kin_ids = {p.id: k for k, p in rels}
    kin_ids.update({m.id: "同户" for m in members if m.id not in kin_ids})
    kin_cadres = []
    if kin_ids:
        for c in session.scalars(select(Cadre).where(Cadre.person_id.in_(kin_ids.keys()))).all():
            if c.term_start <= today and (c.term_end is None or c.term_end >= today):
                kin_cadres.append((kin_ids[c.person_id], c))
    return PersonView(person, members, rels, terms, kin_cadres)
