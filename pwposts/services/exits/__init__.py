"""有序退岗 — exits: propose (a clerk, or the daily sweep), confirm (township HR) or dismiss, record the
follow-up placement; the 311 services and the 四色预警 colours after the post (DOMAIN.md §2).

Confirming an exit sets the contract's exit_on (the last day paid: the day before the effective date)
and, once the effective date has come, its status to 'terminated' (已退岗) — the payroll and attendance
already stop at exit_on. The post's staffing follows (mark_staffing), so it shows the vacancy and can
recruit again. An exit never deletes anything; a dismissed proposal keeps its reason.

The rules (dates, late reports, the 311 schedule, the colours) are pure functions in domain/exits.py.

The use cases live in requests (propose, confirm, dismiss, placement), effects (confirming's effect on
the contract and the post, the sweep's apply_due_exits, payments after an exit), followup (311 services),
colours (四色预警) and listing (the exit list and history); common holds the shared helpers. Callers keep
importing `from pwposts.services import exits` and `exits.<name>`: every public name is re-exported here,
with `rules` (domain/exits.py) and `_confirm` (used by the sweep).
"""

from ...domain import exits as rules
from .colours import (
    ColourFilter,
    colour_counts,
    colour_of_person,
    colour_query,
    compute_colours,
    household_colours,
    red_candidates,
    red_household_person_ids,
    refresh_colours,
)
from .common import (
    CONTRACT_FIELDS,
    EXIT_FIELDS,
    SERVICE_FIELDS,
    idle_days,
    load_exit,
    open_exit_of,
    report_limit,
)
from .effects import _confirm, apply_due_exits, paid_after_exit
from .followup import behind_schedule, latest_exit, record_service, schedule_for, services_of
from .listing import ExitFilter, confirmed_exit_of, exit_history, exit_query, exits_of_contract
from .requests import confirm_exit, dismiss_exit, propose_exit, record_exit, set_placement

__all__ = [
    "CONTRACT_FIELDS",
    "EXIT_FIELDS",
    "SERVICE_FIELDS",
    "ColourFilter",
    "ExitFilter",
    "_confirm",
    "apply_due_exits",
    "behind_schedule",
    "colour_counts",
    "colour_of_person",
    "colour_query",
    "compute_colours",
    "confirm_exit",
    "confirmed_exit_of",
    "dismiss_exit",
    "exit_history",
    "exit_query",
    "exits_of_contract",
    "household_colours",
    "idle_days",
    "latest_exit",
    "load_exit",
    "open_exit_of",
    "paid_after_exit",
    "propose_exit",
    "record_exit",
    "record_service",
    "red_candidates",
    "red_household_person_ids",
    "refresh_colours",
    "report_limit",
    "rules",
    "schedule_for",
    "services_of",
    "set_placement",
]
