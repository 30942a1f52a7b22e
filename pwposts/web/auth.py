"""Login, logout, the session's validity, and the user's own password.

A session is valid while (1) its user exists and is active, (2) it carries the user's current
session_version (logout, a password change or reset and deactivation bump it), (3) it has not been
idle longer than SESSION_IDLE_MINUTES and (4) it is younger than SESSION_MAX_HOURS. Login starts a
fresh session (a new CSRF token with it), so a cookie planted before login is worth nothing after.
An account an admin created or reset goes to 修改密码 before anything else.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import clock
from ..domain.errors import DomainError
from ..domain.passwords import MIN_LENGTH
from ..extensions import db
from ..models.accounts import User
from ..services import accounts
from . import region_cache, use_case
from .commit_point import commit_anyway

bp = Blueprint("auth", __name__)

_EPOCH = datetime(1970, 1, 1)
# Pages a user who must change the password may still reach.
_OPEN_WHILE_MUST_CHANGE = {"auth.change_password", "auth.logout", "auth.login", "static"}


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=50)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"), Length(max=200)])
    password = PasswordField(
        "新密码",
        validators=[
            DataRequired("请输入新密码"),
            Length(min=MIN_LENGTH, max=200, message=f"新密码至少{MIN_LENGTH}位"),
        ],
        description=f"至少{MIN_LENGTH}位；不能是常见密码或包含用户名",
    )
    confirm = PasswordField(
        "再次输入新密码",
        validators=[DataRequired("请再次输入新密码"), EqualTo("password", "两次输入的新密码不一致")],
    )


def safe_next(target: str | None) -> str | None:
    """Only a local path (no scheme, no host, not protocol-relative) is followed after login."""
    if not target:
        return None
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _seconds() -> int:
    return int((clock.now() - _EPOCH).total_seconds())


# The user's region comes with the user: every page shows it (base.html) and every list's scope reads its
# code — one statement on every page instead of two. The same statement reads the region table's version
# for the cached region drop-downs (web/region_cache.py), which would otherwise cost a list page one more.
_USER_STATEMENT = (
    select(User, *region_cache.VERSION_COLUMNS)
    .options(joinedload(User.region))
    .where(User.id == bindparam("user_id"))
)


def load_session_user(user_id: str) -> User | None:
    """flask-login's user loader: the session's user, or None
    (and the session cleared) when it is no longer valid."""
    user = None
    if str(user_id).isdigit() and len(str(user_id)) < 10:
        row = db.session.execute(_USER_STATEMENT, {"user_id": int(user_id)}).first()
        if row is not None:
            user = row[0]
            region_cache.note_version(row[1], row[2])
    now = _seconds()
    started, seen = session.get("login_at"), session.get("seen_at")
    cfg = current_app.config
    expired = (
        started is None
        or seen is None
        or now - seen > cfg.get("SESSION_IDLE_MINUTES", 30) * 60
        or now - started > cfg.get("SESSION_MAX_HOURS", 12) * 3600
    )
    if user is None or not user.active or session.get("sv") != user.session_version or expired:
        session.clear()
        if user is not None and expired:
            flash("登录已超时，请重新登录", "info")
        return None
    if (
        now - seen >= 30
    ):  # refresh the idle clock (not on every request: the cookie need not change each time)
        session["seen_at"] = now
    # For the request's log line, written after the commit has expired the user's attributes: reading
    # user.username then would load the user again (a second transaction on every page).
    user.log_label = user.username
    return user


def _start_session(user: User) -> None:
    """A fresh session for a fresh login: nothing from before survives, the CSRF token included."""
    session.clear()
    g.pop("csrf_token", None)
    login_user(user)
    now = _seconds()
    session["sv"] = user.session_version
    session["login_at"] = now
    session["seen_at"] = now


@bp.before_app_request
def _must_change_password_first():
    g.pop("_login_user", None)  # the user is loaded afresh from this request's session (tests share one g)
    if (
        request.endpoint in _OPEN_WHILE_MUST_CHANGE
        or request.path.startswith("/api/")
        or request.endpoint is None
    ):
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        flash("请先设置您自己的密码（管理员设置的初始密码只能使用一次）", "info")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm()
    if form.validate_on_submit():
        ip = request.remote_addr or "-"
        try:
            user = accounts.authenticate(db.session, form.username.data, form.password.data, ip, clock.now())
        except DomainError as err:
            flash(err.message, "error")
            return render_template("auth/login.html", form=form), 429
        if user is None:
            commit_anyway()  # the failed attempt counts toward the limit
            flash(accounts.LOGIN_FAILED, "error")
            return render_template("auth/login.html", form=form), 401
        _start_session(user)
        if user.must_change_password:
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next(request.args.get("next")) or url_for("dashboard.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    user = db.session.get(User, current_user.id)
    accounts.end_session(db.session, user)
    logout_user()
    session.clear()
    flash("您已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        with use_case("密码已修改；其他设备上的登录和接口令牌已失效") as uc:
            accounts.change_password(db.session, user, form.current.data, form.password.data)
        if uc.ok:
            _start_session(user)  # this browser stays in, under the new session version
            return redirect(url_for("dashboard.home"))
    return render_template("auth/change_password.html", form=form)
