"""The one commit point of every web and API request (cf. indico's RH.process).

A request is one unit of work. The app's `dispatch_request` runs the view (or API handler) through
`run_at_commit_point`:

* the view returns a success or a redirect (status < 400) and refused nothing → **commit**;
* the view returns an error status (4xx/5xx), or refused a use case (`use_case` caught a DomainError)
  → **roll back**, unless it asked to keep what it recorded (`commit_anyway()`: a failed login still
  counts toward the limit);
* the view raises anything → **roll back**, then the app's error handlers answer: DomainError → the
  Chinese error page or the API's JSON error, busy database → 503, unique violation → 409, else 500.

The commit itself may fail (the database busy, a unique violation found at COMMIT on PostgreSQL): the
transaction is rolled back, the flash messages of this request (its "已保存") are withdrawn, and the
error goes to the same handlers — 503 / 409, nothing written.

Views and handlers never commit; services only flush. Web views that answer a refusal on the page
itself (the form again with the message, or back to the detail page) wrap the service calls in
`with use_case("已保存") as uc:` — the one place a web refusal becomes a flash: the request is rolled
back and marked refused, `uc.ok` is False and the view goes on to render. Not-found and forbidden
pass through to the 404/403 pages.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, flash, g, message_flashed, session

from ..domain.errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..logs import log_refusal

log = logging.getLogger(__name__)


class App(Flask):
    """Flask whose every request runs at the one commit point."""

    def dispatch_request(self):
        return run_at_commit_point(super().dispatch_request)


def run_at_commit_point(view):
    """Call `view()`; commit if its answer is a success or redirect, roll back otherwise or on any error."""
    g._cp_refused = False
    g._cp_keep = False
    g._cp_flashes = []
    try:
        response = current_app.make_response(view())
    except BaseException:
        _rollback()
        raise
    if (response.status_code < 400 and not g._cp_refused) or g._cp_keep:
        try:
            db.session.commit()  # the one commit point
        except BaseException:
            _rollback()
            _withdraw_flashes()
            raise  # busy → 503, unique violation → 409 (pwposts/concurrency.py), else 500
    else:
        _rollback()
    return response


def commit_anyway() -> None:
    """Keep what this request wrote even though it answers an error (a failed login is counted)."""
    g._cp_keep = True


def flash_error(err: DomainError) -> None:
    """A refusal answered on the page: roll the request back, mark it refused (nothing of it will be
    committed), and flash the message (and its details) in Chinese."""
    _rollback()
    g._cp_refused = True
    g._cp_keep = False
    log_refusal(err.code, err.message)
    flash(err.message, "error")
    for d in err.details[:50]:
        flash(str(d), "error")


@dataclass
class UseCase:
    ok: bool = True
    error: DomainError | None = None


@contextmanager
def use_case(success: str | None = None, category: str = "success"):
    """Run a web view's service calls; a refusal (DomainError) is flashed and the request rolled back.

    After the block, `uc.ok` says whether it went through. Not-found and forbidden become 404/403.
    """
    uc = UseCase()
    try:
        yield uc
    except (NotFound, Forbidden):
        raise
    except DomainError as err:
        flash_error(err)
        uc.ok, uc.error = False, err
        return
    if success:
        flash(success, category)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 — the connection may be gone; its transaction is then gone with it
        log.exception("rollback at the commit point failed")


def _track_flash(_app, message, category) -> None:
    flashes = g.get("_cp_flashes")
    if flashes is not None:
        flashes.append((category, message))


def _withdraw_flashes() -> None:
    """The commit failed: what this request flashed ("已保存") is no longer true."""
    mine = g.get("_cp_flashes") or []
    if mine and "_flashes" in session:
        kept = list(session["_flashes"])
        for f in mine:
            if f in kept:
                kept.remove(f)
        session["_flashes"] = kept
    g._cp_flashes = []


def install(app: Flask) -> None:
    message_flashed.connect(_track_flash, app)
