"""The rows of the busiest API lists — persons, posts, payroll runs — read as the columns their items show.

Each list pages its ids with the list's own query (scope, filters, order: services) and then reads the
page's rows with one statement built here once, by primary key (v1.paginated_rows). The items are the
same dicts as person_json(), post_json() and run_json() return for one object (the detail endpoints),
made from plain rows instead of ORM objects with their relations: loading and serialising 50 objects
was two thirds of such a request (issue 11). tests/api/test_list_rows.py keeps both in step.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, or_, select

from ..domain.people import mask_id_number
from ..extensions import db
from ..models.accounts import User
from ..models.pay import PayrollRun
from ..models.people import Household, Person, PersonCategory, Region
from ..models.policy import Fund, PostCategory
from ..models.posts import Post
from ..pagination import in_ids
from ..services.permissions import can

# Core tables, not the mapped classes: the rows are plain tuples, so the ORM has nothing to do for them.
PERSON, HOUSEHOLD, CATEGORY = Person.__table__, Household.__table__, PersonCategory.__table__
POST, POST_CATEGORY, FUND = Post.__table__, PostCategory.__table__, Fund.__table__
RUN, REGION, USER = PayrollRun.__table__, Region.__table__, User.__table__


def _ids(pk):
    return in_ids(pk)  # bound as "ids": one array parameter on PostgreSQL


# ---- persons: person_json() ----

_VILLAGE, _TOWNSHIP = REGION.alias(), REGION.alias()
PERSON_ROWS = (
    select(
        PERSON.c.id,
        PERSON.c.name,
        PERSON.c.id_number,
        PERSON.c.sex,
        PERSON.c.birth_date,
        PERSON.c.group_name,
        PERSON.c.work_capacity,
        PERSON.c.death_date,
        HOUSEHOLD.c.code,
        _VILLAGE.c.id,
        _VILLAGE.c.code,
        _VILLAGE.c.name,
        _VILLAGE.c.level,
        _TOWNSHIP.c.id,
        _TOWNSHIP.c.code,
        _TOWNSHIP.c.name,
        _TOWNSHIP.c.level,
    )
    .join_from(PERSON, _VILLAGE, _VILLAGE.c.id == PERSON.c.village_id)
    .outerjoin(_TOWNSHIP, _TOWNSHIP.c.id == _VILLAGE.c.parent_id)
    .outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == PERSON.c.household_id)
    .where(_ids(PERSON.c.id))
)
# The categories held on a day (bound as "today"), in the order of Person.categories.
CURRENT_CATEGORIES = (
    select(CATEGORY.c.person_id, CATEGORY.c.category)
    .where(
        _ids(CATEGORY.c.person_id),
        CATEGORY.c.start_on <= bindparam("today"),
        or_(CATEGORY.c.end_on.is_(None), CATEGORY.c.end_on >= bindparam("today")),
    )
    .order_by(CATEGORY.c.start_on, CATEGORY.c.id)
)


def person_items(rows, actor, today: date) -> list[dict]:
    """person_json() of each row of PERSON_ROWS (the page's current categories in one more statement)."""
    held: dict[int, list[str]] = {}
    if rows:
        ids = [r[0] for r in rows]
        for pid, category in db.session.execute(CURRENT_CATEGORIES, {"ids": ids, "today": today}):
            held.setdefault(pid, []).append(category)
    full_in: dict[int, bool] = {}  # village id → can(actor, "view_full_id_number") for a person there
    items = []
    for pid, name, idn, sex, born, group, capacity, died, household, vid, vcode, vname, vlevel, *town in rows:
        full = full_in.get(vid)
        if full is None:  # can() decides on the person's village (its code), so on the village itself
            full = full_in[vid] = can(actor, "view_full_id_number", Region(id=vid, code=vcode, level=vlevel))
        items.append(
            {
                "id": pid,
                "name": name,
                "id_number": idn if full else mask_id_number(idn),
                "id_number_masked": not full,
                "sex": sex,
                "birth_date": born.isoformat() if full else None,
                "village": {"id": vid, "code": vcode, "name": vname, "level": vlevel},
                "township": None
                if town[0] is None
                else {"id": town[0], "code": town[1], "name": town[2], "level": town[3]},
                "household_code": household,
                "group_name": group,
                "work_capacity": capacity,
                "current_categories": held.get(pid, []),
                "death_date": died.isoformat() if died else None,
            }
        )
    return items


# ---- posts: post_json() ----

_POST_TOWNSHIP, _POST_VILLAGE = REGION.alias(), REGION.alias()
POST_ROWS = (
    select(
        POST.c.id,
        POST.c.code,
        POST.c.title,
        _POST_TOWNSHIP.c.id,
        _POST_TOWNSHIP.c.code,
        _POST_TOWNSHIP.c.name,
        _POST_TOWNSHIP.c.level,
        _POST_VILLAGE.c.id,
        _POST_VILLAGE.c.code,
        _POST_VILLAGE.c.name,
        _POST_VILLAGE.c.level,
        POST_CATEGORY.c.id,
        POST_CATEGORY.c.name,
        FUND.c.id,
        FUND.c.name,
        FUND.c.year,
        POST.c.headcount,
        POST.c.allowance_fen,
        POST.c.required_days,
        POST.c.full_time,
        POST.c.status,
        POST.c.deviation_status,
        POST.c.deviation_reason,
    )
    .join_from(POST, _POST_TOWNSHIP, _POST_TOWNSHIP.c.id == POST.c.township_id)
    .join(_POST_VILLAGE, _POST_VILLAGE.c.id == POST.c.village_id)
    .join(POST_CATEGORY, POST_CATEGORY.c.id == POST.c.category_id)
    .join(FUND, FUND.c.id == POST.c.fund_id)
    .where(_ids(POST.c.id))
)


def post_items(rows) -> list[dict]:
    """post_json() of each row of POST_ROWS."""
    return [
        {
            "id": r[0],
            "code": r[1],
            "title": r[2],
            "township": {"id": r[3], "code": r[4], "name": r[5], "level": r[6]},
            "village": {"id": r[7], "code": r[8], "name": r[9], "level": r[10]},
            "category": {"id": r[11], "name": r[12]},
            "fund": {"id": r[13], "name": r[14], "year": r[15]},
            "headcount": r[16],
            "allowance_fen": r[17],
            "required_days": r[18],
            "full_time": r[19],
            "status": r[20],
            "deviation_status": r[21],
            "deviation_reason": r[22],
        }
        for r in rows
    ]


# ---- payroll runs: run_json() ----

_RUN_TOWNSHIP, _PREPARER, _APPROVER = REGION.alias(), USER.alias(), USER.alias()
RUN_ROWS = (
    select(
        RUN.c.id,
        _RUN_TOWNSHIP.c.id,
        _RUN_TOWNSHIP.c.name,
        RUN.c.month,
        RUN.c.kind,
        RUN.c.status,
        RUN.c.total_fen,
        RUN.c.line_count,
        RUN.c.unpaid_count,
        _PREPARER.c.display_name,
        _PREPARER.c.username,
        RUN.c.prepared_at,
        _APPROVER.c.display_name,
        _APPROVER.c.username,
        RUN.c.approved_at,
    )
    .join_from(RUN, _RUN_TOWNSHIP, _RUN_TOWNSHIP.c.id == RUN.c.township_id)
    .outerjoin(_PREPARER, _PREPARER.c.id == RUN.c.prepared_by_id)
    .outerjoin(_APPROVER, _APPROVER.c.id == RUN.c.approved_by_id)
    .where(_ids(RUN.c.id))
)


def _label(display_name: str | None, username: str | None) -> str | None:
    """User.label from its two columns; None without a user."""
    return None if username is None else f"{display_name}（{username}）"


def _iso_utc(value) -> str | None:
    return value.isoformat() + "Z" if value else None  # v1.iso_utc


def run_items(rows) -> list[dict]:
    """run_json() of each row of RUN_ROWS."""
    return [
        {
            "id": r[0],
            "township": {"id": r[1], "name": r[2]},
            "month": r[3],
            "kind": r[4],
            "status": r[5],
            "total_fen": r[6],
            "line_count": r[7],
            "unpaid_count": r[8],
            "prepared_by": _label(r[9], r[10]) or "",
            "prepared_at": _iso_utc(r[11]),
            "approved_by": _label(r[12], r[13]),
            "approved_at": _iso_utc(r[14]),
        }
        for r in rows
    ]
