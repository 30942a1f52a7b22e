"""考勤与考核 screens: a village's month (enter, import, grade), the township's approval, annual grades.

Village clerks enter their village; township clerks (and the county) enter, grade and approve.
Approved rows are read-only until the township sends them back; locked (paid) rows always.
"""

from __future__ import annotations

import io
from datetime import date
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ... import clock
from ...documents import attendance_xlsx as xlsx
from ...domain import attendance as rules
from ...domain.contracts import ASSESSMENT_GRADES
from ...domain.errors import Conflict, DomainError, Forbidden
from ...domain.formats import month_heading
from ...domain.pay import ATTENDANCE_STATE_LABELS
from ...extensions import db
from ...models.accounts import User
from ...models.people import Region
from ...services import assessment as assessment_service
from ...services import attendance as attendance_service
from ...services.permissions import can, require, scope_prefix
from .. import flash_error
from ..dashboard import Card, card
from ..people import int_arg
from . import bp

INPUTS = ("days_worked", "leave_days", "absent_days", "hours", "dates", "note")


def _default_month(today: date) -> str:
    """Attendance is entered after the month: last month by default."""
    return rules.previous_month(f"{today.year:04d}-{today.month:02d}")


def _month_arg(today: date) -> str:
    raw = request.args.get("month", "").strip()
    if not raw:
        return _default_month(today)
    return rules.check_month(raw, today)


def _users(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


# ---------------------------------------------------------------- overview and approval


@bp.route("/attendance")
@login_required
def attendance():
    require(current_user, "view_attendance")
    today = clock.today()
    try:
        month = _month_arg(today)
    except DomainError as err:
        flash_error(err)
        month = _default_month(today)
    township_id = int_arg("township")
    summaries = attendance_service.month_overview(db.session, current_user, month, township_id=township_id)
    if len(summaries) == 1 and can(current_user, "attendance_straight_to_sheet"):
        return redirect(url_for("pay.attendance_sheet", village_id=summaries[0].village.id, month=month))
    towns: dict[int, dict] = {}
    for s in summaries:
        t = towns.setdefault(
            s.village.parent_id,
            {"region": s.village.parent, "villages": [], "draft": 0, "holders": 0, "missing": 0},
        )
        t["villages"].append(s)
        t["draft"] += s.draft
        t["holders"] += s.holders
        t["missing"] += s.missing
    prefix = scope_prefix(current_user) or "-"
    township_choices = db.session.execute(
        select(Region.id, Region.name)
        .where(Region.level == "township", Region.code.like(prefix + "%"))
        .order_by(Region.code)
    ).all()
    late = []
    if can(current_user, "view_late_assessments"):
        late = assessment_service.late_assessments(db.session, current_user, today)
    return render_template(
        "pay/attendance_index.html",
        month=month,
        towns=list(towns.values()),
        today=today,
        month_ended=rules.month_ended(month, today),
        township_id=township_id,
        township_choices=township_choices if len(township_choices) > 1 else [],
        late=late,
        prev_month=rules.previous_month(month),
        next_month=rules.next_month(month),
        can_next=rules.first_day_of(rules.next_month(month)) <= today,
    )


@bp.route("/attendance/approve", methods=["POST"])
@login_required
def attendance_approve():
    today = clock.today()
    region_id = int_arg("region_id", request.form)
    month = request.form.get("month", "")
    back = request.form.get("back") or ""
    try:
        records = attendance_service.approve_month(db.session, current_user, region_id, month, today)
        flash(f"已审核{month_heading(month)}考勤{len(records)}条", "info")
    except DomainError as err:
        if err.status in (403, 404):
            raise
        flash_error(err)
    if back.startswith("/pay/") and "//" not in back:
        return redirect(back)
    return redirect(url_for("pay.attendance", month=month))


@bp.route("/attendance/record/<int:record_id>/reopen", methods=["POST"])
@login_required
def attendance_reopen(record_id: int):
    today = clock.today()
    try:
        rec = attendance_service.reopen_record(
            db.session, current_user, record_id, request.form.get("reason", ""), today
        )
        village_id, month = rec.contract.post.village_id, rec.month
        flash(f"已退回修改：{rec.contract.person.name} {month_heading(month)}", "info")
        return redirect(url_for("pay.attendance_sheet", village_id=village_id, month=month))
    except DomainError as err:
        if err.status in (403, 404):
            raise
        flash_error(err)
    return redirect(
        request.referrer
        if (request.referrer or "").startswith(request.host_url + "pay/")
        else url_for("pay.attendance")
    )


# ---------------------------------------------------------------- the village-month sheet


def _render_sheet(vm, *, values=None, grades=None, problems=None, status=200, today=None):
    today = today or clock.today()
    users = _users(
        [h.record.entered_by_id for h in vm.holders if h.record]
        + [h.record.approved_by_id for h in vm.holders if h.record]
    )
    row_problems: dict[int, list] = {}
    for p in problems or []:
        row_problems.setdefault(p.row, []).append(p)
    may_enter = can(current_user, "enter_attendance", vm.village)
    may_grade = can(current_user, "enter_assessment", vm.village)
    may_approve = can(current_user, "approve_attendance", vm.village)
    own_drafts = 0
    if may_approve and attendance_service.four_eyes(db.session, vm.village, today):
        own_drafts = sum(
            1 for h in vm.holders if h.status == "draft" and h.record.entered_by_id == current_user.id
        )
    changed_by = _users([vm.changed_by_id]).get(vm.changed_by_id)
    return render_template(
        "pay/attendance_sheet.html",
        vm=vm,
        users=users,
        values=values or {},
        grades=grades or {},
        problems=problems or [],
        row_problems=row_problems,
        may_enter=may_enter,
        may_grade=may_grade,
        may_approve=may_approve,
        month_ended=rules.month_ended(vm.month, today),
        GRADES=ASSESSMENT_GRADES,
        STATE_LABELS=ATTENDANCE_STATE_LABELS,
        prev_month=rules.previous_month(vm.month),
        next_month=rules.next_month(vm.month),
        can_next=rules.first_day_of(rules.next_month(vm.month)) <= today,
        today=today,
        own_drafts=own_drafts,
        changed_by=changed_by,
    ), status


def _form_rows(vm) -> tuple[list[dict], dict[int, dict], dict[int, str]]:
    """(rows to enter, every holder's typed values, grades) from the posted table."""
    rows, values, grades = [], {}, {}
    for h in vm.holders:
        cid = h.contract.id
        typed = {k: request.form.get(f"c{cid}_{k}", "") for k in INPUTS}
        values[cid] = typed
        g = request.form.get(f"c{cid}_grade", "").strip()
        if g:
            grades[cid] = g
        if h.editable and not rules.is_blank_entry(typed):
            rows.append({**typed, "contract_id": cid, "row": h.row})
    return rows, values, grades


@bp.route("/attendance/<int:village_id>/<month>", methods=["GET", "POST"])
@login_required
def attendance_sheet(village_id: int, month: str):
    today = clock.today()
    if request.method == "POST" and not (
        can(current_user, "enter_attendance") or can(current_user, "enter_assessment")
    ):
        raise Forbidden()
    vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
    if request.method == "GET":
        return _render_sheet(vm, today=today)
    may_enter = can(current_user, "enter_attendance", vm.village)
    may_grade = can(current_user, "enter_assessment", vm.village)
    if not (may_enter or may_grade):
        require(current_user, "enter_attendance", vm.village, what="村")
    rows, values, grades = _form_rows(vm)
    if not may_grade:
        grades = {}
    if not may_enter:
        rows = []
    if not rows and not grades:
        flash("没有填写任何考勤或考核内容，未保存", "info")
        return _render_sheet(vm, values=values, today=today)
    seen = request.form.get("version")
    try:
        result = (
            attendance_service.enter_month(
                db.session, current_user, vm.village.id, vm.month, rows, today, version=seen
            )
            if rows
            else None
        )
        graded = (
            assessment_service.set_month_grades(
                db.session, current_user, vm.village.id, vm.month, grades, today
            )
            if grades
            else 0
        )
        if graded:
            attendance_service.claim_sheet(
                db.session, current_user, vm.village, vm.month, attendance_service.parse_version(seen)
            )
    except (
        Conflict
    ) as err:  # another clerk saved this sheet since the page was read: show the sheet as it is now
        flash_error(err)
        vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
        return _render_sheet(vm, status=409, today=today)
    except rules.AttendanceRejected as err:
        flash(err.message, "error")
        vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
        return _render_sheet(vm, values=values, grades=grades, problems=err.problems, status=422, today=today)
    except DomainError as err:
        if err.status in (403, 404):
            raise
        flash_error(err)
        vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
        return _render_sheet(vm, values=values, grades=grades, status=422, today=today)
    parts = []
    if result is not None:
        parts.append(f"考勤新增{result.created}人、修改{result.updated}人、未变{result.unchanged}人")
    if grades:
        parts.append(f"月度考核更新{graded}人")
    flash("已保存（待审核）：" + "；".join(parts), "info")
    return redirect(url_for("pay.attendance_sheet", village_id=vm.village.id, month=vm.month))


@bp.route("/attendance/<int:village_id>/<month>/template.xlsx")
@login_required
def attendance_template(village_id: int, month: str):
    today = clock.today()
    vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
    require(current_user, "enter_attendance", vm.village, what="村")
    from ...domain.people import mask_id_number

    rows = []
    for h in vm.holders:  # an attendance sheet needs no whole ID number: masked, and accepted back masked
        r = h.record
        rows.append(
            [
                h.row,
                h.person.name,
                mask_id_number(h.person.id_number),
                h.contract.code,
                h.contract.required_days,
                h.covered,
                r.days_worked if r else None,
                r.leave_days if r else None,
                r.absent_days if r else None,
                r.hours_worked if r else None,
                h.dates_text,
                r.note if r else None,
            ]
        )
    title = (
        f"{vm.village.parent.name if vm.village.parent else ''}{vm.village.name} "
        f"{month_heading(vm.month)} 考勤表"
    )
    out = io.BytesIO()
    xlsx.write_template(
        out, title=title, month=vm.month, village_label=f"{vm.village.name}（{vm.village.code}）", rows=rows
    )
    name = f"考勤表_{vm.village.name}_{vm.month}.xlsx"
    return Response(
        out.getvalue(),
        mimetype=xlsx.XLSX_MIMETYPE,
        headers={
            "Content-Disposition": (
                f"attachment; filename=attendance_{vm.month}.xlsx; filename*=UTF-8''{quote(name)}"
            )
        },
    )


@bp.route("/attendance/<int:village_id>/<month>/import", methods=["POST"])
@login_required
def attendance_import(village_id: int, month: str):
    require(current_user, "enter_attendance")
    today = clock.today()
    vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
    require(current_user, "enter_attendance", vm.village, what="村")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要导入的考勤表（.xlsx）", "error")
        return _render_sheet(vm, status=400, today=today)
    filename = upload.filename
    try:
        sheet = xlsx.read_attendance(upload.stream)
        result = attendance_service.import_month(
            db.session,
            current_user,
            vm.village.id,
            vm.month,
            sheet,
            today,
            filename=filename,
            version=request.form.get("version"),
        )
    except Conflict as err:
        flash_error(err)
        vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
        return _render_sheet(vm, status=409, today=today)
    except rules.AttendanceRejected as err:
        flash(err.message, "error")
        vm = attendance_service.village_month(db.session, current_user, village_id, month, today)
        return _render_sheet(vm, problems=err.problems, status=422, today=today)
    except DomainError as err:
        if err.status in (403, 404):
            raise
        flash_error(err)
        return _render_sheet(vm, status=422, today=today)
    flash(
        f"考勤表《{filename}》已导入（待审核）：新增{result.created}人、修改{result.updated}人、未变{result.unchanged}人",
        "info",
    )
    return redirect(url_for("pay.attendance_sheet", village_id=vm.village.id, month=vm.month))


# ---------------------------------------------------------------- annual grades


@bp.route("/assessment/<int:village_id>/<year>", methods=["GET", "POST"])
@login_required
def assessment_annual(village_id: int, year: str):
    today = clock.today()
    if request.method == "POST":
        require(current_user, "enter_assessment")  # the role first: an inspector hears 403 whatever the year
    village, year, lines = assessment_service.annual_sheet(db.session, current_user, village_id, year, today)
    status = 200
    if request.method == "POST":
        require(current_user, "enter_assessment", village, what="村")
        changes = [(line.contract.id, request.form.get(f"a{line.contract.id}", "").strip()) for line in lines]
        changes = [(cid, g) for cid, g in changes if g]
        current = {line.contract.id: line.grade.grade if line.grade else None for line in lines}
        changes = [(cid, g) for cid, g in changes if current.get(cid) != g]
        try:
            for cid, grade in changes:
                assessment_service.set_annual_grade(db.session, current_user, cid, year, grade, today)
            flash(f"已保存{year}年度考核{len(changes)}人" if changes else "年度考核没有变化", "info")
            return redirect(url_for("pay.assessment_annual", village_id=village.id, year=year))
        except DomainError as err:
            if err.status in (403, 404):
                raise
            flash_error(err)
            status = 422
            village, year, lines = assessment_service.annual_sheet(
                db.session, current_user, village_id, year, today
            )
    return render_template(
        "pay/assessment_annual.html",
        village=village,
        year=year,
        lines=lines,
        GRADES=ASSESSMENT_GRADES,
        may_grade=can(current_user, "enter_assessment", village),
        today=today,
    ), status


# ---------------------------------------------------------------- dashboard


@card("view_card_attendance_approval")
def approval_cards(actor, today):
    drafts = attendance_service.count_drafts(db.session, actor)
    late = assessment_service.late_assessments(db.session, actor, today)
    missing = sum(x.missing for x in late)
    return [
        Card(
            "待审核考勤",
            f"{drafts:,}",
            url_for("pay.attendance"),
            note="已录入、待乡镇审核的人月",
            warn=drafts > 0,
        ),
        Card(
            "逾期未考核",
            f"{missing:,}",
            url_for("pay.attendance") + "#late",
            note="超过考核截止日仍未评定月度考核的人月",
            warn=missing > 0,
        ),
    ]


@card("view_card_attendance_inspector")
def inspector_cards(actor, today):
    late = assessment_service.late_assessments(db.session, actor, today)
    missing = sum(x.missing for x in late)
    return [Card("逾期未考核", f"{missing:,}", url_for("pay.attendance") + "#late", warn=missing > 0)]


@card("view_card_attendance_village")
def village_cards(actor, today):
    month = _default_month(today)
    missing = attendance_service.count_missing(db.session, actor, month)
    link = (
        url_for("pay.attendance_sheet", village_id=actor.region_id, month=month) if actor.region_id else None
    )
    return [
        Card(
            f"{month_heading(month)}未录入考勤",
            f"{missing:,}",
            link,
            note="在岗人员中尚未录入考勤的人数",
            warn=missing > 0,
        )
    ]
