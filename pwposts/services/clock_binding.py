"""The one clock, as services see it.

Services never read the real clock. Business dates come in as the `today` argument; the time a
change is stamped with (technical timestamps, naive UTC) is bound to the unit of work by the caller
— the web/API request hook, a CLI command, the demo builder or a test — with `bind_now(session, now)`,
and read here with `now_of(session)`. A service called on a session nobody bound refuses to guess.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, attributes

_KEY = "pwposts_now"


def bind_now(session: Session, now: datetime) -> None:
    """Bind the caller's `now` (naive UTC) to the session for every service call that follows."""
    if now.tzinfo is not None:
        raise ValueError("now must be naive UTC")
    session.info[_KEY] = now


def now_of(session: Session) -> datetime:
    """The `now` the caller bound; a RuntimeError (a programming error, not user input) if none was."""
    try:
        return session.info[_KEY]
    except KeyError:
        raise RuntimeError(
            "no clock bound to this session: call bind_now(session, now) at the commit point"
        ) from None


# Timestamps the models default to the real clock (models/_types.utcnow: created_at, entered_at, at, …)
# take the bound `now` instead, whoever writes the row through the ORM: a new object's stamp left unset is
# set at flush, and a changed object's onupdate stamp (person.updated_at) too unless the change set it.
# Core INSERT/UPDATE statements pass their stamps themselves (stamped_update_values for an UPDATE). Without
# a bound `now` (a script that never bound one) the models' default stays the fallback.


def _is_clock(default) -> bool:
    from ..models._types import utcnow

    arg = getattr(default, "arg", None)
    return arg is utcnow or getattr(arg, "__wrapped__", None) is utcnow


@lru_cache(maxsize=None)
def _stamps(cls) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(attributes the clock fills on insert, attributes it sets on update) of a mapped class."""
    mapper = sa_inspect(cls)
    on_insert, on_update = [], []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if _is_clock(column.default):
            on_insert.append(prop.key)
        if _is_clock(column.onupdate):
            on_update.append(prop.key)
    return tuple(on_insert), tuple(on_update)


@event.listens_for(Session, "before_flush")
def _stamp_with_the_bound_now(session: Session, _flush_context, _instances) -> None:
    now = session.info.get(_KEY)
    if now is None:
        return
    for obj in session.new:
        for key in _stamps(type(obj))[0]:
            if getattr(obj, key) is None:
                setattr(obj, key, now)
    for obj in session.dirty:
        keys = _stamps(type(obj))[1]
        if keys and session.is_modified(obj, include_collections=False):
            for key in keys:
                if not attributes.get_history(obj, key).has_changes():
                    setattr(obj, key, now)


def stamped_update_values(session: Session, table) -> dict[str, datetime]:
    """For a Core UPDATE of `table`: its clock-stamped-on-update columns set to the bound `now` (the column's
    onupdate would read the real clock)."""
    return {c.name: now_of(session) for c in table.columns if _is_clock(c.onupdate)}
