"""The one clock, as services see it.

Services never read the real clock. Business dates come in as the `today` argument; the time a
change is stamped with (technical timestamps, naive UTC) is bound to the unit of work by the caller
— the web/API request hook, a CLI command, the demo builder or a test — with `bind_now(session, now)`,
and read here with `now_of(session)`. A service called on a session nobody bound refuses to guess.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

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
