"""Eligibility: the facts an applicant is checked on (a few queries) and the pure rules, a post's
headcount, and helpers the other hiring modules share."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ...domain import hiring as rules
from ...domain.errors import DomainError, NotFound
from ...domain.hiring import (
    ApplicantFacts,
    EligibilityRules,
    Employment,
    Failure,
    HeldPost,
    check_eligibility,
)
from ...models.contracts import Contract
from ...models.hiring import Application, Notice
from ...models.people import Cadre, EmploymentRecord, Household, Person, Region, Relation
from ...models.policy import Fund
from ...models.posts import Post
from ..permissions import require
from ..settings import county_of, int_setting, setting

# Post states a notice may be published for: approved (opens
# recruitment) or already recruiting / with a vacancy.
NOTICE_POST_STATES = ("approved", "recruiting", "partly_filled")
# Contract states that mean a hire has been turned into a signing that counts (or counted) on the post.
_SIGNED = ("active", "ended", "terminated")


# =====================================================================================
# Eligibility: gathering facts (a few queries) and asking the pure rules
# =====================================================================================


def rules_for(session: Session, post: Post, on: date) -> EligibilityRules:
    """The county settings in force on `on` for the post's county."""
    county = county_of(session, post.village)
    limit = int_setting(session, county.id, "household_post_limit", on)
    eligible = tuple(c for c in setting(session, county.id, "eligible_categories", on).split("、") if c)
    return EligibilityRules(
        age_cap=int_setting(session, county.id, "age_cap", on),
        household_limit=limit if limit is not None else 1,
        eligible_categories=eligible or EligibilityRules().eligible_categories,
    )


def _pending_hires(person_ids) -> Select:
    """Applications marked hired whose contract has not (yet) been signed into force."""
    signed = exists().where(Contract.application_id == Application.id, Contract.status.in_(_SIGNED))
    return (
        select(Application.id, Application.person_id, Person.name, Post.id, Post.title)
        .join(Person, Person.id == Application.person_id)
        .join(Notice, Notice.id == Application.notice_id)
        .join(Post, Post.id == Notice.post_id)
        .where(Application.person_id.in_(person_ids), Application.status == "hired", ~signed)
    )


def gather_facts(session: Session, person: Person, post: Post, on: date) -> ApplicantFacts:
    """Plain facts about `person` applying for `post` on `on` (a handful of queries)."""
    return gather_facts_many(session, [person], post, on)[0]


def gather_facts_many(session: Session, persons, post: Post, on: date) -> list[ApplicantFacts]:
    """gather_facts for several applicants to one post, in the same handful of queries for all of them
    (the facts are labelled and split by the rules' own builders, person by person)."""
    from ..department_records import external_posts_of_many, record_source

    persons = list(persons)
    if not persons:
        return []
    ids = [p.id for p in persons]
    # households, villages and categories of all of them at once (then plain attribute access)
    session.scalars(
        select(Person)
        .where(Person.id.in_(ids))
        .options(
            selectinload(Person.categories),
            selectinload(Person.household).joinedload(Household.village),
            joinedload(Person.village),
        )
    ).all()
    household_ids = {p.household_id for p in persons if p.household_id is not None}
    members_of: dict[int, list[int]] = defaultdict(list)
    if household_ids:
        for pid, hid in session.execute(
            select(Person.id, Person.household_id).where(Person.household_id.in_(household_ids))
        ):
            members_of[hid].append(pid)
    member_ids = {
        p.id: ([m for m in members_of[p.household_id] if m != p.id] if p.household is not None else [])
        for p in persons
    }
    everyone = set(ids).union(*member_ids.values())

    # active contracts and pending hires of the persons and their households, in two queries
    active = [
        (pid, HeldPost(name, title, cid, post_id))
        for cid, pid, name, post_id, title in session.execute(
            select(Contract.id, Contract.person_id, Person.name, Post.id, Post.title)
            .join(Person, Person.id == Contract.person_id)
            .join(Post, Post.id == Contract.post_id)
            .where(Contract.person_id.in_(everyone), Contract.status == "active")
            .order_by(Contract.id)
        )
    ]
    pending = [
        (pid, HeldPost(name, title, None, post_id))
        for _aid, pid, name, post_id, title in session.execute(
            _pending_hires(everyone).order_by(Application.id)
        )
    ]

    # cadre ties: the person, relatives either way, household members
    relations = session.execute(
        select(Relation.person_id, Relation.relative_id, Relation.kind).where(
            or_(Relation.person_id.in_(ids), Relation.relative_id.in_(ids))
        )
    ).all()
    touching: dict[int, list] = defaultdict(list)  # each applicant's relations, in query order
    for r in relations:
        touching[r[0]].append(r)
        if r[1] != r[0]:
            touching[r[1]].append(r)
    ties_of = {p.id: rules.tie_labels(p.id, touching.get(p.id, ()), member_ids[p.id]) for p in persons}
    tied = set().union(*(t.keys() for t in ties_of.values()))
    cadres = session.execute(
        select(Cadre.person_id, Person.name, Cadre.office, Region.name, Cadre.term_start, Cadre.term_end)
        .join(Person, Person.id == Cadre.person_id)
        .join(Region, Region.id == Cadre.village_id)
        .where(Cadre.person_id.in_(tied))
        .order_by(Cadre.id)
    ).all()

    id_numbers = {p.id_number for p in persons}
    employments: dict[str, list[Employment]] = defaultdict(list)
    for e in session.scalars(
        select(EmploymentRecord)
        .options(joinedload(EmploymentRecord.batch))
        .where(EmploymentRecord.id_number.in_(id_numbers))
        .order_by(EmploymentRecord.start_on)
    ):
        employments[e.id_number].append(
            Employment(e.employer, e.start_on, e.end_on, e.full_time, record_source(e))
        )
    external = external_posts_of_many(session, id_numbers)

    fund: Fund = post.fund
    out = []
    for person in persons:
        household = person.household
        home_village = household.village if household is not None else person.village
        family = {person.id, *member_ids[person.id]}
        own_posts, household_posts = rules.split_held(
            person.id,
            post.id,
            [a for a in active if a[0] in family],
            [h for h in pending if h[0] in family],
        )
        out.append(
            ApplicantFacts(
                name=person.name,
                birth_date=person.birth_date,
                sex=person.sex,
                household_village_id=home_village.id,
                household_village_name=home_village.name,
                post_village_id=post.village_id,
                post_village_name=post.village.name,
                dead=person.death_date is not None and person.death_date <= on,
                death_date=person.death_date,
                category_spans=tuple((c.category, c.start_on, c.end_on) for c in person.categories),
                fund_name=fund.name,
                fund_restricts=fund.restricts_categories,
                fund_categories=tuple(fund.allowed_categories),
                held_posts=own_posts,
                household_held_posts=household_posts,
                cadre_ties=rules.cadre_ties(ties_of[person.id], cadres),
                employments=tuple(employments.get(person.id_number, ())),
                death_source=person.death_source or "",
                external_posts=external.get(person.id_number, ()),
            )
        )
    return out


def eligibility_for(
    session: Session, person: Person, post: Post, on: date, ignore_contract_id: int | None = None
) -> list[Failure]:
    """Every eligibility rule `person` fails for `post` on `on` ([] = eligible).

    For a renewal pass the contract being renewed as ignore_contract_id.
    """
    return check_eligibility(
        gather_facts(session, person, post, on),
        on,
        rules_for(session, post, on),
        ignore_contract_id=ignore_contract_id,
    )


def eligibility_for_many(session: Session, persons, post: Post, on: date) -> list[list[Failure]]:
    """eligibility_for of several persons for one post (facts gathered together): a list per person."""
    settings = rules_for(session, post, on)
    return [check_eligibility(f, on, settings) for f in gather_facts_many(session, persons, post, on)]


def failures_of(app: Application) -> list[dict]:
    return json.loads(app.failures_json) if app.failures_json else []


def _store_check(app: Application, failures: list[Failure], on: date) -> None:
    app.failures_json = json.dumps([f.as_dict() for f in failures], ensure_ascii=False) if failures else None
    app.checked_on = on


def _refusal(code: str, lead: str, failures: list[Failure]) -> DomainError:
    return DomainError(code, lead + "：" + "；".join(f.message for f in failures))


# =====================================================================================
# Headcount: active contracts + hires not yet under contract
# =====================================================================================


def lock_post(session: Session, post_id: int) -> None:
    """Hold the post's row until commit (PostgreSQL SELECT … FOR UPDATE), so headcount checks of
    concurrent hires and signings are made one after the other. SQLite serialises writers anyway."""
    session.execute(select(Post.id).where(Post.id == post_id).with_for_update())


def occupied(session: Session, post_id: int) -> tuple[int, int]:
    """(active contracts, hired applications not yet signed into force) on the post."""
    active = session.scalar(
        select(func.count(Contract.id)).where(Contract.post_id == post_id, Contract.status == "active")
    )
    signed = exists().where(Contract.application_id == Application.id, Contract.status.in_(_SIGNED))
    pending = session.scalar(
        select(func.count(Application.id))
        .join(Notice, Notice.id == Application.notice_id)
        .where(Notice.post_id == post_id, Application.status == "hired", ~signed)
    )
    return active or 0, pending or 0


def _posts_service():
    """The posts service (open_recruitment, mark_staffing); imported late so either module can load first."""
    from .. import posts

    return posts


# Shared helpers


def _clean(text: str | None, label: str, *, required: bool = True, max_len: int | None = None) -> str | None:
    value = (text or "").strip()
    if required and not value:
        raise DomainError("field_required", f"请填写{label}")
    if max_len and len(value) > max_len:
        raise DomainError("field_too_long", f"{label}最多{max_len}个字符，现有{len(value)}个")
    return value or None


def _load_application(session: Session, actor, application_id: int, action: str) -> Application:
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound("报名记录")
    require(actor, action, app.notice, what="报名记录")
    return app
