"""按需设岗 use cases: propose a post for a written need at the county standard, submit it (wage
parity checked), the county approves or rejects it, recruitment opens, staffing follows the
active contracts, the post is closed. One function per transition; each audited; each refuses a
wrong state with the transition table's message (domain/posts.py). Services flush, never commit.

The use cases live in proposal (propose, edit, submit, approve, reject, revise), staffing (recruitment,
staffing, closing); listing holds the lists, history and vacancies; parity the parity report; lookups the
shared look-ups (standards, codes, the actor's county, form choices). Callers keep importing
`from pwposts.services import posts` and `posts.<name>`: every public name is re-exported here.
"""

from .listing import (
    PostFilter,
    Vacancy,
    count_by_status,
    post_filter_query,
    post_history,
    post_list_rows,
    post_query,
    post_row,
    vacant_posts,
)
from .lookups import (
    AUDIT_FIELDS,
    EDITABLE,
    PostInput,
    active_holders,
    actor_county,
    form_choices,
    load_post,
    standard_in_force,
    standards_today,
    tolerance_pct,
)
from .parity import REPORT_STATES, ParityGroup, ParityLine, parity_plain, parity_report
from .proposal import (
    approve_post,
    parity_of,
    propose_post,
    reject_post,
    revise_post,
    submit_post,
    update_draft,
)
from .staffing import close_post, mark_staffing, open_recruitment

__all__ = [
    "AUDIT_FIELDS",
    "EDITABLE",
    "REPORT_STATES",
    "ParityGroup",
    "ParityLine",
    "PostFilter",
    "PostInput",
    "Vacancy",
    "active_holders",
    "actor_county",
    "approve_post",
    "close_post",
    "count_by_status",
    "form_choices",
    "load_post",
    "mark_staffing",
    "open_recruitment",
    "parity_of",
    "parity_plain",
    "parity_report",
    "post_history",
    "post_filter_query",
    "post_list_rows",
    "post_query",
    "post_row",
    "propose_post",
    "reject_post",
    "revise_post",
    "standard_in_force",
    "standards_today",
    "submit_post",
    "tolerance_pct",
    "update_draft",
    "vacant_posts",
]
