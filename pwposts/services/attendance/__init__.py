"""在岗领补 step 1: a village's month of attendance — entered, approved by the township, locked once paid.

States of an AttendanceRecord: draft (待审核) → approved (已审核) → locked (已发放锁定, set by the
payroll when the month is paid). A draft can be changed by whoever may enter attendance for
the village; an approved record only after the township sends it back (`reopen_record`); a
locked one never. Every write is audited; services flush only.

The holders of a village for a month are the contracts on the village's posts that cover some
day of the month, with status active, ended or terminated — a contract that ended mid-month
still needs that month's attendance.

Modules: holders (who is on a village-month, loading, the sheet's version), entry (entering and
importing), approval (approving, sending back, overviews). Callers keep importing
`from pwposts.services import attendance` and `attendance.<name>`: every public name is re-exported here.
"""

from .approval import (
    VillageSummary,
    approve_month,
    count_drafts,
    count_missing,
    four_eyes,
    load_region,
    month_overview,
    month_paid,
    reopen_record,
    villages_under,
)
from .entry import enter_month, import_month, plan_month
from .holders import (
    HOLDER_STATES,
    RECORD_FIELDS,
    SHEET,
    EntryResult,
    Holder,
    VillageMonth,
    claim_sheet,
    covering_contracts,
    holders_for_month,
    load_village,
    parse_version,
    sheet_version,
    term_of,
    village_month,
)

__all__ = [
    "EntryResult",
    "HOLDER_STATES",
    "Holder",
    "RECORD_FIELDS",
    "SHEET",
    "VillageMonth",
    "VillageSummary",
    "approve_month",
    "claim_sheet",
    "count_drafts",
    "count_missing",
    "covering_contracts",
    "enter_month",
    "four_eyes",
    "holders_for_month",
    "import_month",
    "load_region",
    "load_village",
    "month_overview",
    "month_paid",
    "parse_version",
    "plan_month",
    "reopen_record",
    "sheet_version",
    "term_of",
    "village_month",
    "villages_under",
]
