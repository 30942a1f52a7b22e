"""Records from other departments: upload (.xlsx/.csv, all or nothing), templates, the import history."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import clock
from ..documents.parity_xlsx import XLSX_MIMETYPE
from ..documents.tables import write_template
from ..extensions import db
from ..models.registry import IMPORT_KIND_LABELS
from ..services import department_records as svc
from ..services.permissions import require
from ..services.posts import actor_county
from . import use_case

bp = Blueprint("records", __name__, url_prefix="/records")

KINDS = tuple(svc.COLUMNS)


@bp.route("/")
@login_required
def index():
    require(current_user, "view_records")
    county = actor_county(db.session, current_user)
    if county is None:
        abort(404)
    return render_template(
        "records/index.html",
        kinds=KINDS,
        labels=IMPORT_KIND_LABELS,
        columns=svc.COLUMNS,
        defaults=svc.DEFAULT_DEPARTMENT,
        batches=svc.batches(db.session, county),
    )


@bp.route("/<kind>/import", methods=["POST"])
@login_required
def upload(kind: str):
    require(current_user, "import_records")
    if kind not in KINDS:
        abort(404)
    f = request.files.get("file")
    if f is None or not f.filename:
        flash("请选择要导入的 .xlsx 或 .csv 文件", "error")
        return redirect(url_for("records.index"))
    data, name = f.read(), f.filename
    with use_case() as uc:
        r = svc.import_records(
            db.session, current_user, kind, data, name, request.form.get("department"), clock.today()
        )
    if uc.ok:
        if r.same_file:
            flash("该文件此前已导入，未作任何更改", "info")
        else:
            flash(
                f"{IMPORT_KIND_LABELS[kind]}导入完成：新增{r.added}条，更改{r.changed}条，未变{r.unchanged}条",
                "success",
            )
    return redirect(url_for("records.index"))


@bp.route("/<kind>/template.xlsx")
@login_required
def template(kind: str):
    require(current_user, "view_records")
    if kind not in KINDS:
        abort(404)
    data = write_template(svc.COLUMNS[kind], svc.EXAMPLES[kind], title=IMPORT_KIND_LABELS[kind])
    resp = Response(data, mimetype=XLSX_MIMETYPE)
    resp.headers["Content-Disposition"] = f"attachment; filename={kind}-template.xlsx"
    return resp
