"""纪检监察 workspace: flags by rule, region, severity, status and period; a flag's evidence and the
inspector's workflow (assign, note, dispose, rectification); case reports; a person's whole history.

Inspectors work here; the county admin reads (and may run a scan) but cannot dispose; township and
village staff have no access (permissions: view_flags, work_flag, dispose_flag, run_scan).
"""

from __future__ import annotations

import io
import json

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..documents.pdf import render_pdf
from ..documents.svg import bar_chart_svg, graph_svg, stacked_table_svg
from ..domain.errors import DomainError
from ..domain.formats import parse_date, parse_month, yuan
from ..domain.rules import (
    DISMISS_REASONS,
    FLAG_STATE_LABELS,
    RECTIFICATION_LABELS,
    RECTIFICATION_STATE_LABELS,
    SEVERITY_LABELS,
)
from ..domain.rules.catalog import RULES
from ..extensions import db
from ..models.accounts import User
from ..models.oversight import Flag
from ..models.people import Region
from ..services.oversight import reports, run_scan, workflow
from ..services.permissions import can, require, roles_with
from . import use_case
from .dashboard import Card, card

bp = Blueprint("oversight", __name__, url_prefix="/oversight")


@bp.app_template_filter("rule_title")
def rule_title(rule_id: str) -> str:
    r = RULES.get(rule_id)
    return r.title if r else rule_id


def _filters() -> dict:
    args = request.args
    out = {
        "rule": args.get("rule") or None,
        "severity": args.get("severity") or None,
        "status": args.get("status") or None,
        "q": (args.get("q") or "").strip(),
    }
    out["township_id"] = args.get("township_id", type=int)
    try:
        out["month_from"] = parse_month(args["from"], "起始月份") if args.get("from") else None
        out["month_to"] = parse_month(args["to"], "截止月份") if args.get("to") else None
    except DomainError:
        raise
    if out["rule"] and out["rule"] not in RULES:
        out["rule"] = None
    return out


def _townships():
    return db.session.scalars(select(Region).where(Region.level == "township").order_by(Region.code)).all()


@bp.route("/")
@login_required
def index():
    require(current_user, "view_flags")
    f = _filters()
    stmt = workflow.flag_query(current_user, **f)
    page = db.paginate(
        stmt.order_by(Flag.status != "open", Flag.severity, Flag.money_fen.desc(), Flag.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=50,
        error_out=False,
    )
    total_money = db.session.scalar(select(func.coalesce(func.sum(stmt.subquery().c.money_fen), 0)))
    by_town = workflow.counts_by_township(db.session, stmt)
    return render_template(
        "oversight/index.html",
        page=page,
        f=f,
        rules=RULES,
        townships=_townships(),
        by_town=by_town,
        total_money=total_money,
        severities=SEVERITY_LABELS,
        states=FLAG_STATE_LABELS,
        precision=workflow.rule_precision(db.session),
        charts=_charts(stmt),
    )


def _charts(stmt) -> dict:
    matrix = workflow.counts_by_rule_and_township(db.session, stmt)
    per_rule: dict[str, int] = {}
    per_town: dict[str, int] = {}
    for (rule, town), n in matrix.items():
        per_rule[rule] = per_rule.get(rule, 0) + n
        per_town[town] = per_town.get(town, 0) + n
    rules = sorted(per_rule, key=lambda r: -per_rule[r])
    towns = sorted(per_town, key=lambda t: -per_town[t])
    titled = {(rule_title(r), t): n for (r, t), n in matrix.items()}
    return {
        "per_rule": bar_chart_svg([(rule_title(r), per_rule[r]) for r in rules], title="各规则线索数"),
        "per_town": bar_chart_svg([(t, per_town[t]) for t in towns], title="各乡镇线索数", colour="#b45309"),
        "grid": stacked_table_svg(titled, [rule_title(r) for r in rules], towns, title="规则 × 乡镇"),
    }


def dashboard_chart():
    """The charts on the inspector's and the county's dashboards: open flags per rule and township,
    payments per month, active holders per township and per post category."""
    if not can(current_user, "view_flags"):
        return None
    charts = _charts(workflow.flag_query(current_user, status="open"))
    charts.update(_programme_charts())
    return charts


def _programme_charts() -> dict:
    from ..models.contracts import Contract
    from ..models.pay import Payment
    from ..models.policy import PostCategory
    from ..models.posts import Post

    months = db.session.execute(
        select(Payment.month, func.sum(Payment.amount_fen))
        .where(Payment.status != "failed")
        .group_by(Payment.month)
        .order_by(Payment.month.desc())
        .limit(12)
    ).all()
    town = db.session.execute(
        select(Region.name, func.count(func.distinct(Contract.person_id)))
        .join(Post, Post.id == Contract.post_id)
        .join(Region, Region.id == Post.township_id)
        .where(Contract.status == "active")
        .group_by(Region.name)
        .order_by(func.count(func.distinct(Contract.person_id)).desc())
    ).all()
    cats = db.session.execute(
        select(PostCategory.name, func.count(func.distinct(Contract.person_id)))
        .join(Post, Post.category_id == PostCategory.id)
        .join(Contract, Contract.post_id == Post.id)
        .where(Contract.status == "active")
        .group_by(PostCategory.name)
        .order_by(func.count(func.distinct(Contract.person_id)).desc())
    ).all()
    return {
        "pay_months": bar_chart_svg(
            [(m, int(v or 0)) for m, v in reversed(months)],
            title="近12个月发放金额",
            colour="#15803d",
            fmt=yuan,
        ),
        "holders_town": bar_chart_svg([(n, c) for n, c in town], title="各乡镇在岗人数", colour="#1d4ed8"),
        "holders_cat": bar_chart_svg([(n, c) for n, c in cats], title="各类岗位在岗人数", colour="#6d28d9"),
    }


@bp.route("/scan", methods=["POST"])
@login_required
def scan():
    require(current_user, "run_scan")
    if request.form.get("confirm") != "1":
        abort(400)
    rule = request.form.get("rule") or None
    with use_case() as uc:
        result = run_scan(db.session, clock.today(), actor=current_user, rules=[rule] if rule else None)
    if uc.ok:
        from flask import flash

        flash("扫描完成：" + result.summary, "success")
    return redirect(url_for("oversight.index"))


@bp.route("/flags/<int:flag_id>")
@login_required
def detail(flag_id: int):
    v = reports.flag_view(db.session, current_user, flag_id)
    inspectors = db.session.scalars(
        select(User)
        .where(User.role.in_(roles_with("work_flag")), User.active.is_(True))
        .order_by(User.username)
    ).all()
    return render_template(
        "oversight/detail.html",
        v=v,
        f=v.flag,
        ev=v.evidence,
        rule=RULES.get(v.flag.rule_id),
        graph=graph_svg(v.evidence.get("persons", []), v.evidence.get("links", [])),
        inspectors=inspectors,
        reasons=DISMISS_REASONS,
        rect_kinds=RECTIFICATION_LABELS,
        states=FLAG_STATE_LABELS,
        severities=SEVERITY_LABELS,
        rect_states=RECTIFICATION_STATE_LABELS,
    )


def _back(flag_id: int):
    return redirect(url_for("oversight.detail", flag_id=flag_id))


@bp.route("/flags/<int:flag_id>/assign", methods=["POST"])
@login_required
def assign(flag_id: int):
    with use_case("已指派"):
        workflow.assign_flag(
            db.session, current_user, flag_id, request.form.get("assignee_id"), clock.today()
        )
    return _back(flag_id)


@bp.route("/flags/<int:flag_id>/note", methods=["POST"])
@login_required
def note(flag_id: int):
    with use_case("已添加备注"):
        workflow.add_note(db.session, current_user, flag_id, request.form.get("body"), clock.today())
    return _back(flag_id)


def _amount(raw: str | None) -> int | None:
    text = (raw or "").replace(",", "").strip()
    if not text:
        return None
    try:
        from decimal import ROUND_HALF_UP, Decimal

        return int((Decimal(text) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    except Exception:
        raise DomainError("amount_format", f"金额“{text}”格式不对，请填写如 420.00") from None


@bp.route("/flags/<int:flag_id>/dispose", methods=["POST"])
@login_required
def dispose(flag_id: int):
    form = request.form
    with use_case("已处置"):
        workflow.dispose_flag(
            db.session,
            current_user,
            flag_id,
            form.get("outcome", ""),
            clock.today(),
            reason_code=form.get("reason_code") or None,
            reason_text=form.get("reason_text", ""),
            rectification_kind=form.get("rectification_kind") or None,
            rectification_text=form.get("rectification_text", ""),
            amount_fen=_amount(form.get("amount")),
            due_on=parse_date(form["due_on"], "整改期限") if form.get("due_on") else None,
        )
    return _back(flag_id)


@bp.route("/rectifications/<int:item_id>/done", methods=["POST"])
@login_required
def rectification_done(item_id: int):
    with use_case("整改事项已完成") as uc:
        item = workflow.complete_rectification(
            db.session, current_user, item_id, request.form.get("note"), clock.today()
        )
    if uc.ok:
        return _back(item.disposition.flag_id)
    return redirect(request.referrer or url_for("oversight.index"))


@bp.route("/flags/<int:flag_id>/report.pdf")
@login_required
def flag_report(flag_id: int):
    v = reports.flag_view(db.session, current_user, flag_id)
    data = render_pdf(
        "pdf/case_report.html",
        flags=[(v.flag, v.evidence)],
        title="线索核查报告",
        scope=f"第{v.flag.id}号线索",
        today=clock.today(),
        rules=RULES,
    )
    reports.record_report_download(
        db.session,
        current_user,
        "oversight_flag",
        v.flag.id,
        f"下载线索第{v.flag.id}号核查报告（{v.flag.title}）",
        clock.today(),
    )
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"case-{flag_id}.pdf")


@bp.route("/townships/<int:township_id>/report.pdf")
@login_required
def township_report(township_id: int):
    town, flags = reports.township_flags(db.session, current_user, township_id)
    data = render_pdf(
        "pdf/case_report.html",
        flags=[(f, json.loads(f.evidence_json)) for f in flags],
        title=f"{town.name}线索核查报告",
        scope=town.full_name,
        today=clock.today(),
        rules=RULES,
    )
    reports.record_report_download(
        db.session,
        current_user,
        "region",
        town.id,
        f"下载{town.name}线索核查报告（{len(flags)}项）",
        clock.today(),
    )
    return send_file(io.BytesIO(data), mimetype="application/pdf", download_name=f"cases-{town.code}.pdf")


@bp.route("/persons/<int:person_id>")
@login_required
def person(person_id: int):
    h = reports.person_history(db.session, current_user, person_id)
    return render_template("oversight/person.html", h=h, p=h.person, states=FLAG_STATE_LABELS)


@card("view_card_flags")
def flag_cards(actor, today):
    stmt = workflow.flag_query(actor, status="open")
    sub = stmt.subquery()
    n, money = db.session.execute(select(func.count(), func.coalesce(func.sum(sub.c.money_fen), 0))).one()
    high = db.session.scalar(
        select(func.count()).select_from(
            workflow.flag_query(actor, status="open", severity="high").subquery()
        )
    )
    return [
        Card(
            "待处置线索",
            f"{n:,}",
            url_for("oversight.index", status="open"),
            warn=n > 0,
            note=f"其中高风险{high:,}项",
        ),
        Card("待处置线索涉及金额", yuan(money), url_for("oversight.index", status="open")),
    ]
