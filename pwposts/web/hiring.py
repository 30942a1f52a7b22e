"""以岗聘任 pages: notices, applications with eligibility results, 公示 and objections, hiring."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from .. import clock
from ..domain import hiring as rules
from ..domain.formats import parse_date
from ..domain.inputs import parse_id
from ..extensions import db
from ..models.hiring import Application, Notice
from ..services import contracts as contracts_service
from ..services import hiring as service
from ..services import posts as posts_service
from ..services.permissions import get_scoped, require
from . import use_case
from .dashboard import Card, card
from .forms import ChineseForm
from .people import int_arg, region_choices

bp = Blueprint("hiring", __name__, url_prefix="/hiring")


# ---- notices ----


@bp.route("/")
@login_required
def index():
    require(current_user, "view_post")
    f = service.NoticeFilter(
        q=request.args.get("q", ""),
        status=request.args.get("status", "") if request.args.get("status") in ("open", "closed") else "",
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        stage=request.args.get("stage", "")
        if request.args.get("stage") in ("publicity", "objections")
        else "",
        post_id=int_arg("post_id"),
        state=request.args.get("state", "") if request.args.get("state") in rules.NOTICE_STATES else "",
    )
    today = clock.today()
    page = db.paginate(
        service.notice_query(current_user, f, today),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
        error_out=False,
    )
    townships, villages = region_choices(current_user)
    return render_template(
        "hiring/index.html",
        page=page,
        f=f,
        townships=townships,
        villages=villages,
        labels=rules.NOTICE_STATE_LABELS,
        today=today,
        states=service.notice_states(db.session, page.items, today),
    )


class NoticeForm(ChineseForm):
    title = StringField("公告标题", validators=[DataRequired("请填写公告标题"), Length(max=200)])
    conditions = TextAreaField("报名条件", validators=[DataRequired("请填写报名条件")])
    places = IntegerField(
        "招聘名额（人）", validators=[DataRequired("请填写招聘名额"), NumberRange(min=1, max=999)]
    )
    start_on = StringField(
        "报名开始日期", validators=[DataRequired("请填写报名开始日期")], description="如 2026-03-01"
    )
    end_on = StringField("报名截止日期", validators=[DataRequired("请填写报名截止日期")])
    contact = StringField(
        "咨询及异议受理（单位、地址、电话）",
        validators=[DataRequired("请填写联系方式"), Length(max=200)],
        description="将显示在公开页面上，请勿填写个人手机号以外的隐私信息",
    )


DEFAULT_CONDITIONS = (
    "1. 本村户籍，年满16周岁，有劳动能力和就业意愿；\n"
    "2. 属于脱贫人口、防止返贫监测对象、易地搬迁人口、农村低收入人口、零就业家庭、"
    "持证残疾人或大龄人员等帮扶类别；\n"
    "3. 未在其他公益性岗位在岗（一人一岗），所在家庭在岗人数未超过县定上限；\n"
    "4. 村干部及其家庭成员不得报名；已在其他单位全日制就业者不得报名；\n"
    "5. 同等条件下弱劳力、半劳力及无法离乡人员优先。"
)


@bp.route("/new/<int:post_id>", methods=["GET", "POST"])
@login_required
def new_notice(post_id: int):
    require(current_user, "open_recruitment")
    post = posts_service.load_post(db.session, current_user, post_id, "open_recruitment")
    today = clock.today()
    form = NoticeForm()
    if request.method == "GET":
        active, pending = service.occupied(db.session, post.id)
        form.title.data = f"{post.village.name}{post.title}招聘公告"
        form.conditions.data = DEFAULT_CONDITIONS
        form.places.data = max(post.headcount - active - pending, 1)
        form.start_on.data = today.isoformat()
        form.end_on.data = (today + timedelta(days=7)).isoformat()
        form.contact.data = f"{post.township.name}公益性岗位管理办公室"
    if form.validate_on_submit():
        with use_case("招聘公告已发布，岗位进入招聘") as uc:
            n = service.publish_notice(
                db.session,
                current_user,
                post.id,
                title=form.title.data,
                conditions=form.conditions.data,
                places=form.places.data,
                start_on=parse_date(form.start_on.data, "报名开始日期"),
                end_on=parse_date(form.end_on.data, "报名截止日期"),
                contact=form.contact.data,
                today=today,
            )
        if uc.ok:
            return redirect(url_for("hiring.notice", notice_id=n.id))
    return render_template("hiring/new_notice.html", form=form, post=post)


@bp.route("/<int:notice_id>")
@login_required
def notice(notice_id: int):
    view = service.load_notice(db.session, current_user, notice_id)
    today = clock.today()
    hired_ids = [a.id for a in view.applications if a.status == "hired"]
    return render_template(
        "hiring/notice.html",
        v=view,
        n=view.notice,
        post=view.notice.post,
        today=today,
        state=service.notice_state_of(db.session, view.notice, today),
        contracts=contracts_service.contracts_for_applications(db.session, hired_ids),
        failures_of=service.failures_of,
        app_labels=rules.APPLICATION_STATE_LABELS,
        objection_labels=rules.OBJECTION_STATE_LABELS,
        priority_label=rules.priority_label,
        notice_labels=rules.NOTICE_STATE_LABELS,
        publicity_labels=rules.PUBLICITY_STATE_LABELS,
    )


@bp.route("/<int:notice_id>/close", methods=["POST"])
@login_required
def close(notice_id: int):
    require(current_user, "open_recruitment")
    with use_case("招聘公告已结束，未聘用的报名人员记为未入选"):
        service.close_notice(db.session, current_user, notice_id, clock.today())
    return redirect(url_for("hiring.notice", notice_id=notice_id))


# ---- applications ----


@bp.route("/<int:notice_id>/apply", methods=["GET", "POST"])
@login_required
def apply(notice_id: int):
    require(current_user, "enter_application")
    n = get_scoped(db.session, current_user, Notice, notice_id, "enter_application", "招聘公告")
    if request.method == "POST":
        person_id = request.form.get("person_id", "")
        if not person_id.isdigit():
            flash("请选择报名人员", "error")
            return redirect(url_for("hiring.apply", notice_id=notice_id))
        with use_case() as uc:
            a = service.enter_application(
                db.session, current_user, n.id, int(person_id), clock.today(), note=request.form.get("note")
            )
        if uc.ok:
            fails = service.failures_of(a)
            if fails:
                flash(f"已录入{a.person.name}的报名：不符合条件（{len(fails)}项）", "warning")
                for fl in fails:
                    flash(fl["message"], "warning")
            else:
                flash(f"已录入{a.person.name}的报名：符合条件", "success")
            return redirect(url_for("hiring.notice", notice_id=notice_id))
        return redirect(url_for("hiring.apply", notice_id=notice_id, q=request.form.get("q", "")))
    q = request.args.get("q", "").strip()
    people = service.person_candidates(db.session, current_user, n, q)
    applied = set(db.session.scalars(select(Application.person_id).where(Application.notice_id == n.id)))
    return render_template(
        "hiring/apply.html", n=n, post=n.post, q=q, people=people, applied=applied, today=clock.today()
    )


@bp.route("/applications/<int:application_id>")
@login_required
def application(application_id: int):
    a = service.load_application(db.session, current_user, application_id)
    contract = contracts_service.contract_for_application(db.session, a.id) if a.status == "hired" else None
    return render_template(
        "hiring/application.html",
        a=a,
        n=a.notice,
        post=a.notice.post,
        contract=contract,
        failures=service.failures_of(a),
        objections=service.objections_of(db.session, a.id),
        app_labels=rules.APPLICATION_STATE_LABELS,
        objection_labels=rules.OBJECTION_STATE_LABELS,
        priority_label=rules.priority_label,
        today=clock.today(),
    )


@bp.route("/applications/<int:application_id>/recheck", methods=["POST"])
@login_required
def recheck(application_id: int):
    require(current_user, "enter_application")
    with use_case() as uc:
        a = service.recheck_application(db.session, current_user, application_id, clock.today())
    if uc.ok:
        fails = service.failures_of(a)
        if fails:
            flash(f"复核完成：{a.person.name}不符合条件（{len(fails)}项）", "warning")
            for fl in fails:
                flash(fl["message"], "warning")
        else:
            flash(f"复核完成：{a.person.name}符合条件", "success")
    return redirect(_back(application_id))


def _back(application_id: int) -> str:
    a = db.session.get(Application, application_id)
    if request.form.get("back") == "application" or a is None:
        return url_for("hiring.application", application_id=application_id)
    return url_for("hiring.notice", notice_id=a.notice_id)


@bp.route("/applications/<int:application_id>/hire", methods=["POST"])
@login_required
def hire(application_id: int):
    require(current_user, "hire")
    with use_case() as uc:
        service.hire(db.session, current_user, application_id, clock.today())
    if uc.ok:
        a = db.session.get(Application, application_id)
        flash(f"已聘用{a.person.name}，请签订劳务协议", "success")
    return redirect(_back(application_id))


# ---- 公示 ----


@bp.route("/<int:notice_id>/shortlist", methods=["GET", "POST"])
@login_required
def shortlist(notice_id: int):
    require(current_user, "publish_shortlist")
    view = service.load_notice(db.session, current_user, notice_id)
    require(current_user, "publish_shortlist", view.notice, what="招聘公告")
    today = clock.today()
    if request.method == "POST":
        ids = [parse_id(i, "报名ID") for i in request.form.getlist("application_id") if i.isdigit()]
        if not ids:
            flash("请至少勾选一名拟聘人员", "error")
        else:
            with use_case("拟聘人员名单已公示") as uc:
                service.publish_shortlist(
                    db.session,
                    current_user,
                    notice_id,
                    ids,
                    today,
                    where_to_object=request.form.get("where_to_object"),
                )
            if uc.ok:
                return redirect(url_for("hiring.notice", notice_id=notice_id))
    candidates = rules.shortlist_order([a for a in view.applications if a.status in rules.SHORTLISTABLE])
    preselected = {a.id for a in service.default_shortlist(db.session, view.notice)}
    start_on, end_on, n_days = service.publication_period(db.session, view.notice.post, today)
    return render_template(
        "hiring/shortlist.html",
        v=view,
        n=view.notice,
        candidates=candidates,
        preselected=preselected,
        start_on=start_on,
        end_on=end_on,
        n_days=n_days,
        priority_label=rules.priority_label,
        app_labels=rules.APPLICATION_STATE_LABELS,
        today=today,
    )


@bp.route("/publicity/<int:publicity_id>/end", methods=["POST"])
@login_required
def end_publicity(publicity_id: int):
    require(current_user, "publish_shortlist")
    pub = service.load_publicity(db.session, current_user, publicity_id)
    notice_id = pub.notice_id
    with use_case("公示已结束"):
        service.end_publicity(db.session, current_user, publicity_id, clock.today())
    return redirect(url_for("hiring.notice", notice_id=notice_id))


# ---- 异议 ----


@bp.route("/applications/<int:application_id>/objections", methods=["POST"])
@login_required
def record_objection(application_id: int):
    require(current_user, "record_objection")
    with use_case("异议已记录；处理完毕前不能聘用"):
        service.record_objection(
            db.session,
            current_user,
            application_id,
            content=request.form.get("content", ""),
            objector_name=request.form.get("objector_name"),
            objector_contact=request.form.get("objector_contact"),
            received_on=parse_date(request.form.get("received_on") or clock.today(), "收到日期"),
            today=clock.today(),
        )
    return redirect(url_for("hiring.application", application_id=application_id))


@bp.route("/objections/<int:objection_id>/resolve", methods=["POST"])
@login_required
def resolve_objection(objection_id: int):
    require(current_user, "resolve_objection")
    with use_case("异议已处理") as uc:
        o = service.resolve_objection(
            db.session,
            current_user,
            objection_id,
            request.form.get("decision", ""),
            request.form.get("resolution", ""),
            clock.today(),
        )
    if uc.ok:
        return redirect(url_for("hiring.application", application_id=o.application_id))
    from ..models.hiring import Objection

    o = db.session.get(Objection, objection_id)
    return redirect(
        url_for("hiring.application", application_id=o.application_id) if o else url_for("hiring.index")
    )


# ---- dashboard ----


@card("view_card_hiring")
def hiring_cards(actor, today):
    ending = db.session.scalar(service.publicities_ending(actor, today)) or 0
    due = db.session.scalar(service.publicities_due(actor, today)) or 0
    objections = db.session.scalar(service.open_objections(actor)) or 0
    return [
        Card("7日内期满的公示", f"{ending:,}", url_for("hiring.index", stage="publicity")),
        Card("公示期满待聘用", f"{due:,}", url_for("hiring.index", stage="publicity"), warn=due > 0),
        Card(
            "待处理的公示异议",
            f"{objections:,}",
            url_for("hiring.index", stage="objections"),
            warn=objections > 0,
        ),
    ]
