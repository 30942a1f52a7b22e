"""The audit trail for inspectors and the county: browse, filter, verify the chain."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import Integer, bindparam, func, select

from .. import clock
from ..documents import audit_xlsx
from ..domain.errors import DomainError, NotFound
from ..domain.formats import beijing, parse_date
from ..extensions import db
from ..models._types import utcnow
from ..models.audit import AuditEntry
from ..pagination import PAGE_LIMIT, PAGE_OFFSET, CappedCountPagination, cached_rows, cached_select
from ..services import audit as audit_service
from ..services.permissions import require
from .people import int_arg

bp = Blueprint("audit", __name__, url_prefix="/audit")


class _EntryPage(CappedCountPagination):
    """The trail's page as rows of the columns the list shows (not entries with their before/after JSON
    and hashes); counted as paginate_capped() counts ("10,000+").

    The trail only grows, and a page by OFFSET reads every entry before it: on a 300,000-entry trail
    (PostgreSQL) page 100 took 2 ms, page 1,000 40 ms, page 6,000 286 ms — a page by its neighbour's
    last id (keyset) 0.07 ms at any depth. So 下一页 and 上一页 carry the id the page continues from
    (`before`: the entries older than the last one shown; `after`: the newer ones, for a page beyond the
    first) and the page is read from there; its number is still the page's (`page`), and any page number
    can still be opened directly (by OFFSET). A cursor continues exactly where the reader was, even when
    entries were added meanwhile (an OFFSET would show some again)."""

    next_cursor: int | None = None
    prev_cursor: int | None = None

    def _query_items(self) -> list:
        select_, session = self._query_args["select"], self._query_args["session"]
        before, after = self._query_args.get("before"), self._query_args.get("after")
        if after is not None and self.page > 1:
            rows = session.execute(
                _keyset_statement(select_, newer=True), {"_cursor": after, "_page_limit": self.per_page}
            ).all()
            rows.reverse()
        elif before is not None and self.page > 1:
            rows = session.execute(
                _keyset_statement(select_, newer=False), {"_cursor": before, "_page_limit": self.per_page}
            ).all()
        else:
            bounds = {"_page_limit": self.per_page, "_page_offset": self._query_offset}
            rows = session.execute(_page_statement(select_), bounds).all()
        if rows:
            self.next_cursor = rows[-1][0] if len(rows) == self.per_page else None
            self.prev_cursor = rows[0][0] if self.page > 2 else None
        return rows


# the page's bounds written into the SQL (PostgreSQL plans the prepared statement for them)
_PAGE_LIMIT, _PAGE_OFFSET = PAGE_LIMIT, PAGE_OFFSET
_CURSOR = bindparam("_cursor", type_=Integer)
_pages: dict[tuple, tuple] = {}


def _page_statement(q):
    """The list's columns of `q` for a page given as parameters — built once per filter's select (kept by
    cached_select), not on every request."""

    def build():
        return q.with_only_columns(*LIST_COLUMNS).limit(_PAGE_LIMIT).offset(_PAGE_OFFSET)

    return _built(("offset", id(q)), q, build)


def _keyset_statement(q, newer: bool):
    """The list's columns of `q` for the page older than :_cursor (newest first), or newer than it (oldest
    first: the caller reverses them) — by the primary key's index, whatever the page's depth."""

    def build():
        cols = q.with_only_columns(*LIST_COLUMNS)
        if newer:
            oldest_first = cols.where(AuditEntry.id > _CURSOR).order_by(None).order_by(AuditEntry.id)
            return oldest_first.limit(_PAGE_LIMIT)
        return cols.where(AuditEntry.id < _CURSOR).limit(_PAGE_LIMIT)

    return _built(("newer" if newer else "older", id(q)), q, build)


def _built(key: tuple, q, build):
    hit = _pages.get(key)
    if hit is None or hit[0] is not q:
        if len(_pages) > 256:
            _pages.clear()
        hit = _pages[key] = (q, build())
    return hit[1]


LIST_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_label,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.summary,
)


_FILTER_ARGS = ("action", "object_type", "hide_logins", "object_id", "actor", "from", "to")


def filtered_entries(args) -> tuple:
    """The audit entries matching the page's filters (newest first), and the filter errors to show."""
    q = select(AuditEntry)
    errors = []
    if args.get("action"):
        q = q.where(AuditEntry.action == args["action"])
    if args.get("object_type"):
        q = q.where(AuditEntry.object_type == args["object_type"])
    if args.get("hide_logins"):
        q = q.where(AuditEntry.action != "login")
    if args.get("object_id"):
        q = q.where(AuditEntry.object_id == args["object_id"].strip())
    if args.get("actor"):
        q = q.where(AuditEntry.actor_label.like(f"%{args['actor'].strip()}%"))
    for key, op in (("from", "ge"), ("to", "lt")):
        if args.get(key):
            try:
                d = parse_date(args[key], "起始日期" if key == "from" else "截止日期")
            except DomainError as err:
                errors.append(err.message)
                continue
            # dates are Beijing days; entries are stored in naive UTC
            bound = (
                datetime(d.year, d.month, d.day)
                - timedelta(hours=8)
                + timedelta(days=1 if key == "to" else 0)
            )
            q = q.where(AuditEntry.at >= bound if op == "ge" else AuditEntry.at < bound)
    return q.order_by(AuditEntry.id.desc()), errors


_entries = AuditEntry.__table__
_ACTIONS = select(_entries.c.action).distinct().order_by(_entries.c.action)
_OBJECT_TYPES = select(_entries.c.object_type).distinct().order_by(_entries.c.object_type)


@bp.route("/")
@login_required
def index():
    require(current_user, "view_audit")
    # the filter's select built once per filter (cached_select): the trail is the same for every reader
    args = tuple((k, request.args.get(k)) for k in _FILTER_ARGS)
    q, errors = cached_select(("audit", args), lambda: filtered_entries(request.args))
    page = _EntryPage(
        select=q,
        session=db.session(),
        page=int_arg("page") or 1,
        per_page=min(max(request.args.get("per_page", 50, type=int), 1), 200),
        max_per_page=None,
        error_out=False,
        count=True,
        before=int_arg("before"),
        after=int_arg("after"),
    )
    # The filters' choices: every action and object type in the trail, kept between requests until this
    # process writes (a new kind of entry from another worker shows within COUNT_CACHE_SECONDS).
    actions = [a for (a,) in cached_rows(db.session, _ACTIONS)]
    types = [t for (t,) in cached_rows(db.session, _OBJECT_TYPES)]
    checkpoints = audit_service.latest_checkpoints(db.session, 3)
    return render_template(
        "audit/index.html", page=page, actions=actions, types=types, errors=errors, checkpoints=checkpoints
    )


@bp.route("/export")
@login_required
def export():
    """The filtered entries as .xlsx (ID and account numbers masked, hashes included for checking)."""
    require(current_user, "view_audit")
    q, errors = filtered_entries(request.args)
    if errors:
        raise DomainError("audit_filter", "；".join(errors))
    total = db.session.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    if total > audit_xlsx.MAX_ROWS:
        raise DomainError(
            "audit_export_too_large",
            f"符合条件的审计记录有{total:,}条，超过单次导出上限{audit_xlsx.MAX_ROWS:,}条：请缩小日期范围后分批导出",
        )
    rows = db.session.execute(q.with_only_columns(*audit_xlsx.COLUMNS)).yield_per(2000)
    data = audit_xlsx.audit_workbook(
        rows, heading=f"审计记录（导出时间 {beijing(utcnow())}，共 {total:,} 条）"
    )
    name = f"审计记录-{clock.today().isoformat()}.xlsx"
    response = Response(data, mimetype=audit_xlsx.XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-{clock.today().isoformat()}.xlsx"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:entry_id>")
@login_required
def detail(entry_id: int):
    require(current_user, "view_audit")
    entry = db.session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound("审计记录")
    return render_template("audit/detail.html", e=entry)


@bp.route("/verify", methods=["POST"])
@login_required
def verify():
    require(current_user, "verify_audit")
    f = request.form
    noted = ()
    if any(f.get(k, "").strip() for k in ("noted_id", "noted_count", "noted_hash")):
        noted = (
            audit_service.noted_checkpoint(
                f.get("noted_id", ""), f.get("noted_count", ""), f.get("noted_hash", "")
            ),
        )
    result = audit_service.verify_chain(db.session, noted=noted)
    return render_template("audit/verify.html", result=result, noted=noted)
