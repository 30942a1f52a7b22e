"""Keeping persons by hand (township and village clerks within their scope): create and edit, household,
categories with dates, death with its source, relations, cadres; and the person's full record."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..domain.errors import DomainError
from ..domain.people import (
    ACCOUNT_KINDS,
    CADRE_OFFICES,
    CATEGORIES,
    RELATION_KINDS,
    WORK_CAPACITIES,
    normalize_id_number,
)
from ..extensions import db
from ..models.people import Person
from ..services import person_admin as svc
from ..services.permissions import can, get_scoped, require
from ..services.person_standing import person_record, standing_of
from . import use_case
from .people import region_choices

bp = Blueprint("person_admin", __name__, url_prefix="/people")


@bp.record_once
def _globals(state) -> None:
    def person_standing(person):
        if person is None or not can(current_user, "view_person", person):
            return []
        return standing_of(db.session, person, clock.today())

    state.app.add_template_global(person_standing, "person_standing")


def _date(name: str, label: str, *, required: bool = True) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("field_date", f"{label}须为日期，如 2026-03-01，收到“{raw}”") from None


def _values() -> dict:
    f = request.form
    return {
        "name": f.get("name", ""),
        "phone": f.get("phone", ""),
        "group_name": f.get("group_name", ""),
        "work_capacity": f.get("work_capacity", ""),
        "cannot_leave_home": f.get("cannot_leave_home") == "1",
        "account_kind": f.get("account_kind", ""),
        "account_no": f.get("account_no", ""),
        "account_name": f.get("account_name", ""),
    }


def _choices():
    return {
        "capacities": WORK_CAPACITIES,
        "account_kinds": ACCOUNT_KINDS,
        "categories": CATEGORIES,
        "relation_kinds": RELATION_KINDS,
        "offices": CADRE_OFFICES,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "edit_person")
    _townships, villages = region_choices(current_user)
    if request.method == "POST":
        with use_case("已新增人员") as uc:
            start = _date("category_start", "类别开始日期", required=False) or clock.today()
            village = request.form.get("village_id", "")
            if not village.isdigit():
                raise DomainError("field_required", "请选择所在村")
            person = svc.create_person(
                db.session,
                current_user,
                village_id=int(village),
                id_number=request.form.get("id_number", ""),
                household_code=request.form.get("household_code"),
                categories=[(c, start) for c in request.form.getlist("categories")],
                today=clock.today(),
                **_values(),
            )

        if uc.ok:
            return redirect(url_for("people.detail", person_id=person.id))
    return render_template("person_admin/new.html", villages=villages, form=request.form, **_choices())


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit(person_id: int):
    require(current_user, "edit_person")
    p = svc.load_for_edit(db.session, current_user, person_id)
    if request.method == "POST":
        with use_case("已保存") as uc:
            svc.update_person(db.session, current_user, person_id, **_values())
        if uc.ok:
            return redirect(url_for("person_admin.edit", person_id=person_id))
    from sqlalchemy import or_

    from ..models.people import Cadre, Relation
    from ..services.people import inverse_kind

    relations = [
        (
            r,
            r.kind if r.person_id == p.id else inverse_kind(r.kind),
            r.relative if r.person_id == p.id else r.person,
        )
        for r in db.session.scalars(
            select(Relation).where(or_(Relation.person_id == p.id, Relation.relative_id == p.id))
        )
    ]
    cadres = db.session.scalars(select(Cadre).where(Cadre.person_id == p.id).order_by(Cadre.term_start)).all()
    return render_template(
        "person_admin/edit.html", p=p, today=clock.today(), relations=relations, cadres=cadres, **_choices()
    )


def _scoped(person_id: int, action: str) -> Person:
    """The person the request acts on, loaded and checked first (404 out of scope), before its form."""
    return get_scoped(db.session, current_user, Person, person_id, action, "人员")


def _to_edit(person_id: int):
    return redirect(url_for("person_admin.edit", person_id=person_id))


@bp.route("/<int:person_id>/household", methods=["POST"])
@login_required
def household(person_id: int):
    _scoped(person_id, "edit_person")
    with use_case("已变更户籍"):
        svc.move_household(
            db.session, current_user, person_id, request.form.get("household_code", ""), clock.today()
        )
    return _to_edit(person_id)


@bp.route("/<int:person_id>/categories", methods=["POST"])
@login_required
def add_category(person_id: int):
    _scoped(person_id, "edit_person")
    with use_case("已登记人员类别"):
        svc.add_category(
            db.session,
            current_user,
            person_id,
            request.form.get("category", ""),
            _date("start_on", "开始日期"),
            _date("end_on", "结束日期", required=False),
        )
    return _to_edit(person_id)


@bp.route("/<int:person_id>/categories/<int:category_id>/end", methods=["POST"])
@login_required
def end_category(person_id: int, category_id: int):
    _scoped(person_id, "edit_person")
    with use_case("已结束人员类别"):
        svc.end_category(
            db.session, current_user, category_id, _date("end_on", "结束日期"), request.form.get("reason")
        )
    return _to_edit(person_id)


@bp.route("/<int:person_id>/death", methods=["POST"])
@login_required
def death(person_id: int):
    _scoped(person_id, "record_death")
    with use_case("已登记死亡"):
        svc.record_death(
            db.session,
            current_user,
            person_id,
            _date("death_date", "死亡日期"),
            request.form.get("source", ""),
            clock.today(),
        )
    return _to_edit(person_id)


@bp.route("/<int:person_id>/relations", methods=["POST"])
@login_required
def add_relation(person_id: int):
    _scoped(person_id, "edit_person")
    with use_case("已登记亲属关系"):  # a refusal is flashed; not-found and forbidden become 404/403
        raw = request.form.get("relative", "").strip()
        other = None
        if raw.isdigit() and len(raw) < 10:
            other = int(raw)
        else:
            number = normalize_id_number(raw)
            other = db.session.scalar(select(Person.id).where(Person.id_number == number))
        if other is None:
            raise DomainError("relative_unknown", f"未找到亲属“{raw}”：请填写已登记人员的身份证号")
        svc.add_relation(db.session, current_user, person_id, other, request.form.get("kind", ""))
    return _to_edit(person_id)


@bp.route("/<int:person_id>/relations/<int:relation_id>/delete", methods=["POST"])
@login_required
def delete_relation(person_id: int, relation_id: int):
    require(current_user, "edit_person")
    with use_case("已删除亲属关系"):
        svc.delete_relation(db.session, current_user, relation_id)
    return _to_edit(person_id)


@bp.route("/<int:person_id>/cadres", methods=["POST"])
@login_required
def add_cadre(person_id: int):
    _scoped(person_id, "manage_cadres")
    with use_case("已登记村干部任职"):
        svc.add_cadre(
            db.session,
            current_user,
            person_id,
            request.form.get("office", ""),
            _date("term_start", "任期开始"),
            _date("term_end", "任期结束", required=False),
        )
    return _to_edit(person_id)


@bp.route("/<int:person_id>/cadres/<int:cadre_id>/end", methods=["POST"])
@login_required
def end_cadre(person_id: int, cadre_id: int):
    _scoped(person_id, "manage_cadres")
    with use_case("已登记离任"):
        svc.end_cadre(db.session, current_user, cadre_id, _date("term_end", "离任日期"))
    return _to_edit(person_id)


@bp.route("/<int:person_id>/record")
@login_required
def record(person_id: int):
    if not can(current_user, "view_full_id_number"):
        abort(403)
    rec = person_record(db.session, current_user, person_id, clock.today())
    return render_template("person_admin/record.html", r=rec, p=rec.person, today=clock.today())


# ---- HR: active holders a record makes ineligible (the exit worklist acts on them) ----

from ..services.person_standing import affected_holders  # noqa: E402
from .dashboard import Card, card  # noqa: E402


@card("view_card_affected")
def affected_cards(actor, today):
    n = len(affected_holders(db.session, actor, today))
    return [
        Card(
            "在岗但不再符合条件",
            f"{n:,}",
            url_for("person_admin.affected"),
            note="已死亡、安置类别已结束、已在别处全日制就业或在其他部门岗位",
            warn=n > 0,
        )
    ]


@bp.route("/affected")
@login_required
def affected():
    require(current_user, "view_payroll")
    rows = affected_holders(db.session, current_user, clock.today())
    return render_template("person_admin/affected.html", rows=rows, today=clock.today())
