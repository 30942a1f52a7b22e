"""合同 pages: the list (search, filters, export), signing for a hired application, the contract
with its insurance, activation, renewal and voiding, and the printable PDF."""

from __future__ import annotations

import io
from dataclasses import astuple
from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import clock
from ..documents import contracts_xlsx
from ..documents.contracts_pdf import contract_filename, contract_html, contracts_batch_pdf
from ..documents.pdf import html_to_pdf
from ..domain.contracts import (
    CONTRACT_KINDS,
    CONTRACT_STATE_LABELS,
    CONTRACT_STATES,
    EXPIRING_DAYS,
    first_terms,
    latest_end,
)
from ..domain.errors import DomainError
from ..domain.formats import parse_date
from ..domain.people import mask_id_number
from ..extensions import db
from ..pagination import cached_select
from ..services import contracts as service
from ..services import exits as exits_service
from ..services.contract_documents import stored_contract_pdf
from ..services.exports import record_export
from ..services.permissions import can, require, scope_key
from . import flash_error
from .dashboard import Card, card
from .people import batch_to_print, int_arg, region_choices
from .row_pages import paginate_rows

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

DATE_INPUT = {"type": "date", "placeholder": "2026-03-01"}


class TermsForm(FlaskForm):
    kind = SelectField("合同类型", choices=list(CONTRACT_KINDS), default=CONTRACT_KINDS[0])
    start_on = StringField("起始日期", validators=[DataRequired("请填写起始日期")], render_kw=DATE_INPUT)
    end_on = StringField(
        "截止日期",
        validators=[DataRequired("请填写截止日期")],
        render_kw=DATE_INPUT,
        description="每次签订期限不超过1年：截止日期最晚为起始日期一周年的前一天",
    )
    signed_on = StringField(
        "签订日期", validators=[Optional()], render_kw=DATE_INPUT, description="不填则为今天"
    )


class InsuranceForm(FlaskForm):
    insurer = StringField("承保机构", validators=[DataRequired("请填写承保机构"), Length(max=100)])
    policy_no = StringField("保单号", validators=[DataRequired("请填写保单号"), Length(max=60)])
    start_on = StringField(
        "保险起始日期", validators=[DataRequired("请填写保险起始日期")], render_kw=DATE_INPUT
    )
    end_on = StringField(
        "保险截止日期", validators=[DataRequired("请填写保险截止日期")], render_kw=DATE_INPUT
    )


class VoidForm(FlaskForm):
    reason = TextAreaField("作废原因", validators=[DataRequired("请填写作废原因"), Length(max=500)])


def _terms(form: TermsForm):
    """Parse a terms form's dates; once the start is known, show the latest allowed end next to it."""
    start = parse_date(form.start_on.data, "起始日期")
    form.start_on.description = f"按此起始日期，截止日期最晚为 {latest_end(start).isoformat()}（一年一签）"
    end = parse_date(form.end_on.data, "截止日期")
    signed = parse_date(form.signed_on.data, "签订日期") if (form.signed_on.data or "").strip() else None
    return form.kind.data, start, end, signed


def _filter() -> service.ContractFilter:
    return service.ContractFilter(
        q=request.args.get("q", "").strip()[:100],
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        status=request.args.get("status", "") if request.args.get("status") in CONTRACT_STATES else "",
        expiring=request.args.get("expiring") == "1",
    )


# ---- list and export ----


@bp.route("/")
@login_required
def index():
    require(current_user, "view_contract")
    today = clock.today()
    f = _filter()
    page = paginate_rows(
        cached_select(
            ("contracts", scope_key(current_user), astuple(f), today),
            lambda: service.contract_ids(current_user, f, today),
        ),
        statement=lambda ids: service.contract_list_statement(ids, f),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
    )
    townships, villages = region_choices(current_user)
    awaiting = service.awaiting_signing_count(db.session, current_user)
    return render_template(
        "contracts/index.html",
        page=page,
        f=f,
        townships=townships,
        villages=villages,
        states=CONTRACT_STATES,
        labels=CONTRACT_STATE_LABELS,
        today=today,
        awaiting=awaiting,
        expiring_days=EXPIRING_DAYS,
        soon=today + timedelta(days=EXPIRING_DAYS),
    )


@bp.route("/export")
@login_required
def export():
    require(current_user, "view_contract")
    today = clock.today()
    rows = []
    contracts = db.session.scalars(service.contract_query(current_user, _filter(), today)).unique()
    for i, c in enumerate(contracts, 1):
        p = service.latest_policy(c)
        full = can(current_user, "view_full_id_number", c.person)
        rows.append(
            (
                i,
                c.code,
                c.person.name,
                c.person.id_number if full else mask_id_number(c.person.id_number),
                c.post.township.name,
                c.post.village.name,
                c.post.title,
                c.kind,
                c.start_on,
                c.end_on,
                Decimal(c.allowance_fen) / 100,
                c.required_days,
                "全日制" if c.full_time else "非全日制",
                CONTRACT_STATE_LABELS.get(c.status, c.status),
                f"{p.insurer} {p.policy_no}（{p.start_on.isoformat()} 至 {p.end_on.isoformat()}）"
                if p
                else "",
                c.signed_on,
            )
        )
    record_export(
        db.session,
        current_user,
        "contracts",
        len(rows),
        full_numbers=can(current_user, "view_full_id_number"),
        filters=request.args.to_dict(),
    )
    out = io.BytesIO()
    contracts_xlsx.write_contracts(out, rows)
    out.seek(0)
    return send_file(
        out,
        mimetype=contracts_xlsx.XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"合同台账-{today.isoformat()}.xlsx",
    )


# ---- sign, renew ----


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(current_user, "sign_contract")
    application_id = int_arg("application_id")
    if application_id is None:
        flash("请从招聘页面选择已聘用的人员签订合同", "error")
        return redirect(url_for("contracts.index"))
    app = service.hired_application(db.session, current_user, application_id)
    existing = service.contract_for_application(db.session, app.id)
    if request.method == "GET" and existing is not None:
        flash(f"{app.person.name}已签订合同 {existing.code}", "info")
        return redirect(url_for("contracts.detail", contract_id=existing.id))
    form = TermsForm()
    hired_on = app.hire_date
    if request.method == "GET":
        form.signed_on.data = clock.today().isoformat()
        if (
            hired_on is not None
        ):  # the first signing after the hire: from the next day, as long as one year allows
            start, end = first_terms(hired_on)
            form.start_on.data, form.end_on.data = start.isoformat(), end.isoformat()
            form.start_on.description = (
                f"聘用日期 {hired_on.isoformat()}，合同不得早于聘用日期开始；"
                f"按此起始日期，截止日期最晚为 {end.isoformat()}（一年一签）"
            )
    status = 200
    if form.validate_on_submit():
        try:
            kind, start, end, signed = _terms(form)
            c = service.sign_contract(
                db.session, current_user, application_id, kind, start, end, clock.today(), signed
            )
        except DomainError as err:
            flash_error(err)
            status = 422
        else:
            flash(f"已签订{c.kind} {c.code}；录入覆盖合同期的意外伤害保险后即可生效", "success")
            return redirect(url_for("contracts.detail", contract_id=c.id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "contracts/sign.html", form=form, app=app, post=app.notice.post, hired_on=hired_on
    ), status


@bp.route("/pending")
@login_required
def pending():
    """已聘用待签协议: hired applications in the actor's region with no contract yet."""
    require(current_user, "view_contract")
    f = service.PendingFilter(
        q=request.args.get("q", "").strip()[:100],
        township_id=int_arg("township"),
        village_id=int_arg("village"),
    )
    page = db.paginate(
        service.awaiting_signing(current_user, f),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
        error_out=False,
    )
    townships, villages = region_choices(current_user)
    return render_template(
        "contracts/pending.html",
        page=page,
        f=f,
        townships=townships,
        villages=villages,
        today=clock.today(),
        first_terms=first_terms,
    )


@bp.route("/<int:contract_id>/renew", methods=["GET", "POST"])
@login_required
def renew(contract_id: int):
    require(current_user, "renew_contract")
    old = service.load_contract(db.session, current_user, contract_id)
    require(current_user, "renew_contract", old, what="合同")
    form = TermsForm()
    today = clock.today()
    if request.method == "GET":
        start = old.end_on + timedelta(days=1)
        form.kind.data = old.kind
        form.start_on.data = start.isoformat()
        form.end_on.data = latest_end(start).isoformat()
        form.signed_on.data = today.isoformat()
        form.start_on.description = (
            f"续签须与原合同相接；按此起始日期，截止日期最晚为 {latest_end(start).isoformat()}"
        )
    status = 200
    if form.validate_on_submit():
        try:
            kind, start, end, signed = _terms(form)
            c = service.renew_contract(db.session, current_user, contract_id, kind, start, end, today, signed)
        except DomainError as err:
            flash_error(err)
            status = 422
        else:
            flash(f"已续签{c.kind} {c.code}；录入意外伤害保险并生效后，原合同 {old.code} 随之终止", "success")
            return redirect(url_for("contracts.detail", contract_id=c.id))
    elif request.method == "POST":
        status = 422
    grade = service.latest_annual_grade(db.session, old.id)
    return render_template("contracts/renew.html", form=form, old=old, grade=grade), status


# ---- one contract ----


@bp.route("/<int:contract_id>")
@login_required
def detail(contract_id: int):
    c = service.load_contract(db.session, current_user, contract_id)
    today = clock.today()
    ins = InsuranceForm(formdata=None, start_on=c.start_on.isoformat(), end_on=c.end_on.isoformat())
    history = service.contract_history(db.session, c) if can(current_user, "view_contract") else []
    return render_template(
        "contracts/detail.html",
        c=c,
        today=today,
        labels=CONTRACT_STATE_LABELS,
        covering=service.covering_policy(c),
        renewal=service.renewal_of(db.session, c),
        grade=service.latest_annual_grade(db.session, c.id),
        ins_form=ins,
        void_form=VoidForm(formdata=None),
        history=history,
        exits=exits_service.exits_of_contract(db.session, c.id),
        exit_reason_label=exits_service.rules.reason_label,
    )


@bp.route("/<int:contract_id>/insurance", methods=["POST"])
@login_required
def insurance(contract_id: int):
    c = service.load_contract(db.session, current_user, contract_id)
    require(current_user, "record_insurance", c, what="合同")
    form = InsuranceForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    try:
        start = parse_date(form.start_on.data, "保险起始日期")
        end = parse_date(form.end_on.data, "保险截止日期")
        service.record_insurance(
            db.session,
            current_user,
            contract_id,
            form.insurer.data,
            form.policy_no.data,
            start,
            end,
            clock.today(),
        )
    except DomainError as err:
        flash_error(err)
    else:
        flash("已录入意外伤害保险", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/activate", methods=["POST"])
@login_required
def activate(contract_id: int):
    c = service.load_contract(db.session, current_user, contract_id)
    require(current_user, "activate_contract", c, what="合同")
    try:
        c = service.activate_contract(db.session, current_user, c, clock.today())
    except DomainError as err:
        flash_error(err)
    else:
        flash(f"合同 {c.code} 已生效", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/void", methods=["POST"])
@login_required
def void(contract_id: int):
    c = service.load_contract(db.session, current_user, contract_id)
    require(current_user, "void_contract", c, what="合同")
    form = VoidForm()
    try:
        c = service.void_draft(db.session, current_user, c, form.reason.data or "", clock.today())
    except DomainError as err:
        flash_error(err)
    else:
        flash(f"合同 {c.code} 已作废", "success")
    return redirect(url_for("contracts.detail", contract_id=contract_id))


@bp.route("/<int:contract_id>/pdf")
@login_required
def pdf(contract_id: int):
    c = service.load_contract(db.session, current_user, contract_id)
    full = can(current_user, "view_full_id_number", c.person) or c.person_id == current_user.person_id
    html = contract_html(c, service.covering_policy(c), c.post.township.name, full_id=full)
    # a download of personal data is audited
    record_export(db.session, current_user, "contract_pdf", 1, full_numbers=full, object_id=c.id)
    if not full:  # a masked reader's copy is rendered for them, never stored over the signing copy
        return send_file(
            io.BytesIO(html_to_pdf(html)),
            mimetype="application/pdf",
            as_attachment=request.args.get("download") == "1",
            download_name=contract_filename(c),
        )
    data, digest, _rendered = stored_contract_pdf(db.session, c, html)  # a first rendering is kept
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=contract_filename(c),
    )
    response.headers["X-Content-SHA256"] = digest
    return response


@bp.route("/batch.pdf")
@login_required
def batch_pdf():
    """The contracts of a township (or village) matching the list's filters, as one PDF to print."""
    require(current_user, "view_contract")
    f = _filter()
    contracts = batch_to_print(
        f,
        lambda limit: (
            db.session.scalars(service.contract_query(current_user, f, clock.today()).limit(limit))
            .unique()
            .all()
        ),
        code="contracts_batch",
        what="合同",
        counted="合同",
        empty="没有符合筛选条件的合同可打印：请调整状态或乡镇筛选",
        narrow="村或状态",
    )
    full = can(current_user, "view_full_id_number")
    data = contracts_batch_pdf(
        [(c, service.covering_policy(c), c.post.township.name) for c in contracts], full_id=full
    )
    record_export(
        db.session,
        current_user,
        "contracts_batch_pdf",
        len(contracts),
        full_numbers=full,
        filters={"township": f.township_id, "village": f.village_id},
    )
    where = contracts[0].post.village.name if f.village_id else contracts[0].post.township.name
    name = f"合同批量打印-{where}-{clock.today().isoformat()}.pdf"
    return send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=name,
    )


# ---- dashboard ----


@card("view_card_contracts")
def contract_cards(actor, today):
    n = service.dashboard_counts(db.session, actor, today)
    awaiting = service.awaiting_signing_count(db.session, actor)
    return [
        Card(
            "已聘用待签协议",
            f"{awaiting:,}",
            url_for("contracts.pending"),
            note="聘用后尚未签订劳务协议的人员",
            warn=awaiting > 0,
        ),
        Card(
            "待录入保险的合同",
            f"{n['draft_no_insurance']:,}",
            url_for("contracts.index", status="draft"),
            note="录入覆盖合同期的意外伤害保险后方可生效",
            warn=n["draft_no_insurance"] > 0,
        ),
        Card(
            "已录保险待生效",
            f"{n['draft_ready']:,}",
            url_for("contracts.index", status="draft"),
            warn=n["draft_ready"] > 0,
        ),
        Card(
            f"{EXPIRING_DAYS}天内到期未续签",
            f"{n['expiring']:,}",
            url_for("contracts.index", expiring="1"),
            note="续签须年度考核合格；不续签的办理退岗",
            warn=n["expiring"] > 0,
        ),
    ]
