"""The township and village drop-downs, built once per request and cached per scope in the process.

A county has ~300 regions; every list page showed them in its filters, and loading them (once or
twice per request) cost more than the page's own query. The cache is keyed by the scope's code prefix
and the database, and checked against a cheap version of the region table (count, largest id) and a
counter bumped whenever this process flushes a Region change — so a new region or an import shows at
once, and a rename made by another worker process shows within MAX_AGE seconds.

The version is read by the statement that loads the signed-in user (web/auth.py, VERSION_COLUMNS as two
more columns of it), not by a statement of its own: every web page loads its user first, in the same
transaction. Requests without it (no session user) read it here.
"""

from __future__ import annotations

import threading
import time

from flask import request
from markupsafe import Markup, escape
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models.people import Region

MAX_AGE = 60.0
_lock = threading.Lock()
_cache: dict[tuple, tuple[tuple, float, tuple[list, list]]] = {}
_generation = 0


def _bump() -> None:
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


@event.listens_for(Session, "after_flush")
def _regions_changed(session, _flush_context) -> None:
    if any(isinstance(o, Region) for o in (*session.new, *session.dirty, *session.deleted)):
        _bump()


def clear() -> None:
    """Forget every cached choice list (tests, imports that write regions with Core statements)."""
    _bump()


def _load(prefix: str) -> tuple[list, list]:
    rows = db.session.execute(
        select(Region.id, Region.name, Region.level, Region.parent_id)
        .where(Region.code.like(prefix + "%"), Region.level.in_(("township", "village")))
        .order_by(Region.code)
    ).all()
    townships = [(r.id, r.name) for r in rows if r.level == "township"]
    villages = [(r.id, r.name, r.parent_id) for r in rows if r.level == "village"]
    return townships, villages


_regions = Region.__table__
# Built once, from the table's columns: a plain Core statement (no ORM set-up on each page).
_VERSION = select(func.count(_regions.c.id), func.max(_regions.c.id))
# The same version as two scalar columns another statement can carry (the session user's load).
VERSION_COLUMNS = (
    select(func.count(_regions.c.id)).scalar_subquery().label("region_count"),
    select(func.max(_regions.c.id)).scalar_subquery().label("region_top"),
)
_REQUEST_VERSION = "_pwposts_region_version"


def note_version(count: int, top: int | None) -> None:
    """The region table's version as read in this request's transaction (by the user's load)."""
    request.__dict__[_REQUEST_VERSION] = (count, top)


def cached_region_choices(prefix: str) -> tuple[list, list]:
    """(townships [(id, name)], villages [(id, name,
    township_id)]) under `prefix`; callers must not mutate."""
    # kept on the request, not on `g`: an app context (and its `g`) may outlive requests (tests, CLI)
    per_request = request.__dict__.setdefault("_pwposts_region_choices", {})
    if prefix in per_request:
        return per_request[prefix]
    noted = request.__dict__.get(_REQUEST_VERSION)
    count, top = noted if noted is not None else db.session.execute(_VERSION).one()
    key = (str(db.engine.url), prefix)
    version = (_generation, count, top)
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] == version and now - hit[1] < MAX_AGE:
        result = hit[2]
    else:
        result = _load(prefix)
        with _lock:
            _cache[key] = (version, now, result)
    per_request[prefix] = result
    return result


# The <option>s of a region drop-down, rendered once per cached choice list (and township filter): a
# county's ~300 villages cost ~900 escapes and template steps on every list page otherwise. An entry
# keeps the list it was made from, so a refreshed list (a new object) is rendered again.
_options: dict[tuple, tuple[list, str]] = {}


def region_options(choices: list, selected_id: int | None, parent_id: int | None = None) -> Markup:
    """<option value="id">name</option> for (id, name[, parent_id]) choices — only those under `parent_id`
    when given — with `selected_id` marked selected."""
    key = (id(choices), parent_id or 0)
    hit = _options.get(key)
    if hit is None or hit[0] is not choices:
        html = "".join(
            f'<option value="{c[0]}">{escape(c[1])}</option>'
            for c in choices
            if not parent_id or c[2] == parent_id
        )
        with _lock:
            if len(_options) > 256:
                _options.clear()
            _options[key] = hit = (choices, html)
    html = hit[1]
    if selected_id:
        mark = f'<option value="{int(selected_id)}">'
        html = html.replace(mark, mark[:-1] + " selected>", 1)
    return Markup(html)
