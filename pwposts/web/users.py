"""User management for the county admin: list, create, deactivate, reset password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..domain.errors import DomainError, NotFound
from ..domain.passwords import MIN_LENGTH
from ..domain.people import normalize_id_number
from ..domain.roles import ROLE_LABELS, ROLES
from ..extensions import db
from ..models.accounts import User
from ..models.people import Person, Region
from ..services import accounts
from ..services.permissions import require, scope_persons, scope_prefix
from . import flash_error
from .people import int_arg

bp = Blueprint("users", __name__, url_prefix="/users")


class UserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=50)])
    display_name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=50)])
    role = SelectField("角色")
    region_code = SelectField(
        "管辖范围",
        validate_choice=False,
        description="县级管理员、纪检监察选县；乡镇经办人选乡镇；村级录入员选村；岗位人员不选",
    )
    id_number = StringField(
        "岗位人员身份证号",
        validators=[Optional(), Length(max=30)],
        description="仅岗位人员账号填写，须为已登记人员",
    )
    password = PasswordField(
        "初始密码",
        validators=[
            DataRequired("请设置初始密码"),
            Length(min=MIN_LENGTH, message=f"密码至少{MIN_LENGTH}位"),
        ],
        description="对方首次登录时须改为自己的密码",
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        "新密码",
        validators=[DataRequired("请填写新密码"), Length(min=MIN_LENGTH, message=f"密码至少{MIN_LENGTH}位")],
        description="重置后对方的全部登录和接口令牌立即失效，下次登录须改为自己的密码",
    )


def _regions():
    prefix = scope_prefix(current_user) or "-"
    return db.session.scalars(
        select(Region).where(Region.code.like(prefix + "%")).order_by(Region.code)
    ).all()


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("用户")
    return user


@bp.route("/")
@login_required
def index():
    require(current_user, "manage_users")
    q = select(User).order_by(User.role, User.username)
    text = request.args.get("q", "").strip()
    if text:
        q = q.where(or_(User.username.like(f"%{text}%"), User.display_name.like(f"%{text}%")))
    if request.args.get("role") in ROLES:
        q = q.where(User.role == request.args["role"])
    page = db.paginate(q, page=int_arg("page") or 1, per_page=50, error_out=False)
    return render_template("users/index.html", page=page, roles=ROLES)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "manage_users")
    form = UserForm()
    form.role.choices = [(r, ROLE_LABELS[r]) for r in ROLES]
    regions = _regions()
    level_names = {"county": "", "township": "　", "village": "　　"}
    form.region_code.choices = [("", "（岗位人员不选）")] + [
        (r.code, level_names[r.level] + r.name) for r in regions
    ]
    if form.validate_on_submit():
        region = next((r for r in regions if r.code == form.region_code.data), None)
        person = None
        if form.id_number.data:
            person = db.session.scalar(
                scope_persons(current_user, select(Person)).where(
                    Person.id_number == normalize_id_number(form.id_number.data)
                )
            )
            if person is None:
                form.id_number.errors.append("未找到该身份证号对应的登记人员，请先在人员信息中登记")
        if not form.id_number.errors:
            try:
                user = accounts.create_user(
                    db.session,
                    current_user,
                    username=form.username.data,
                    password=form.password.data,
                    display_name=form.display_name.data,
                    role=form.role.data,
                    region=region,
                    person=person,
                    must_change=True,
                )
                flash(f"已创建账号 {user.username}", "success")
                return redirect(url_for("users.index"))
            except DomainError as err:
                flash_error(err)
    return render_template("users/new.html", form=form)


@bp.route("/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int):
    require(current_user, "manage_users")
    user = _user_or_404(user_id)
    try:
        accounts.set_active(db.session, current_user, user, request.form.get("active") == "1")
        flash("已更新账号状态", "success")
    except DomainError as err:
        flash_error(err)
    return redirect(url_for("users.index"))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int):
    """Lift a login lockout (failed passwords no longer count)."""
    require(current_user, "manage_users")
    user = _user_or_404(user_id)
    accounts.unlock_logins(db.session, current_user, user)
    flash(f"已解除 {user.username} 的登录锁定", "success")
    return redirect(url_for("users.index"))


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@login_required
def password(user_id: int):
    require(current_user, "manage_users")
    user = _user_or_404(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, current_user, user, form.password.data)
            flash(f"已重置 {user.username} 的密码", "success")
            return redirect(url_for("users.index"))
        except DomainError as err:
            flash_error(err)
    return render_template("users/password.html", form=form, user=user)
