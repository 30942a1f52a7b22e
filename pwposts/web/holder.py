"""The holder's portal (phone-first): my contract, attendance, payments with their calculation, 申诉.

Also the staff side of 申诉 (answering) and the public payment notice per village and month.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import clock
from ..domain.errors import DomainError, NotFound
from ..domain.formats import parse_month
from ..extensions import db
from ..models.pay import Payment
from ..services import portal
from ..services.permissions import require
from . import flash_error
from .people import int_arg

bp = Blueprint("holder", __name__, url_prefix="/me")
staff_bp = Blueprint("objections", __name__, url_prefix="/objections")
public_bp = Blueprint("public_pay", __name__, url_prefix="/public/payments")


@bp.route("/")
@login_required
def home():
    portal.ensure_holder(current_user)
    view = portal.holder_overview(db.session, current_user, clock.today())
    return render_template("holder/home.html", v=view, today=clock.today())


@bp.route("/payments/<int:payment_id>", methods=["GET", "POST"])
@login_required
def payment(payment_id: int):
    portal.ensure_holder(current_user)
    p = db.session.get(Payment, payment_id)
    if p is None or p.person_id != current_user.person_id:
        raise NotFound("发放记录")
    if request.method == "POST":
        try:
            portal.raise_objection(
                db.session, current_user, p.id, request.form.get("content", ""), clock.today()
            )
            flash("申诉已提交，乡镇经办人答复后会显示在这里", "success")
            return redirect(url_for("holder.payment", payment_id=p.id))
        except DomainError as err:
            flash_error(err)
    view = portal.holder_overview(db.session, current_user, clock.today())
    related = [x for x in view.payments if x.original_payment_id == p.id or x.id == p.original_payment_id]
    objections = [o for o in view.objections if o.payment_id == p.id]
    return render_template("holder/payment.html", p=p, related=related, objections=objections)


@bp.route("/months/<int:contract_id>/<month>", methods=["GET", "POST"])
@login_required
def month(contract_id: int, month: str):
    """One month of the holder's contract with its state and reason; 申诉 when it was not paid."""
    portal.ensure_holder(current_user)
    month = parse_month(month)
    today = clock.today()
    view = portal.holder_overview(db.session, current_user, today)
    entry = next((m for m in view.months if m.contract_id == contract_id and m.month == month), None)
    if entry is None:
        raise NotFound("该月份")
    if entry.payment_id is not None and request.method == "GET":
        return redirect(url_for("holder.payment", payment_id=entry.payment_id))
    if request.method == "POST":
        try:
            portal.raise_month_objection(
                db.session, current_user, contract_id, month, request.form.get("content", ""), today
            )
            flash("申诉已提交，乡镇经办人答复后会显示在这里", "success")
            return redirect(url_for("holder.month", contract_id=contract_id, month=month))
        except DomainError as err:
            if err.status in (403, 404):
                raise
            flash_error(err)
    objections = [
        o
        for o in view.objections
        if o.contract_id == contract_id and o.month == month and o.payment_id is None
    ]
    return render_template("holder/month.html", m=entry, objections=objections)


@staff_bp.route("/")
@login_required
def index():
    require(current_user, "view_payroll")
    status = request.args.get("status", "open")
    page = db.paginate(
        portal.objection_query(current_user, status), page=int_arg("page") or 1, per_page=50, error_out=False
    )
    return render_template("holder/objections.html", page=page, status=status)


@staff_bp.route("/<int:objection_id>/answer", methods=["POST"])
@login_required
def answer(objection_id: int):
    try:
        portal.answer_objection(
            db.session, current_user, objection_id, request.form.get("answer", ""), clock.today()
        )
        flash("已答复，岗位人员可在“我的岗位”中看到答复", "success")
    except DomainError as err:
        if err.status in (403, 404):
            raise
        flash_error(err)
    return redirect(url_for("objections.index"))


@public_bp.route("/<village_code>/<month>")
def notice(village_code: str, month: str):
    """补贴发放公示表 for a village and month: no login, ID numbers masked."""
    month = parse_month(month)
    village, lines = portal.payment_notice(db.session, village_code, month)
    return render_template(
        "holder/public_notice.html",
        village=village,
        month=month,
        lines=lines,
        total=sum(line.amount_fen for line in lines),
    )
