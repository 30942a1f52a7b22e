"""发放 screens: payroll runs (list, prepare, preview with the per-holder computation, approval by a
second person, void), bank files and results, retries, corrections, the printed 汇总表 and 公示表,
and the arrears (拖欠) page for HR and inspectors."""

from __future__ import annotations

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ... import clock
from ...documents import bank_files
from ...domain.errors import DomainError, Forbidden, NotFound
from ...domain.formats import month_heading, parse_month, parse_yuan, yuan
from ...domain.pay import PAYMENT_STATE_LABELS, RUN_KIND_LABELS, RUN_STATE_LABELS, RUN_STATES
from ...domain.people import mask_id_number
from ...extensions import db
from ...models.accounts import User
from ...models.pay import Payment
from ...pagination import cached_select
from ...services import pay as service
from ...services.contract_documents import stored_run_pdf
from ...services.exports import record_export
from ...services.permissions import can, require, scope_key
from ...services.settings import county_of
from .. import flash_error
from ..dashboard import Card, card
from ..people import int_arg, region_choices
from ..row_pages import paginate_rows
from . import bp


def _last_month(today: date) -> str:
    y, m = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    return f"{y:04d}-{m:02d}"


def _month_filter() -> str | None:
    raw = request.args.get("month", "").strip()
    if not raw:
        return None
    try:
        return parse_month(raw)
    except DomainError as err:
        flash_error(err)
        return None


class PrepareForm(FlaskForm):
    township = SelectField("乡镇", coerce=int, validators=[DataRequired("请选择乡镇")])
    month = StringField(
        "月份",
        validators=[DataRequired("请填写月份")],
        render_kw={"placeholder": "2026-10"},
        description="按季度发放的县，请填写季度末月份（3、6、9、12月），清册包含该季度三个月",
    )


class CorrectionForm(FlaskForm):
    kind = SelectField(
        "类型", choices=[SelectChoice("补发", "补发（少发补足）"), SelectChoice("扣回", "扣回（多发追回）")]
    )
    amount = StringField(
        "金额（元）", validators=[DataRequired("请填写金额")], render_kw={"placeholder": "50.00"}
    )
    reason = TextAreaField(
        "原因",
        validators=[DataRequired("请填写原因"), Length(min=4, max=500)],
        description="发放对象本人可以看到此原因",
    )


def _prepare_form(today: date) -> PrepareForm:
    form = PrepareForm()
    townships, _ = region_choices(current_user)
    form.township.choices = [(i, n) for i, n in townships]
    if not form.month.data:
        form.month.data = _last_month(today)
    return form


# ---------------------------------------------------------------- runs


@bp.route("/runs")
@login_required
def runs():
    require(current_user, "view_payroll")
    today = clock.today()
    status = request.args.get("status", "")
    status = status if status in RUN_STATES else ""
    township_id = int_arg("township")
    month = _month_filter()
    page = paginate_rows(
        cached_select(
            ("runs", scope_key(current_user), township_id, month, status),
            lambda: service.run_ids(current_user, township_id=township_id, month=month, status=status),
        ),
        statement=service.run_list_statement,
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 30, 200),
    )
    townships, _ = region_choices(current_user)
    # The prepare form is written out in the template (its township drop-down from the cached choices):
    # a GET never carries its data, and building and rendering the WTForms form cost ~1 ms per list.
    return render_template(
        "pay/payroll_runs.html",
        page=page,
        townships=townships,
        township_id=township_id,
        month=month or "",
        status=status,
        labels=RUN_STATE_LABELS,
        prepare=can(current_user, "prepare_payroll"),
        last_month=_last_month(today),
        kind_labels=RUN_KIND_LABELS,
    )


@bp.route("/runs/prepare", methods=["POST"])
@login_required
def run_prepare():
    require(current_user, "prepare_payroll")
    today = clock.today()
    form = _prepare_form(today)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for e in errors:
                flash(e, "error")
        return redirect(url_for("pay.runs"))
    try:
        run = service.prepare_run(db.session, current_user, form.township.data, form.month.data, today)
        run_id, lines, unpaid, total = run.id, run.line_count, run.unpaid_count, run.total_fen
    except (Forbidden, NotFound):
        raise
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("pay.runs"))
    flash(
        f"已生成发放清册：{lines}人，合计{yuan(total)}"
        + (f"；{unpaid}人无已审核考勤，未计发" if unpaid else "")
        + "。请另一名工作人员核对后审批。",
        "info",
    )
    return redirect(url_for("pay.run_detail", run_id=run_id))


@bp.route("/runs/<int:run_id>")
@login_required
def run_detail(run_id: int):
    today = clock.today()
    view = service.run_view(db.session, current_user, run_id, today)
    run = view.run
    status = request.args.get("status", "")
    status = status if status in PAYMENT_STATE_LABELS else ""
    village_id = int_arg("village")
    q = request.args.get("q", "").strip()[:50]
    page = db.paginate(
        service.line_query(run.id, status=status or None, village_id=village_id, q=q, actor=current_user),
        page=int_arg("page") or 1,
        per_page=min(int_arg("per_page") or 50, 200),
        error_out=False,
    )
    users = _users({run.prepared_by_id, run.approved_by_id})
    return render_template(
        "pay/payroll_run.html",
        v=view,
        run=run,
        page=page,
        users=users,
        status=status,
        village_id=village_id,
        q=q,
        run_labels=RUN_STATE_LABELS,
        pay_labels=PAYMENT_STATE_LABELS,
        today=today,
        kind_labels=RUN_KIND_LABELS,
        is_preparer=run.prepared_by_id == current_user.id,
    )


def _act(run_id: int, fn, success: str):
    try:
        result = fn(db.session)
    except (Forbidden, NotFound):
        raise  # the error page: 403 / 404
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("pay.run_detail", run_id=run_id))
    flash(success.format(result=result), "info")
    return redirect(url_for("pay.run_detail", run_id=run_id))


@bp.route("/runs/<int:run_id>/approve", methods=["POST"])
@login_required
def run_approve(run_id: int):
    require(current_user, "approve_payroll")
    today = clock.today()
    return _act(
        run_id,
        lambda s: service.approve_run(s, current_user, run_id, today).line_count,
        "清册已审批（{result}人），相应考勤已锁定。可导出银行代发文件。",
    )


@bp.route("/runs/<int:run_id>/reprepare", methods=["POST"])
@login_required
def run_reprepare(run_id: int):
    require(current_user, "prepare_payroll")
    today = clock.today()
    run = service.load_run(db.session, current_user, run_id, "prepare_payroll")
    township_id, month, kind = run.township_id, run.month, run.kind
    return _act(
        run_id,
        lambda s: service.prepare_run(s, current_user, township_id, month, today, kind).line_count,
        "已按最新考勤重新生成清册（{result}人）。",
    )


@bp.route("/runs/<int:run_id>/supplementary", methods=["POST"])
@login_required
def run_supplementary(run_id: int):
    """生成补充清册 for the township-month of an approved run: holders whose attendance was approved later."""
    require(current_user, "prepare_payroll")
    today = clock.today()
    run = service.load_run(db.session, current_user, run_id, "prepare_payroll")
    township_id, month = run.township_id, run.month
    try:
        supp = service.prepare_run(db.session, current_user, township_id, month, today, "supplementary")
        supp_id, lines, total = supp.id, supp.line_count, supp.total_fen
    except (Forbidden, NotFound):
        raise
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("pay.run_detail", run_id=run_id))
    flash(
        f"已生成补充清册（第{supp_id}号）：{lines}人，合计{yuan(total)}。请另一名工作人员核对后审批。",
        "info",
    )
    return redirect(url_for("pay.run_detail", run_id=supp_id))


@bp.route("/runs/<int:run_id>/void", methods=["POST"])
@login_required
def run_void(run_id: int):
    require(current_user, "prepare_payroll")
    today = clock.today()
    reason = request.form.get("reason", "")
    try:
        service.void_run(db.session, current_user, run_id, reason, today)
    except (Forbidden, NotFound):
        raise
    except DomainError as err:
        flash_error(err)
        return redirect(url_for("pay.run_detail", run_id=run_id))
    flash(f"第{run_id}号清册已作废，可重新为该月造册。", "info")
    return redirect(url_for("pay.runs"))


# ---------------------------------------------------------------- bank


@bp.route("/runs/<int:run_id>/bank.<fmt>")
@login_required
def run_bank_file(run_id: int, fmt: str):
    if fmt not in ("xlsx", "csv"):
        return render_template("error.html", code=404, message="不支持的文件格式"), 404
    run = service.load_run(db.session, current_user, run_id, "record_bank_result")
    batch, rows = service.bank_file_rows(db.session, run, int_arg("batch"))
    if not rows:
        flash("没有待发放的明细（可能均已发放或尚待银行回盘）", "error")
        return redirect(url_for("pay.run_detail", run_id=run_id))
    name = f"{run.township.name}{month_heading(run.month)}代发文件-第{run.id}号-第{batch}批.{fmt}"
    record_export(
        db.session,
        current_user,
        "bank_file",
        len(rows),
        full_numbers=True,
        object_id=run.id,
        filters={"batch": batch, "format": fmt},
    )
    if fmt == "csv":
        body, mimetype = bank_files.payment_csv(rows), bank_files.CSV_MIMETYPE
    else:
        body, mimetype = bank_files.payment_xlsx(rows, name), bank_files.XLSX_MIMETYPE
    return _download(body, mimetype, name)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    from urllib.parse import quote

    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return resp


@bp.route("/runs/<int:run_id>/bank-results", methods=["POST"])
@login_required
def run_bank_results(run_id: int):
    require(current_user, "record_bank_result")
    today = clock.today()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择银行结果文件（.xlsx 或 .csv）", "error")
        return redirect(url_for("pay.run_detail", run_id=run_id))
    data, filename = upload.read(), upload.filename
    return _act(
        run_id,
        lambda s: service.import_bank_results(s, current_user, run_id, filename, data, today),
        "已导入银行结果：成功{result.paid}笔，失败{result.failed}笔。",
    )


@bp.route("/runs/<int:run_id>/retry", methods=["POST"])
@login_required
def run_retry(run_id: int):
    require(current_user, "record_bank_result")
    today = clock.today()
    return _act(
        run_id,
        lambda s: service.retry_failed(s, current_user, run_id, today),
        "发放失败的{result}笔已转入新批次，请导出新的代发文件。",
    )


# ---------------------------------------------------------------- printed documents


def _sheet_context(run):
    lines = service.sheet_lines(db.session, run)
    users = _users({run.prepared_by_id, run.approved_by_id})
    county = county_of(db.session, run.township)
    months = sorted({ln.month for ln in lines}) or [run.month]
    return {
        "run": run,
        "lines": lines,
        "total_fen": sum(ln.amount_fen for ln in lines),
        "county": county,
        "preparer": users.get(run.prepared_by_id),
        "approver": users.get(run.approved_by_id),
        "months": months,
        "multi_month": len(months) > 1,
        "today": clock.today(),
        "supplementary": run.kind == "supplementary",
    }


@bp.route("/runs/<int:run_id>/summary.pdf")
@login_required
def run_summary_pdf(run_id: int):
    run = service.load_run(db.session, current_user, run_id)
    if run.status == "void":
        flash("已作废的清册不能打印", "error")
        return redirect(url_for("pay.run_detail", run_id=run_id))
    ctx = _sheet_context(run)
    full = can(current_user, "view_full_id_number", run)
    html = render_template(
        "pdf/payroll_summary.html", id_text=(lambda n: n) if full else mask_id_number, **ctx
    )
    # rendered once while nothing printed on it changes (an approved run's sheet is downloaded, printed,
    # signed and downloaded again): the layout of a long table is most of a download's time
    pdf, _digest, _rendered = stored_run_pdf(
        db.session, run.id, "summary_full" if full else "summary_masked", html
    )
    return _download(
        pdf,
        "application/pdf",
        f"{run.township.name}{month_heading(run.month)}出勤天数和拟拨付岗位补贴金额汇总表"
        f"{'（补充）' if run.kind == 'supplementary' else ''}.pdf",
    )


@bp.route("/runs/<int:run_id>/notice.pdf")
@login_required
def run_notice_pdf(run_id: int):
    run = service.load_run(db.session, current_user, run_id)
    if run.status == "void":
        flash("已作废的清册不能打印", "error")
        return redirect(url_for("pay.run_detail", run_id=run_id))
    ctx = _sheet_context(run)
    html = render_template("pdf/payment_notice.html", id_text=mask_id_number, **ctx)
    pdf, _digest, _rendered = stored_run_pdf(db.session, run.id, "notice", html)
    return _download(
        pdf,
        "application/pdf",
        f"{run.township.name}{month_heading(run.month)}补贴发放公示表"
        f"{'（补充）' if run.kind == 'supplementary' else ''}.pdf",
    )


# ---------------------------------------------------------------- corrections


@bp.route("/payments/<int:payment_id>/correct", methods=["GET", "POST"])
@login_required
def payment_correct(payment_id: int):
    require(current_user, "correct_payment")
    today = clock.today()
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.run is None:
        return render_template("error.html", code=404, message="发放明细不存在或您无权查看"), 404
    require(current_user, "correct_payment", payment.run, what="发放明细")
    form = CorrectionForm()
    corrections = db.session.scalars(
        select(Payment).where(Payment.original_payment_id == payment.id).order_by(Payment.id)
    ).all()
    if form.validate_on_submit():
        try:
            amount = parse_yuan(form.amount.data, "金额")
            line = service.correct_payment(
                db.session, current_user, payment.id, form.kind.data, amount, form.reason.data, today
            )
            kind, batch = line.kind, line.bank_batch
            flash(
                f"已登记{kind}（新明细，原明细不变）"
                + (f"，转入第{batch}批待发放" if kind == "补发" else ""),
                "info",
            )
            return redirect(url_for("pay.run_detail", run_id=payment.run_id))
        except (Forbidden, NotFound):
            raise
        except DomainError as err:
            flash_error(err)
    return render_template(
        "pay/payroll_correct.html",
        p=payment,
        form=form,
        corrections=corrections,
        pay_labels=PAYMENT_STATE_LABELS,
    )


# ---------------------------------------------------------------- arrears


@bp.route("/arrears")
@login_required
def arrears():
    require(current_user, "view_arrears")
    today = clock.today()
    township_id = int_arg("township")
    month = _month_filter()
    show_all = request.args.get("all") == "1"
    limit, rows = service.arrears(
        db.session, current_user, today, township_id=township_id, month=month, flagged_only=not show_all
    )
    townships, _ = region_choices(current_user)
    return render_template(
        "pay/payroll_arrears.html",
        rows=rows,
        limit=limit,
        townships=townships,
        township_id=township_id,
        month=month or "",
        show_all=show_all,
        labels=RUN_STATE_LABELS,
    )


# ---------------------------------------------------------------- dashboard


@card("view_card_payroll")
def payroll_cards(actor, today):
    total, mine = service.count_awaiting_approval(db.session, actor)
    return [
        Card(
            "待审批发放清册",
            str(total),
            url_for("pay.runs", status="preview"),
            note=f"其中{mine}份可由您审批（造册人不能审批本人清册）" if total else "",
            warn=mine > 0,
        )
    ]


@card("view_card_arrears")
def arrears_cards(actor, today):
    limit, rows = service.arrears(db.session, actor, today)
    return [
        Card(
            "发放拖欠（乡镇·月）",
            str(len(rows)),
            url_for("pay.arrears"),
            note=f"超过{limit}天未发放，或实发人数少于花名册",
            warn=bool(rows),
        )
    ]


def _users(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
