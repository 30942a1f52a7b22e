"""A dashboard per role: the counts that role cares about. Stages add cards with @card(...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models.people import Cadre, Household, Person, PersonCategory, Region
from ..services.permissions import can, dashboard_title, scope_persons, scope_regions

bp = Blueprint("dashboard", __name__)


@dataclass
class Card:
    label: str
    value: str
    link: str | None = None
    note: str = ""
    warn: bool = False


_CARDS: list[tuple[str, Callable]] = []


def card(action: str):
    """Register a function(actor, today) -> list[Card] for the dashboards of users who `can(action)`
    (the roles are in domain/roles.py ACTIONS, under view_card_*)."""

    def deco(fn):
        _CARDS.append((action, fn))
        return fn

    return deco


@card("view_card_registry")
def registry_cards(actor, today):
    persons = db.session.scalar(scope_persons(actor, select(func.count(Person.id))))
    households = db.session.scalar(
        scope_regions(actor, select(func.count(Household.id)), Household.village_id)
    )
    in_category = db.session.scalar(
        scope_persons(
            actor,
            select(func.count(func.distinct(Person.id)))
            .join(PersonCategory)
            .where(
                PersonCategory.start_on <= today,
                (PersonCategory.end_on.is_(None)) | (PersonCategory.end_on >= today),
            ),
        )
    )
    cadres = db.session.scalar(
        scope_regions(actor, select(func.count(Cadre.id)), Cadre.village_id).where(
            Cadre.term_start <= today, (Cadre.term_end.is_(None)) | (Cadre.term_end >= today)
        )
    )
    villages = db.session.scalar(
        scope_regions(actor, select(func.count(Region.id)), Region.id).where(Region.level == "village")
    )
    return [
        Card("登记人员", f"{persons:,}", url_for("people.index")),
        Card("家庭户", f"{households:,}"),
        Card("在册帮扶类别人员", f"{in_category:,}", url_for("people.index", eligible="1")),
        Card("在任村干部", f"{cadres:,}", url_for("people.index", cadre="1")),
        Card("行政村", f"{villages:,}"),
    ]


@bp.route("/")
@login_required
def home():
    if can(current_user, "view_own_records") and "holder.home" in _endpoints():
        return redirect(url_for("holder.home"))
    today = clock.today()
    cards = []
    for action, fn in _CARDS:
        if can(current_user, action):
            cards.extend(fn(current_user, today))
    title = dashboard_title(current_user)
    return render_template("dashboard.html", cards=cards, title=title, today=today)


def _endpoints():
    from flask import current_app

    return current_app.view_functions
