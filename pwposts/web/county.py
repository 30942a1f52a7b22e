"""Starting a real county: the first-run page (county + first administrator, only while no county exists)
and the 区划 page where the county admin imports townships and villages from the 统计用区划代码 list."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import clock
from ..documents.parity_xlsx import XLSX_MIMETYPE
from ..documents.tables import write_template
from ..extensions import db
from ..services import county_setup
from ..services.permissions import require
from . import use_case
from .forms import ChineseForm

bp = Blueprint("county", __name__)


@bp.record_once
def _globals(state) -> None:
    from ..domain.national_calendar import calendar_note

    state.app.add_template_global(calendar_note, "calendar_note")
    state.app.add_template_global(lambda: county_setup.the_county(db.session) is None, "needs_setup")


class SetupForm(ChineseForm):
    county_code = StringField(
        "县级区划代码",
        validators=[DataRequired("请填写县级区划代码"), Length(max=12)],
        description="6位（如 522701）或12位（以000000结尾）",
    )
    county_name = StringField("县名称", validators=[DataRequired("请填写县名称"), Length(max=100)])
    admin_username = StringField("管理员登录名", validators=[DataRequired("请填写登录名"), Length(max=50)])
    admin_name = StringField("管理员姓名", validators=[DataRequired("请填写姓名"), Length(max=50)])
    admin_password = PasswordField(
        "管理员密码", validators=[DataRequired("请设置密码"), Length(min=8, message="密码至少8位")]
    )


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run: only while the database holds no county."""
    if county_setup.the_county(db.session) is not None:
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        with use_case("已初始化本县。请用刚设置的管理员账号登录，然后导入区划代码") as uc:
            county_setup.init_county(
                db.session,
                code=form.county_code.data,
                name=form.county_name.data,
                admin_username=form.admin_username.data,
                admin_password=form.admin_password.data,
                admin_name=form.admin_name.data,
                today=clock.today(),
            )
        if uc.ok:
            return redirect(url_for("auth.login"))
    return render_template("county/setup.html", form=form)


@bp.route("/county/regions")
@login_required
def regions():
    require(current_user, "view_policy")
    county = county_setup.the_county(db.session)
    if county is None:
        abort(404)
    return render_template(
        "county/regions.html",
        county=county,
        tree=county_setup.region_tree(db.session, county),
        counts=county_setup.count_regions(db.session, county),
    )


@bp.route("/county/regions/import", methods=["POST"])
@login_required
def import_regions():
    require(current_user, "manage_regions")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择统计用区划代码文件（.xlsx 或 .csv）", "error")
        return redirect(url_for("county.regions"))
    data, name = upload.read(), upload.filename
    with use_case() as uc:
        r = county_setup.import_regions(db.session, current_user, data, name, clock.today())
    if uc.ok:
        if r.same_file:
            flash("该文件此前已导入，未作任何更改", "info")
        else:
            flash(
                f"导入完成：新增乡镇{len(r.added_townships)}个、村{len(r.added_villages)}个，已有{r.unchanged}个未变",
                "success",
            )
            for line in r.name_differs[:20]:
                flash("名称不同（未更改）：" + line, "info")
    return redirect(url_for("county.regions"))


@bp.route("/county/regions/template.xlsx")
@login_required
def regions_template():
    require(current_user, "view_policy")
    county = county_setup.the_county(db.session)
    code = county.code[:6] if county else "522701"
    data = write_template(
        county_setup.REGION_COLUMNS, [f"{code}100000", "城关镇", "111"], title="统计用区划代码"
    )
    resp = Response(data, mimetype=XLSX_MIMETYPE)
    resp.headers["Content-Disposition"] = "attachment; filename=regions-template.xlsx"
    return resp
