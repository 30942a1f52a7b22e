"""以岗聘任 use cases: notices, applications with the eligibility engine, 公示, objections, hiring.

Every function takes (session, actor, …, today), checks the actor with services.permissions,
writes an audit entry for each change and only flushes; the caller commits.

The use cases live in notices, applications (with hire), publicity (with objections); eligibility
holds the facts gathering and helpers; reading the lists and views. Callers keep importing
`from pwposts.services import hiring` and `hiring.<name>`: every public name is re-exported here.
"""

from ...domain.hiring import check_eligibility
from .applications import enter_application, hire, recheck_application
from .eligibility import (
    NOTICE_POST_STATES,
    eligibility_for,
    eligibility_for_many,
    failures_of,
    gather_facts,
    gather_facts_many,
    lock_post,
    occupied,
    rules_for,
)
from .notices import close_notice, notice_snapshot, publish_notice
from .publicity import (
    default_shortlist,
    end_publicity,
    publication_period,
    publish_shortlist,
    record_objection,
    resolve_objection,
    taken_places,
)
from .reading import (
    NoticeFilter,
    NoticeView,
    application_query,
    load_application,
    load_notice,
    load_publicity,
    notice_query,
    notice_state_expr,
    notice_state_of,
    notice_states,
    objections_of,
    open_objections,
    person_candidates,
    public_notices,
    public_publicities,
    publicities_due,
    publicities_ending,
)

__all__ = [
    "NOTICE_POST_STATES",
    "NoticeFilter",
    "NoticeView",
    "application_query",
    "check_eligibility",
    "close_notice",
    "default_shortlist",
    "eligibility_for",
    "eligibility_for_many",
    "end_publicity",
    "enter_application",
    "failures_of",
    "gather_facts",
    "gather_facts_many",
    "hire",
    "load_application",
    "load_notice",
    "load_publicity",
    "lock_post",
    "notice_query",
    "notice_snapshot",
    "notice_state_expr",
    "notice_state_of",
    "notice_states",
    "objections_of",
    "occupied",
    "open_objections",
    "person_candidates",
    "public_notices",
    "public_publicities",
    "publication_period",
    "publicities_due",
    "publicities_ending",
    "publish_notice",
    "publish_shortlist",
    "recheck_application",
    "record_objection",
    "resolve_objection",
    "rules_for",
    "taken_places",
]
