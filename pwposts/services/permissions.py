"""The one place roles are interpreted: can(actor, action, obj) and the region scope of lists."""

from __future__ import annotations

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import Session

from ..domain.errors import Forbidden, NotFound
from ..domain.roles import ACTIONS, DASHBOARD_TITLES, HOLDER
from ..models.people import Person, Region

# How much of the 12-digit code a scope of each level fixes.
PREFIX_LEN = {"county": 6, "township": 9, "village": 12}


def scope_prefix(actor) -> str | None:
    """Region-code prefix the actor may see ('' = none, for holders and users without a region)."""
    if actor is None or actor.role == HOLDER or actor.region is None:
        return ""
    return actor.region.code[: PREFIX_LEN[actor.region.level]]


def county_wide(actor) -> bool:
    """Whether the actor's scope is a whole county (county staff and inspectors): a list's statement may
    then walk its rows in order and check each one's region, instead of collecting the scope's rows first
    (the scope is still applied: a database may hold more than one county)."""
    return len(scope_prefix(actor) or "") == PREFIX_LEN["county"]


def scope_key(actor) -> tuple:
    """Everything of the actor that `can(actor, action)` without an object and the scope helpers below
    read: two actors with the same key are shown the same lists (a key for statements built once)."""
    if actor is None:
        return (None,)
    return (actor.role, bool(actor.active), actor.person_id, scope_prefix(actor))


def region_code_of(obj) -> str | None:
    """The region code an object belongs to (the most specific one), via its village/township/region."""
    if obj is None:
        return None
    if isinstance(obj, Region):
        return obj.code
    for attr in ("village", "township", "region", "county"):
        r = getattr(obj, attr, None)
        if isinstance(r, Region):
            return r.code
    for attr in ("person", "post", "contract", "run"):
        inner = getattr(obj, attr, None)
        if inner is not None and inner is not obj:
            return region_code_of(inner)
    return None


def person_id_of(obj) -> int | None:
    if isinstance(obj, Person):
        return obj.id
    pid = getattr(obj, "person_id", None)
    if pid is not None:
        return pid
    for attr in ("contract", "payment"):
        inner = getattr(obj, attr, None)
        if inner is not None:
            return person_id_of(inner)
    return None


def in_scope(actor, obj) -> bool:
    if actor.role == HOLDER:
        pid = person_id_of(obj)
        return pid is not None and pid == actor.person_id
    prefix = scope_prefix(actor)
    if not prefix:
        return False
    code = region_code_of(obj)
    if code is None:
        return True  # county-wide objects such as standards and settings
    # A village clerk may see the township/county object its village belongs to only through
    # explicit read actions; for writes the object must sit inside the actor's region.
    return code.startswith(prefix)


def can(actor, action: str, obj=None) -> bool:
    """May `actor` do `action` (to `obj`, when given)? Used by views, API handlers and templates."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.active:
        return False
    roles = ACTIONS.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    if actor.role == HOLDER and action in ("view_person", "view_contract") and obj is not None:
        return in_scope(actor, obj)
    if actor.role not in roles:
        return False
    if obj is None:
        return True
    return in_scope(actor, obj)


def require(actor, action: str, obj=None, *, what: str = "记录") -> None:
    """Raise NotFound when the object is outside the actor's sight, Forbidden when only the role lacks it."""
    if can(actor, action, obj):
        return
    if obj is not None and actor is not None and not in_scope(actor, obj):
        raise NotFound(what)
    raise Forbidden()


def roles_with(action: str) -> tuple[str, ...]:
    """The roles that may do `action`: for queries such as "the users a flag may be assigned to"."""
    return ACTIONS[action]


def dashboard_title(actor) -> str:
    return DASHBOARD_TITLES[actor.role]


def scope_regions(actor, query: Select, region_column) -> Select:
    """Limit a query to rows whose region (region_column → region.id) is inside the actor's scope.

    The prefix is written into the statement as an SQL literal ('522799%'), not a bound parameter: the
    statement is built once per scope anyway (pagination.cached_select), and PostgreSQL plans a prepared
    statement (psycopg prepares after 5 runs) with one generic plan, in which `code LIKE $1` is costed
    as matching 2 of the county's 321 regions — nested loops over every post, person or application of
    a county-wide scope (the contracts page's two statements: 3.6 and 6.7 ms by their generic plans).
    With the literal, the generic plan is planned for the scope itself."""
    prefix = scope_prefix(actor)
    if prefix is None or prefix == "":
        return query.where(False)
    pattern = literal(prefix + "%", literal_execute=True)
    return query.where(region_column.in_(select(Region.id).where(Region.code.like(pattern))))


def scope_persons(actor, query: Select) -> Select:
    """Limit a Person query to the actor's scope (a holder sees only themselves)."""
    if actor.role == HOLDER:
        return query.where(Person.id == (actor.person_id or -1))
    return scope_regions(actor, query, Person.village_id)


def get_scoped(session: Session, actor, model, ident, action: str, what: str = "记录"):
    """Load one object and check can(actor, action, obj); 404 when absent or out of scope."""
    obj = session.get(model, ident)
    if obj is None:
        raise NotFound(what)
    require(actor, action, obj, what=what)
    return obj


def id_number_search(actor, column, text: str):
    """The ID-number part of a text search, never an oracle for digits the actor is not shown.

    Roles that may see full numbers match any part of the number (LIKE wildcards in `text` escaped,
    so `522799_____909317X` is a literal, not a pattern). Others see numbers masked (first 6 and last 4)
    and may match only the last four characters; anything else matches nothing by number.
    """
    import re

    from sqlalchemy import false

    from ..domain.people import normalize_id_number

    idn = normalize_id_number(text)
    if not idn:
        return false()
    if can(actor, "view_full_id_number"):
        return column.contains(idn, autoescape=True)
    if re.fullmatch(r"[0-9]{3}[0-9X]", idn):
        return column.endswith(idn, autoescape=True)
    return false()
