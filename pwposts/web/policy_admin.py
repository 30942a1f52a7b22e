"""Policy administration pages for the county admin: post categories, standards with effective dates,
funds with allocation, 文号 and the categories each may pay (services/policy_admin.py holds the rules)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..domain.errors import DomainError
from ..domain.formats import parse_yuan
from ..domain.people import CATEGORIES
from ..extensions import db
from ..models.policy import Fund, PostCategory, Standard
from ..services import policy_admin as svc
from ..services.permissions import require
from ..services.posts import actor_county
from . import use_case

bp = Blueprint("policy_admin", __name__, url_prefix="/county/policy")


def _back(anchor: str = ""):
    return redirect(url_for("policy_admin.index") + (f"#{anchor}" if anchor else ""))


def _int(name: str, label: str, *, required: bool = True) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise DomainError("field_required", f"请填写{label}")
        return None
    if not raw.isdigit():
        raise DomainError("field_not_integer", f"{label}须为整数，收到“{raw}”")
    return int(raw)


def _money(name: str, label: str, *, default: int | None = None) -> int:
    raw = (request.form.get(name) or "").strip()
    if not raw and default is not None:
        return default
    return parse_yuan(raw, label)


def _date(name: str, label: str) -> date:
    raw = (request.form.get(name) or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("field_date", f"{label}须为日期，如 2027-01-01，收到“{raw}”") from None


@bp.route("/")
@login_required
def index():
    require(current_user, "view_policy")
    county = actor_county(db.session, current_user)
    today = clock.today()
    categories = db.session.scalars(select(PostCategory).order_by(PostCategory.code)).all()
    standards = (
        db.session.scalars(
            select(Standard)
            .where(Standard.county_id == county.id)
            .options(selectinload(Standard.category))
            .order_by(Standard.category_id, Standard.effective_from.desc())
        ).all()
        if county
        else []
    )
    funds = (
        db.session.scalars(
            select(Fund)
            .where(Fund.county_id == county.id)
            .options(selectinload(Fund.allowed))
            .order_by(Fund.year.desc(), Fund.name)
        ).all()
        if county
        else []
    )
    return render_template(
        "county/policy_admin.html",
        county=county,
        today=today,
        categories=categories,
        standards=standards,
        funds=funds,
        person_categories=CATEGORIES,
        post_types=svc.POST_TYPES,
    )


@bp.route("/categories", methods=["POST"])
@login_required
def create_category():
    require(current_user, "manage_policy")
    f = request.form
    with use_case(f"已新增岗位类别“{f.get('name', '').strip()}”"):
        svc.create_category(
            db.session,
            current_user,
            code=f.get("code"),
            name=f.get("name"),
            kind=f.get("kind") or "普通",
            description=f.get("description"),
        )
    return _back("categories")


@bp.route("/categories/<int:category_id>", methods=["POST"])
@login_required
def update_category(category_id: int):
    require(current_user, "manage_policy")
    f = request.form
    with use_case("已修改岗位类别"):
        svc.update_category(
            db.session,
            current_user,
            category_id,
            name=f.get("name"),
            kind=f.get("kind") or "普通",
            description=f.get("description"),
        )
    return _back("categories")


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@login_required
def delete_category(category_id: int):
    require(current_user, "manage_policy")
    with use_case("已删除岗位类别"):
        svc.delete_category(db.session, current_user, category_id)
    return _back("categories")


@bp.route("/standards", methods=["POST"])
@login_required
def add_standard():
    require(current_user, "manage_policy")

    with use_case("已新增补贴标准"):
        svc.add_standard(
            db.session,
            current_user,
            category_id=_int("category_id", "岗位类别"),
            effective_from=_date("effective_from", "生效日期"),
            monthly_allowance_fen=_money("allowance", "月补贴"),
            required_days=_int("required_days", "规定出勤天数"),
            required_hours=_int("required_hours", "规定工时", required=False),
            full_time=request.form.get("full_time") == "1",
            perf_excellent_fen=_money("perf_excellent", "绩效（优秀）", default=0),
            perf_pass_fen=_money("perf_pass", "绩效（合格）", default=0),
            perf_fail_fen=_money("perf_fail", "绩效（不合格）", default=0),
            today=clock.today(),
        )
    return _back("standards")


@bp.route("/standards/<int:standard_id>/delete", methods=["POST"])
@login_required
def delete_standard(standard_id: int):
    require(current_user, "manage_policy")
    with use_case("已删除补贴标准"):
        svc.delete_standard(db.session, current_user, standard_id)
    return _back("standards")


@bp.route("/funds", methods=["POST"])
@login_required
def create_fund():
    require(current_user, "manage_policy")

    with use_case("已新增资金来源"):
        svc.create_fund(
            db.session,
            current_user,
            name=request.form.get("name"),
            year=_int("year", "年度"),
            allocation_fen=_money("allocation", "年度拨款"),
            document_no=request.form.get("document_no"),
            categories=request.form.getlist("categories"),
        )
    return _back("funds")


@bp.route("/funds/<int:fund_id>", methods=["POST"])
@login_required
def update_fund(fund_id: int):
    require(current_user, "manage_policy")

    with use_case("已修改资金来源"):
        svc.update_fund(
            db.session,
            current_user,
            fund_id,
            allocation_fen=_money("allocation", "年度拨款"),
            document_no=request.form.get("document_no"),
            categories=request.form.getlist("categories"),
        )
    return _back("funds")


@bp.route("/funds/<int:fund_id>/delete", methods=["POST"])
@login_required
def delete_fund(fund_id: int):
    require(current_user, "manage_policy")
    with use_case("已删除资金来源"):
        svc.delete_fund(db.session, current_user, fund_id)
    return _back("funds")
