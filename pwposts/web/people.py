"""Person list (search, filters, pagination) and person detail."""

from __future__ import annotations

from dataclasses import astuple

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from .. import clock
from ..domain.errors import DomainError
from ..domain.inputs import parse_id
from ..domain.people import CATEGORIES, WORK_CAPACITIES
from ..extensions import db
from ..models.people import Person
from ..pagination import cached_select
from ..services import people as people_service
from ..services.permissions import can, require, scope_key, scope_prefix
from .region_cache import cached_region_choices
from .row_pages import paginate_rows

bp = Blueprint("people", __name__, url_prefix="/people")


def region_choices(actor):
    """Townships and villages inside the actor's scope, for
    filter drop-downs (cached: web/region_cache.py)."""
    return cached_region_choices(scope_prefix(actor) or "-")


BATCH_MAX = 300  # documents in one batch print


def batch_to_print(f, load, *, code: str, what: str, counted: str, empty: str, narrow: str) -> list:
    """The rows of a list's batch print (contracts, exit notices): one township or village — a township's
    or village's clerk, who has no such filter to choose, prints their own — and at most BATCH_MAX rows,
    load(limit) giving them; refusals say which rule and what to do (codes `<code>_scope`, `_empty`,
    `_too_large`)."""
    region = getattr(current_user, "region", None)
    if not (f.township_id or f.village_id) and region is not None:
        if region.level == "township":
            f.township_id = region.id
        elif region.level == "village":
            f.village_id = region.id
    if not (f.township_id or f.village_id):
        raise DomainError(f"{code}_scope", f"批量打印{what}须先选择乡镇（或村）：请在筛选中选择乡镇后再打印")
    rows = load(BATCH_MAX + 1)
    if not rows:
        raise DomainError(f"{code}_empty", empty)
    if len(rows) > BATCH_MAX:
        raise DomainError(
            f"{code}_too_large",
            f"符合条件的{counted}超过{BATCH_MAX}份，超过单次批量打印上限：请按{narrow}缩小范围后分批打印",
        )
    return rows


def int_arg(name: str, source=None) -> int | None:
    """A filter id or page number from the query string (or `source`): None when absent, blank, 0 or not
    a number (the filter is left off); a number no row can have is refused with 400 naming it."""
    value = (request.args if source is None else source).get(name, "").strip()
    if not value.isdigit() or not value.strip("0"):
        return None
    return parse_id(value, f"参数 {name} ")


@bp.route("/")
@login_required
def index():
    require(current_user, "view_person")
    today = clock.today()
    f = people_service.PersonFilter(
        q=request.args.get("q", ""),
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        category=request.args.get("category", "") if request.args.get("category") in CATEGORIES else "",
        work_capacity=request.args.get("capacity", "")
        if request.args.get("capacity") in WORK_CAPACITIES
        else "",
        eligible_only=request.args.get("eligible") == "1",
        cadres_only=request.args.get("cadre") == "1",
    )
    # The page's ids and their columns in one statement (web/row_pages.py), the categories in a second.
    page = paginate_rows(
        cached_select(
            ("people", scope_key(current_user), astuple(f), today),
            lambda: people_service.person_filter_query(current_user, f, today).with_only_columns(Person.id),
        ),
        statement=people_service.person_list_statement,
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
    )
    page.items = people_service.with_categories(db.session, page.items, today)
    townships, villages = region_choices(current_user)
    return render_template(
        "people/index.html",
        page=page,
        # The birth date repeats the eight digits a masked ID number hides (the `birth` macro): decided
        # once for the page, not per row — every row is in the actor's scope (person_filter_query), and
        # for an object in scope can(actor, action, obj) is can(actor, action).
        full_birth_dates=can(current_user._get_current_object(), "view_full_id_number"),
        f=f,
        townships=townships,
        villages=villages,
        categories=CATEGORIES,
        capacities=WORK_CAPACITIES,
        today=today,
    )


@bp.route("/<int:person_id>")
@login_required
def detail(person_id: int):
    view = people_service.load_person(db.session, current_user, person_id, clock.today())
    return render_template("people/detail.html", v=view, p=view.person, today=clock.today())
