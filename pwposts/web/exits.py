"""有序退岗 pages: the exit list (late reports for inspectors), recording an exit from a contract, confirming
or dismissing a proposal, the 退岗通知书 PDF, HR's worklist, the year-end renewal screen, the colour
lists per township and the 311 services of a person."""

from __future__ import annotations

import io
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import clock
from ..documents.exits_pdf import exit_notice_filename, exit_notice_pdf, exit_notices_pdf
from ..documents.exits_xlsx import XLSX_MIMETYPE, exits_workbook
from ..domain import exits as rules
from ..domain.contracts import CONTRACT_STATE_LABELS
from ..domain.errors import DomainError, NotFound
from ..domain.formats import parse_date
from ..domain.people import mask_id_number, mask_numbers_in_text
from ..extensions import db
from ..models.people import Person
from ..services import contracts as contracts_service
from ..services import exits as service
from ..services import worklist as work
from ..services.exports import record_export
from ..services.permissions import can, get_scoped, require
from . import flash_error
from .dashboard import Card, card
from .forms import ChineseForm
from .people import batch_to_print, int_arg, region_choices

bp = Blueprint("exits", __name__, url_prefix="/exits")

DATE_INPUT = {"type": "date", "placeholder": "2026-03-01"}
REASON_CHOICES = list(rules.EXIT_REASONS.items())
PLACEMENT_CHOICES = list(rules.PLACEMENT_LABELS.items())


class ExitForm(ChineseForm):
    reason = SelectField("退岗原因", choices=REASON_CHOICES)
    event_on = StringField(
        "事由发生日期",
        validators=[DataRequired("请填写事由发生日期")],
        render_kw=DATE_INPUT,
        description="死亡日期、新工作开始日、类别终止次日、合同期满次日等；据此判断是否在报告时限内",
    )
    effective_on = StringField(
        "退岗生效日期",
        validators=[DataRequired("请填写退岗生效日期")],
        render_kw=DATE_INPUT,
        description="自此日起不再在岗、停止发放补贴（当月按在岗天数折算）",
    )
    placement = SelectField("后续安置", choices=PLACEMENT_CHOICES)
    placement_note = StringField(
        "安置说明", validators=[Optional(), Length(max=200)], description="如转入的岗位、就业单位"
    )
    wants_work = BooleanField("未就业且有就业意愿（提供311服务）", default=True)
    note = TextAreaField("备注", validators=[Optional(), Length(max=1000)])


class ConfirmForm(ChineseForm):
    effective_on = StringField(
        "退岗生效日期", validators=[DataRequired("请填写退岗生效日期")], render_kw=DATE_INPUT
    )
    placement = SelectField("后续安置", choices=PLACEMENT_CHOICES)
    placement_note = StringField("安置说明", validators=[Optional(), Length(max=200)])
    wants_work = BooleanField("未就业且有就业意愿（提供311服务）", default=True)
    note = TextAreaField("备注", validators=[Optional(), Length(max=1000)])


class DismissForm(ChineseForm):
    reason = TextAreaField("驳回理由", validators=[DataRequired("请填写驳回理由"), Length(max=1000)])


class PlacementForm(ChineseForm):
    placement = SelectField("后续安置", choices=PLACEMENT_CHOICES)
    placement_note = StringField("安置说明", validators=[Optional(), Length(max=200)])
    wants_work = BooleanField("未就业且有就业意愿（提供311服务）")


class ServiceForm(ChineseForm):
    kind = SelectField("服务类型", choices=list(rules.SERVICE_KINDS.items()))
    given_on = StringField("服务日期", validators=[DataRequired("请填写服务日期")], render_kw=DATE_INPUT)
    given_by = StringField(
        "服务提供人",
        validators=[DataRequired("请填写服务提供人"), Length(max=100)],
        description="如 东坪镇人社所 张三",
    )
    note = TextAreaField("服务内容", validators=[Optional(), Length(max=1000)])


def _form_errors(form) -> None:
    for errors in form.errors.values():
        for e in errors:
            flash(e, "error")


# ---- list ----


def _filter() -> service.ExitFilter:
    return service.ExitFilter(
        q=request.args.get("q", "").strip()[:100],
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        status=request.args.get("status", "") if request.args.get("status") in rules.EXIT_STATES else "",
        reason=request.args.get("reason", "") if request.args.get("reason") in rules.EXIT_REASONS else "",
        late=request.args.get("late") == "1",
    )


@bp.route("/")
@login_required
def index():
    require(current_user, "view_exit")
    f = _filter()
    page = db.paginate(
        service.exit_query(current_user, f),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
        error_out=False,
    )
    townships, villages = region_choices(current_user)
    return render_template(
        "exits/index.html",
        page=page,
        f=f,
        townships=townships,
        villages=villages,
        rules=rules,
        today=clock.today(),
    )


@bp.route("/export")
@login_required
def export():
    require(current_user, "view_exit")
    today = clock.today()
    rows = []
    for i, e in enumerate(db.session.scalars(service.exit_query(current_user, _filter())).unique(), 1):
        c, p = e.contract, e.person
        rows.append(
            (
                i,
                p.name,
                p.id_number if can(current_user, "view_full_id_number", p) else mask_id_number(p.id_number),
                c.post.township.name,
                c.post.village.name,
                c.post.title,
                c.code,
                rules.reason_label(e.reason),
                e.event_on,
                e.effective_on,
                c.exit_on,
                rules.EXIT_STATE_LABELS[e.status],
                "是" if e.late else "否",
                e.report_limit_days,
                f"{rules.EXIT_SOURCE_LABELS[e.source]}（{e.proposed_by_label}）",
                e.confirmed_on,
                rules.PLACEMENT_LABELS[e.placement] + (f"：{e.placement_note}" if e.placement_note else ""),
                mask_numbers_in_text(e.evidence or ""),
                e.note or "",
            )
        )
    data = exits_workbook(rows, f"退岗台账（导出于 {today.isoformat()}）")
    f = _filter()
    record_export(
        db.session,
        current_user,
        "exits",
        len(rows),
        full_numbers=can(current_user, "view_full_id_number"),
        filters={"q": f.q, "township": f.township_id, "village": f.village_id, "status": f.status},
    )
    return send_file(
        io.BytesIO(data),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"退岗台账-{today.isoformat()}.xlsx",
    )


# ---- record an exit from a contract ----


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "propose_exit")
    contract_id = int_arg("contract_id")
    if contract_id is None:
        flash("请从合同页面办理退岗", "error")
        return redirect(url_for("contracts.index"))
    c = contracts_service.load_contract(db.session, current_user, contract_id)
    require(current_user, "propose_exit", c, what="合同")
    form = ExitForm()
    today = clock.today()
    if request.method == "GET":
        form.event_on.data = today.isoformat()
        form.effective_on.data = today.isoformat()
        if c.status == "terminated" and c.exit_on:  # an exit made before exit records existed
            form.event_on.data = c.exit_on.isoformat()
            form.effective_on.data = (c.exit_on + timedelta(days=1)).isoformat()
        elif c.status == "ended":
            form.event_on.data = form.effective_on.data = (c.end_on + timedelta(days=1)).isoformat()
        if request.args.get("reason") in rules.EXIT_REASONS:
            form.reason.data = request.args["reason"]
    status = 200
    if form.validate_on_submit():
        try:
            event = parse_date(form.event_on.data, "事由发生日期")
            effective = parse_date(form.effective_on.data, "退岗生效日期")
            ex = service.record_exit(
                db.session,
                current_user,
                contract_id,
                form.reason.data,
                event,
                effective,
                today,
                note=form.note.data,
                placement=form.placement.data,
                placement_note=form.placement_note.data,
                wants_work=form.wants_work.data,
            )
        except DomainError as err:
            flash_error(err)
            status = 422
        else:
            if ex.status == "confirmed":
                flash(
                    f"已办理退岗：{ex.person.name}自{ex.effective_on.isoformat()}起退岗"
                    + ("（超过报告时限，记为迟报）" if ex.late else ""),
                    "success",
                )
            else:
                flash("已提出退岗建议，待乡镇经办人确认", "success")
            return redirect(url_for("exits.detail", exit_id=ex.id))
    elif request.method == "POST":
        status = 422
    limit = service.report_limit(db.session, c.post, today)
    return render_template("exits/new.html", form=form, c=c, limit=limit), status


# ---- one exit ----


@bp.route("/<int:exit_id>")
@login_required
def detail(exit_id: int):
    ex = service.load_exit(db.session, current_user, exit_id)
    today = clock.today()
    confirm = ConfirmForm(
        formdata=None,
        effective_on=ex.effective_on.isoformat(),
        placement=ex.placement,
        placement_note=ex.placement_note,
        wants_work=ex.wants_work,
    )
    placement = PlacementForm(
        formdata=None, placement=ex.placement, placement_note=ex.placement_note, wants_work=ex.wants_work
    )
    limit = service.report_limit(db.session, ex.contract.post, today)
    return render_template(
        "exits/detail.html",
        ex=ex,
        c=ex.contract,
        rules=rules,
        today=today,
        confirm_form=confirm,
        dismiss_form=DismissForm(formdata=None),
        placement_form=placement,
        paid_after=service.paid_after_exit(db.session, ex.contract),
        history=service.exit_history(db.session, ex),
        limit=limit,
        overdue=rules.days_overdue(ex.event_on, today, limit) if ex.status == "proposed" else 0,
        contract_labels=CONTRACT_STATE_LABELS,
    )


def _act(exit_id: int, run, success) -> object:
    """One POST on an exit by township HR: check, run the
    use case at the commit point, flash, back to the exit."""
    ex = service.load_exit(db.session, current_user, exit_id)
    require(current_user, "confirm_exit", ex, what="退岗记录")
    try:
        done = run(db.session)
    except DomainError as err:
        flash_error(err)
    else:
        flash(success(done) if callable(success) else success, "success")
    return redirect(url_for("exits.detail", exit_id=exit_id))


@bp.route("/<int:exit_id>/confirm", methods=["POST"])
@login_required
def confirm(exit_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        service.load_exit(db.session, current_user, exit_id)
        _form_errors(form)
        return redirect(url_for("exits.detail", exit_id=exit_id))
    return _act(
        exit_id,
        lambda s: service.confirm_exit(
            s,
            current_user,
            exit_id,
            clock.today(),
            effective_on=parse_date(form.effective_on.data, "退岗生效日期"),
            placement=form.placement.data,
            placement_note=form.placement_note.data,
            wants_work=form.wants_work.data,
            note=form.note.data,
        ),
        lambda ex: (
            f"已确认退岗：{ex.person.name}自{ex.effective_on.isoformat()}起退岗"
            + ("（超过报告时限，记为迟报）" if ex.late else "")
        ),
    )


@bp.route("/<int:exit_id>/dismiss", methods=["POST"])
@login_required
def dismiss(exit_id: int):
    form = DismissForm()
    return _act(
        exit_id,
        lambda s: service.dismiss_exit(s, current_user, exit_id, form.reason.data or "", clock.today()),
        "已驳回退岗建议",
    )


@bp.route("/<int:exit_id>/placement", methods=["POST"])
@login_required
def placement(exit_id: int):
    form = PlacementForm()
    return _act(
        exit_id,
        lambda s: service.set_placement(
            s,
            current_user,
            exit_id,
            form.placement.data,
            form.placement_note.data,
            form.wants_work.data,
            clock.today(),
        ),
        "已登记后续安置；四色预警在下次每日巡检时更新",
    )


@bp.route("/<int:exit_id>/notice.pdf")
@login_required
def notice_pdf(exit_id: int):
    ex = service.load_exit(db.session, current_user, exit_id)
    data = exit_notice_pdf(ex, ex.contract.post.township.name)
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=exit_notice_filename(ex),
    )


@bp.route("/notices.pdf")
@login_required
def notices_pdf():
    """The 退岗通知书 of the confirmed exits the list's filters show, for one township (or village), as one
    PDF to print and hand out."""
    require(current_user, "view_exit")
    f = _filter()
    f.status = "confirmed"  # a proposed exit has no notice to hand out yet
    exits = batch_to_print(
        f,
        lambda limit: db.session.scalars(service.exit_query(current_user, f).limit(limit)).unique().all(),
        code="exit_notices",
        what="退岗通知书",
        counted="已确认退岗",
        empty="没有符合筛选条件的已确认退岗可打印通知书：请调整乡镇、原因或搜索条件",
        narrow="村或原因",
    )
    data = exit_notices_pdf(exits)
    record_export(
        db.session,
        current_user,
        "exit_notices_pdf",
        len(exits),
        full_numbers=True,  # the notice is the holder's own document: it carries the whole ID number
        filters={"q": f.q, "township": f.township_id, "village": f.village_id, "reason": f.reason},
    )
    where = exits[0].contract.post.village.name if f.village_id else exits[0].contract.post.township.name
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=f"退岗通知书批量打印-{where}-{clock.today().isoformat()}.pdf",
    )


@bp.route("/mine/<int:contract_id>/notice.pdf")
@login_required
def my_notice(contract_id: int):
    """The holder's own 退岗通知书 (confirmed exits only)."""
    require(current_user, "view_own_records")
    ex = service.confirmed_exit_of(db.session, contract_id)
    if ex is None or ex.person_id != current_user.person_id:
        raise NotFound("退岗通知书")
    data = exit_notice_pdf(ex, ex.contract.post.township.name)
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=exit_notice_filename(ex))


@bp.app_context_processor
def _exit_notice_helper():
    """has_exit_notice(contract) for the holder's page: a confirmed exit exists for the contract."""
    return {
        "has_exit_notice": lambda c: (
            c.exit_on is not None and service.confirmed_exit_of(db.session, c.id) is not None
        )
    }


# ---- worklist, year end, colours, 311 ----


@bp.route("/worklist")
@login_required
def worklist():
    require(current_user, "view_exit")
    today = clock.today()
    w = work.worklist(db.session, current_user, today)
    candidates = {
        v.post.id: service.red_candidates(db.session, current_user, v.post.village_id, today, 5)
        for v in w.vacancies[:50]
    }
    return render_template(
        "exits/worklist.html",
        w=w,
        rules=rules,
        today=today,
        candidates=candidates,
        counts=service.colour_counts(db.session, current_user),
    )


@bp.route("/year-end", methods=["GET", "POST"])
@login_required
def year_end():
    require(current_user, "view_exit")
    today = clock.today()
    township_id = int_arg("township")
    if request.method == "POST":
        require(current_user, "renew_contract")
        decisions = []
        for key, value in request.form.items():
            if key.startswith("do_") and key[3:].isdigit() and value in ("renew", "exit"):
                decisions.append((int(key[3:]), value))
        if not decisions:
            flash("请至少选择一份合同的处理方式", "error")
        else:
            result = work.year_end_apply(db.session, current_user, sorted(decisions), today)
            if result.renewed:
                flash(f"已续签 {len(result.renewed)} 份（待录入意外伤害保险后生效）", "success")
            if result.exited:
                flash(f"已办理期满退岗 {len(result.exited)} 人", "success")
            for e in result.errors[:50]:
                flash(e, "error")
        return redirect(url_for("exits.year_end", township=township_id or None))
    townships, _villages = region_choices(current_user)
    if township_id is None and len(townships) == 1:
        township_id = townships[0][0]
    # a county's year end is thousands of contracts, each re-checked: one township at a time
    rows = work.year_end_rows(db.session, current_user, today, township_id) if township_id else None
    return render_template(
        "exits/year_end.html", rows=rows, today=today, townships=townships, township_id=township_id
    )


@bp.route("/colours")
@login_required
def colours():
    require(current_user, "view_exit")
    f = service.ColourFilter(
        colour=request.args.get("colour", "") if request.args.get("colour") in rules.COLOURS else "",
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        q=request.args.get("q", "").strip()[:100],
    )
    page = db.paginate(
        service.colour_query(current_user, f),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
        error_out=False,
    )
    townships, villages = region_choices(current_user)
    households = service.household_colours(
        db.session, {pc.person.household_id for pc in page.items if pc.person.household_id}
    )
    return render_template(
        "exits/colours.html",
        page=page,
        f=f,
        rules=rules,
        townships=townships,
        villages=villages,
        counts=service.colour_counts(db.session, current_user),
        households=households,
    )


@bp.route("/behind")
@login_required
def behind():
    require(current_user, "view_exit")
    today = clock.today()
    rows = service.behind_schedule(db.session, current_user, today)
    return render_template("exits/behind.html", rows=rows, rules=rules, today=today)


@bp.route("/followup/<int:person_id>", methods=["GET", "POST"])
@login_required
def followup(person_id: int):
    person = get_scoped(db.session, current_user, Person, person_id, "view_exit", "人员")
    today = clock.today()
    form = ServiceForm()
    status = 200
    if request.method == "POST":
        require(current_user, "record_followup", person, what="人员")
        if form.validate_on_submit():
            try:
                given = parse_date(form.given_on.data, "服务日期")
                service.record_service(
                    db.session,
                    current_user,
                    person_id,
                    form.kind.data,
                    given,
                    form.given_by.data,
                    form.note.data,
                    today,
                )
            except DomainError as err:
                flash_error(err)
                status = 422
            else:
                flash("已登记311服务；四色预警在下次每日巡检时更新", "success")
                return redirect(url_for("exits.followup", person_id=person_id))
        else:
            status = 422
    elif not form.given_on.data:
        form.given_on.data = today.isoformat()
    ex = service.latest_exit(db.session, person.id)
    sched = (
        service.schedule_for(db.session, ex, today) if ex is not None and ex.effective_on <= today else None
    )
    return render_template(
        "exits/followup.html",
        p=person,
        ex=ex,
        sched=sched,
        form=form,
        rules=rules,
        services=service.services_of(db.session, person.id),
        colour=service.colour_of_person(db.session, person.id),
        today=today,
        exits=work.person_exit_rows(db.session, person.id),
    ), status


# ---- dashboard ----


@card("view_card_exits")
def exit_cards(actor, today):
    n = work.dashboard_counts(db.session, actor, today)
    cards = [
        Card(
            "待确认的退岗",
            f"{n['proposed']:,}",
            url_for("exits.worklist"),
            note="每日巡检或村级提出，须乡镇确认",
            warn=n["proposed"] > 0,
        ),
        Card(
            "退岗迟报（近90天）",
            f"{n['late']:,}",
            url_for("exits.index", late="1"),
            note="超过县定报告时限才登记的退岗",
            warn=n["late"] > 0,
        ),
        Card(
            "红色预警人员",
            f"{n['red']:,}",
            url_for("exits.colours", colour="red"),
            note="退岗未就业且家庭无人就业或为监测户",
            warn=n["red"] > 0,
        ),
        Card(
            "橙色预警人员",
            f"{n['orange']:,}",
            url_for("exits.colours", colour="orange"),
            note="退岗未就业且311服务落后",
            warn=n["orange"] > 0,
        ),
    ]
    if can(actor, "renew_contract"):
        cards.append(
            Card(
                "年终续签与退岗", "办理", url_for("exits.year_end"), note="两个月内到期的合同：续签或期满退岗"
            )
        )
    return cards
