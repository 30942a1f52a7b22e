"""County policy pages: settings (value in force, history, changes from an effective date), post
categories, standards, funds and the holiday calendar. Readers see them; the county admin changes them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import extract, select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, DateField, FileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import clock
from ..documents.holidays_xlsx import holidays_template, read_holidays
from ..documents.parity_xlsx import XLSX_MIMETYPE
from ..domain import settings as spec
from ..domain.errors import DomainError, NotFound
from ..extensions import db
from ..models.accounts import User
from ..models.policy import CountySetting, Fund, Holiday, PostCategory, Standard
from ..services import settings as settings_service
from ..services.permissions import require
from ..services.posts import actor_county
from . import flash_error, use_case
from .forms import ChineseForm
from .people import int_arg

bp = Blueprint("policy", __name__, url_prefix="/policy")


class SettingForm(ChineseForm):
    value = StringField("新值", validators=[Optional(), Length(max=100)])
    effective_from = DateField("生效日期", validators=[DataRequired("请填写生效日期（今天或以后）")])
    note = TextAreaField("说明（依据的文件等）", validators=[Optional(), Length(max=1000)])


class HolidayForm(ChineseForm):
    day = DateField("日期", validators=[DataRequired("请填写日期，如 2027-01-01")])
    name = StringField(
        "名称", validators=[DataRequired("请填写名称，如 元旦"), Length(max=50, message="名称最多50个字")]
    )
    is_workday = BooleanField("调休上班（周末上班）")


class ImportForm(ChineseForm):
    file = FileField("节假日文件（.xlsx）", validators=[DataRequired("请选择要导入的 .xlsx 文件")])


def _county():
    county = actor_county(db.session, current_user)
    if county is None:
        raise NotFound("县")
    return county


def _display(key: str, value: str) -> str:
    if value == "":
        return "不设"
    return spec.CHOICE_LABELS.get(value, value)


@bp.route("/")
@login_required
def index():
    require(current_user, "view_policy")
    county = _county()
    today = clock.today()
    current = settings_service.all_settings(db.session, county.id, today)
    rows = db.session.execute(
        select(CountySetting, User.display_name)
        .outerjoin(User, User.id == CountySetting.changed_by_id)
        .where(CountySetting.county_id == county.id)
        .order_by(CountySetting.key, CountySetting.effective_from.desc())
    ).all()
    history: dict[str, list] = {}
    for row, who in rows:
        history.setdefault(row.key, []).append((row, who))
    defaulted = {
        s.key for s in spec.SPECS if not any(r.effective_from <= today for r, _ in history.get(s.key, ()))
    }
    return render_template(
        "policy/index.html",
        county=county,
        today=today,
        specs=spec.SPECS,
        current=current,
        history=history,
        defaulted=defaulted,
        display=_display,
        choice_labels=spec.CHOICE_LABELS,
        form=SettingForm(formdata=None, effective_from=today),
    )


@bp.route("/settings/<key>", methods=["POST"])
@login_required
def change(key: str):
    require(current_user, "manage_policy")
    if key not in spec.BY_KEY:
        raise NotFound("设置项")
    county = _county()
    form = SettingForm()
    if not form.validate():
        for errors in form.errors.values():
            flash(f"“{spec.BY_KEY[key].label}”未修改：{errors[0]}", "error")
            break
    else:
        with use_case(f"已设置“{spec.BY_KEY[key].label}”，自{form.effective_from.data.isoformat()}起生效"):
            settings_service.change_setting(
                db.session,
                current_user,
                county,
                key,
                form.value.data or "",
                form.effective_from.data,
                (form.note.data or "").strip() or None,
                clock.today(),
            )
    return redirect(url_for("policy.index") + f"#{key}")


@bp.route("/standards")
@login_required
def standards():
    require(current_user, "view_policy")
    county = _county()
    today = clock.today()
    categories = db.session.scalars(select(PostCategory).order_by(PostCategory.code)).all()
    stds = db.session.scalars(
        select(Standard)
        .where(Standard.county_id == county.id)
        .options(selectinload(Standard.category))
        .order_by(Standard.category_id, Standard.effective_from.desc())
    ).all()
    funds = db.session.scalars(
        select(Fund)
        .where(Fund.county_id == county.id)
        .options(selectinload(Fund.allowed))
        .order_by(Fund.year.desc(), Fund.name)
    ).all()
    return render_template(
        "policy/standards.html",
        county=county,
        today=today,
        categories=categories,
        standards=stds,
        funds=funds,
    )


@bp.route("/holidays", methods=["GET", "POST"])
@login_required
def holidays():
    require(current_user, "view_policy")
    county = _county()
    today = clock.today()
    form = HolidayForm()
    if request.method == "POST":
        require(current_user, "manage_policy")
        if not form.validate():
            for errors in form.errors.values():
                flash(errors[0], "error")
                break
        else:
            with use_case(f"已登记 {form.day.data.isoformat()} {form.name.data}") as uc:
                settings_service.add_holiday(
                    db.session,
                    current_user,
                    county,
                    form.day.data,
                    form.name.data,
                    form.is_workday.data,
                    today,
                )
            if uc.ok:
                return redirect(url_for("policy.holidays", year=form.day.data.year))
    year = int_arg("year") or today.year
    if not 1900 <= year <= 2200:
        year = today.year
    rows = db.session.scalars(
        select(Holiday)
        .where(Holiday.county_id == county.id, extract("year", Holiday.day) == year)
        .order_by(Holiday.day)
    ).all()
    years = sorted(
        {d.year for d in db.session.scalars(select(Holiday.day).where(Holiday.county_id == county.id))}
        | {today.year, today.year + 1}
    )
    from ..domain import national_calendar

    national = sorted(national_calendar.national_days(date(year, 1, 1), date(year, 12, 31)).items())
    return render_template(
        "policy/holidays.html",
        county=county,
        today=today,
        rows=rows,
        year=year,
        years=years,
        form=form,
        import_form=ImportForm(formdata=None),
        national=national,
        national_covered=national_calendar.covers(year),
    )


@bp.route("/holidays/import", methods=["POST"])
@login_required
def import_holidays():
    require(current_user, "manage_policy")
    county = _county()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的 .xlsx 文件", "error")
        return redirect(url_for("policy.holidays"))
    try:
        rows, read_errors = read_holidays(upload.stream)
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("policy.holidays"))
    with use_case() as uc:
        result = settings_service.import_holidays(
            db.session, current_user, county, rows, clock.today(), read_errors
        )
    if uc.ok:
        flash(
            f"导入完成：新增{result['added']}天，更改{result['changed']}天，未变{result['unchanged']}天",
            "success",
        )
    return redirect(url_for("policy.holidays"))


@bp.route("/holidays/template.xlsx")
@login_required
def holidays_template_xlsx():
    require(current_user, "view_policy")
    y = clock.today().year + 1
    data = holidays_template([(date(y, 1, 1), "元旦", False)])
    resp = Response(data, mimetype=XLSX_MIMETYPE)
    resp.headers["Content-Disposition"] = "attachment; filename=holidays-template.xlsx"
    return resp
