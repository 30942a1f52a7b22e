"""花名册 import (two steps: upload → check → 确认导入) and export, template and error report.

The upload is read and checked once, as a whole, and nothing is written on that step. The checked
rows of a file without errors are kept under the instance folder as <random token>.rows.json.gz (its
SHA-256 in the token's meta) for its uploader for at most two hours; "确认导入" claims the token —
an atomic rename, so of two clicks one wins and the other is refused with 409 — re-checks the rows
against the database as it is then (set-based: only what may have changed since the check) and writes
them set-based. Refusals answer 422 with the error table; a checked preview and a finished import 200.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import json
import os
import re
import secrets
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from .. import clock
from ..documents import roster_xlsx
from ..domain.errors import DomainError
from ..domain.people import CATEGORIES, WORK_CAPACITIES
from ..extensions import db
from ..services import roster as roster_service
from ..services.exports import record_export
from ..services.people import PersonFilter
from ..services.permissions import can, require
from . import flash_error
from .people import int_arg

bp = Blueprint("roster", __name__, url_prefix="/people/roster")

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_TTL_SECONDS = 2 * 3600  # an unconfirmed upload may be confirmed for this long
SWEEP_AFTER_SECONDS = 24 * 3600  # leftovers (and error reports) are removed after a day
SHOWN_ERRORS = 500
SHOWN_CHANGES = 300
_ROWS = ".rows.json.gz"  # the checked rows of an upload
_CLAIMED = ".claimed"  # the meta of an upload whose confirmation is under way


# ---------------------------------------------------------------- stored uploads


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "roster_uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    """Remove leftovers older than SWEEP_AFTER_SECONDS. Ages are read on the file system's clock (a marker
    touched now), never the process clock against file times: the two can differ (a moved process clock,
    a network file system), and a difference must not delete a clerk's fresh upload."""
    marker = folder / ".sweep"
    try:
        marker.touch()
        cutoff = marker.stat().st_mtime - SWEEP_AFTER_SECONDS
    except OSError:
        return
    for f in folder.iterdir():
        try:
            if f != marker and f.stat().st_mtime < cutoff:
                f.unlink()
        except OSError:
            pass


def _store(kind: str, filename: str, data: bytes | None = None, **extra) -> str:
    folder = _upload_dir()
    _sweep(folder)
    token = secrets.token_hex(16)
    if data is not None:
        blob = gzip.compress(data, compresslevel=1)
        (folder / f"{token}{_ROWS}").write_bytes(blob)
        extra["sha256"] = hashlib.sha256(blob).hexdigest()
    meta = {"kind": kind, "user_id": current_user.id, "filename": filename, "created": time.time(), **extra}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def _load(token: str, kind: str, max_age: float) -> dict | None:
    """The stored meta for `token`, only for the user who stored it and while fresh."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _upload_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if meta.get("kind") != kind or meta.get("user_id") != current_user.id:
        return None
    if time.time() - float(meta.get("created", 0)) > max_age:
        _discard(token)
        return None
    return meta


def _claim(token: str) -> bool:
    """Take the token for this request: one atomic rename, so of two concurrent confirmations one wins."""
    folder = _upload_dir()
    try:
        os.rename(folder / f"{token}.json", folder / f"{token}{_CLAIMED}")
    except OSError:
        return False
    return True


def _claimed_by_another(token: str) -> bool:
    return _TOKEN.match(token or "") is not None and (_upload_dir() / f"{token}{_CLAIMED}").exists()


def _checked_rows(token: str, meta: dict) -> dict | None:
    """The rows kept at the check, when their file is intact (its hash as recorded)."""
    try:
        blob = (_upload_dir() / f"{token}{_ROWS}").read_bytes()
    except OSError:
        return None
    if hashlib.sha256(blob).hexdigest() != meta.get("sha256"):
        return None
    try:
        return json.loads(gzip.decompress(blob))
    except (OSError, ValueError, EOFError):
        return None


def _discard(token: str) -> None:
    if not _TOKEN.match(token or ""):
        return
    for suffix in (_ROWS, ".json", _CLAIMED):
        try:
            (_upload_dir() / f"{token}{suffix}").unlink()
        except OSError:
            pass


def _display_name(raw: str) -> str:
    """The uploaded file's own name (for the page and the audit entry), without any path."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:120] or "花名册.xlsx"


def _stem(filename: str) -> str:
    return re.sub(r"\.xlsx?$", "", filename, flags=re.IGNORECASE) or "花名册"


@contextmanager
def _bulk_work():
    """Pause the cyclic garbage collector while a whole roster is read, checked or written. Its objects
    (rows, dicts, tuples, strings) hold no cycles and are freed by reference counting as usual; the
    collector would only walk them again and again while they pile up — a third of the CPU of a
    50,000-row import. It is back on when the step ends, error or not."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- pages


def _form(status: int = 200):
    return render_template(
        "roster/import.html", help_rows=roster_xlsx.help_rows(), notes=roster_xlsx.GENERAL_NOTES
    ), status


def _refused(result, token: str):
    return render_template("roster/errors.html", result=result, token=token, shown=SHOWN_ERRORS), 422


def _store_errors(result) -> str:
    return _store("errors", result.filename, errors=[e.as_tuple() for e in result.errors])


@bp.route("/import", methods=["GET"])
@login_required
def import_form():
    require(current_user, "import_roster")
    return _form()


@bp.route("/import", methods=["POST"], endpoint="import")
@login_required
def upload():
    """Step 1: read and check the whole file; nothing is written."""
    require(current_user, "import_roster")
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("请选择要上传的花名册文件（.xlsx）", "error")
        return _form(422)
    filename = _display_name(file.filename)
    if re.search(r"\.(et|csv)$", filename, re.IGNORECASE):
        flash(
            f"“{filename}”不是 Excel 工作簿：请在 Excel/WPS 中打开后"
            "“另存为” Excel 工作簿（.xlsx 或 .xls）再上传",
            "error",
        )
        return _form(422)
    data = file.read()
    try:
        with _bulk_work():
            sheet = roster_xlsx.read_roster(io.BytesIO(data))
            result = roster_service.plan_import(
                db.session, current_user, sheet, clock.today(), filename=filename
            )
    except DomainError as err:
        flash_error(err)
        return _form(422)
    if result.errors:
        return _refused(result, _store_errors(result))
    if not result.changes:
        return render_template("roster/result.html", result=result)
    with _bulk_work():
        kept = roster_service.dump_checked(roster_service.checked_rows(result))
    token = _store("upload", filename, kept)
    return render_template(
        "roster/preview.html", result=result, token=token, sheet=sheet, shown=SHOWN_CHANGES
    )


@bp.route("/import/confirm", methods=["POST"])
@login_required
def confirm():
    """Step 2: claim the token, re-check the rows kept at the check against the database, write them."""
    require(current_user, "import_roster")
    token = request.form.get("token", "")
    meta = _load(token, "upload", UPLOAD_TTL_SECONDS)
    if meta is None:
        if _claimed_by_another(token):
            return _busy()
        flash("该文件已导入、已过期或不存在，请重新上传", "error")
        return redirect(url_for(".import_form"))
    if not _claim(token):
        return _busy()
    try:
        with _bulk_work():
            stash = _checked_rows(token, meta)
            if stash is None:
                flash("暂存的检查结果已损坏或被改动，未导入任何数据，请重新上传文件", "error")
                return _form(422)
            result = roster_service.plan_checked(db.session, current_user, stash, clock.today())
            if result.ok:
                roster_service.apply_import(db.session, current_user, result, clock.today())
    except DomainError as err:
        flash_error(err)
        return _form(422)
    finally:
        _discard(token)
    if result.errors:  # the database changed between the check and the confirmation
        return _refused(result, _store_errors(result))
    return render_template("roster/result.html", result=result)


def _busy():
    flash(
        "该文件的导入已在进行中（可能重复点击了“确认导入”），请勿重复提交；稍后在人员列表中查看结果", "error"
    )
    return _form(409)


@bp.route("/import/errors/<token>.xlsx")
@login_required
def error_report(token: str):
    require(current_user, "import_roster")
    meta = _load(token, "errors", SWEEP_AFTER_SECONDS)
    if meta is None:
        abort(404)
    buf = io.BytesIO()
    roster_xlsx.write_error_report(buf, meta["errors"], filename=meta["filename"])
    buf.seek(0)
    return _download(buf, f"花名册错误清单_{_stem(meta['filename'])}.xlsx")


@bp.route("/template")
@login_required
def template():
    require(current_user, "import_roster")
    buf = io.BytesIO()
    roster_xlsx.write_template(buf, roster_service.template_example(db.session, current_user))
    buf.seek(0)
    return _download(buf, "花名册导入模板.xlsx")


def _filter_from_args() -> PersonFilter:
    """The same filters as the person list (people.index), so 导出 exports what the list shows."""
    a = request.args
    return PersonFilter(
        q=a.get("q", ""),
        township_id=int_arg("township"),
        village_id=int_arg("village"),
        category=a.get("category", "") if a.get("category") in CATEGORIES else "",
        work_capacity=a.get("capacity", "") if a.get("capacity") in WORK_CAPACITIES else "",
        eligible_only=a.get("eligible") == "1",
        cadres_only=a.get("cadre") == "1",
    )


@bp.route("/export")
@login_required
def export():
    require(current_user, "export_roster")
    today = clock.today()
    rows = roster_service.export_rows(db.session, current_user, _filter_from_args(), today)
    count = 0

    def counted():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    buf = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    roster_xlsx.write_roster(buf, counted())
    record_export(
        db.session,
        current_user,
        "roster",
        count,
        full_numbers=can(current_user, "view_full_id_number"),
        filters=request.args.to_dict(),
    )
    buf.seek(0)
    region = current_user.region.name if current_user.region else ""
    return _download(buf, f"花名册_{region}_{today:%Y%m%d}.xlsx")


def _download(stream, name: str):
    """An .xlsx attachment; the Chinese name goes out as RFC 5987 filename* (Werkzeug does that)."""
    response = send_file(
        stream, mimetype=roster_xlsx.XLSX_MIMETYPE, as_attachment=True, download_name=name, max_age=0
    )
    # Werkzeug's own ASCII fallback drops every Chinese character ("__20261125.xlsx"); give a readable one.
    ascii_part = "-".join(re.findall(r"[A-Za-z0-9]+", _stem(name)))
    fallback = f"roster-{ascii_part}.xlsx" if ascii_part else "roster.xlsx"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
