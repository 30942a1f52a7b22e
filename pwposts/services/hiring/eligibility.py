"""Eligibility: the facts an applicant is checked on (a few queries) and the pure rules, a post's
headcount, and helpers the other hiring modules share."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ...domain.errors import DomainError, NotFound
from ...domain.hiring import (
    ApplicantFacts,
    CadreTie,
    EligibilityRules,
    Employment,
    Failure,
    HeldPost,
    check_eligibility,
)
from ...models.contracts import Contract
from ...models.hiring import Application, Notice
from ...models.people import Cadre, EmploymentRecord, Person, Region, Relation
from ...models.policy import Fund
from ...models.posts import Post
from ..people import inverse_kind
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
    household = person.household
    home_village = household.village if household is not None else person.village
    members: list[tuple[int, str]] = []
    if household is not None:
        members = [
            (pid, name)
            for pid, name in session.execute(
                select(Person.id, Person.name).where(
                    Person.household_id == household.id, Person.id != person.id
                )
            )
        ]
    member_ids = [pid for pid, _ in members]
    everyone = [person.id, *member_ids]

    # active contracts and pending hires of the person and the household, in two queries
    own_posts, household_posts = [], []
    for cid, pid, name, post_id, title in session.execute(
        select(Contract.id, Contract.person_id, Person.name, Post.id, Post.title)
        .join(Person, Person.id == Contract.person_id)
        .join(Post, Post.id == Contract.post_id)
        .where(Contract.person_id.in_(everyone), Contract.status == "active")
        .order_by(Contract.id)
    ):
        (own_posts if pid == person.id else household_posts).append(HeldPost(name, title, cid, post_id))
    for _aid, pid, name, post_id, title in session.execute(_pending_hires(everyone).order_by(Application.id)):
        if pid == person.id:
            if post_id != post.id:  # the hire in progress on this very post is not "another post"
                own_posts.append(HeldPost(name, title, None, post_id))
        else:
            household_posts.append(HeldPost(name, title, None, post_id))

    # cadre ties: the person, relatives either way, household members
    ties: dict[int, str] = {person.id: "本人"}
    for r in session.execute(
        select(Relation.person_id, Relation.relative_id, Relation.kind).where(
            or_(Relation.person_id == person.id, Relation.relative_id == person.id)
        )
    ):
        if r.person_id == person.id:
            ties.setdefault(r.relative_id, r.kind)  # the relative is the applicant's `kind`
        else:
            ties.setdefault(r.person_id, inverse_kind(r.kind))
    for pid in member_ids:
        ties.setdefault(pid, "同户成员")
    cadre_ties = tuple(
        CadreTie(name, office, village_name, ties[pid], start, end)
        for pid, name, office, village_name, start, end in session.execute(
            select(Cadre.person_id, Person.name, Cadre.office, Region.name, Cadre.term_start, Cadre.term_end)
            .join(Person, Person.id == Cadre.person_id)
            .join(Region, Region.id == Cadre.village_id)
            .where(Cadre.person_id.in_(ties.keys()))
            .order_by(Cadre.id)
        )
    )

    from ..department_records import external_posts_of, record_source

    employments = tuple(
        Employment(e.employer, e.start_on, e.end_on, e.full_time, record_source(e))
        for e in session.scalars(
            select(EmploymentRecord)
            .options(joinedload(EmploymentRecord.batch))
            .where(EmploymentRecord.id_number == person.id_number)
            .order_by(EmploymentRecord.start_on)
        )
    )
    fund: Fund = post.fund
    return ApplicantFacts(
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
        held_posts=tuple(own_posts),
        household_held_posts=tuple(household_posts),
        cadre_ties=cadre_ties,
        employments=employments,
        death_source=person.death_source or "",
        external_posts=external_posts_of(session, person.id_number),
    )


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
