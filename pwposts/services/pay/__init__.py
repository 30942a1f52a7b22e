"""在岗领补 steps 3–4: a township's payroll run — prepared for all holders at once, approved by a
second person, paid through the bank, corrected only by new lines; and arrears (拖欠).

Life of a run (payroll_run.status): preview (待审批) → approved (已审批), or preview → void.

* prepare_run computes the lines of every contract of the township that covers the month, from
  one SELECT (contract, post, person, fund, approved attendance, monthly grade), the pure rule
  domain.payroll.compute_line, and one executemany INSERT. Holders without approved attendance
  are not paid and are listed on the preview. Re-preparing a preview replaces its lines.
  One live run per township and month: a partial unique index in the database; on PostgreSQL an
  advisory lock keyed by township+month also serialises concurrent prepares and approvals.
* approve_run: a second person (preparer ≠ approver, also a CHECK in the database), only while
  the preview still matches its inputs, the accounts are the holders' own, and every fund's
  remaining allocation covers the run. A conditional UPDATE … WHERE status = 'preview' lets
  exactly one of two concurrent approvals win. The attendance of the paid lines is locked.
* The bank: bank_file_rows → the file of pending lines of a batch; import_bank_results marks
  lines paid or failed (all or nothing); retry_failed moves failed lines to the next batch.
* A paid amount is never edited: correct_payment adds a 补发 or 扣回 line.

Modules: common (loading, locks, run months), inputs (the one SELECT and the lines), staleness,
checks (what a preview shows), runs (prepare/void/approve), bank, corrections, lists, arrears.
Services flush only; the web, API or CLI commits.
"""

from . import changes  # noqa: F401 (registers the change counter's flush listener)
from .arrears import ArrearsRow, arrears
from .bank import (
    BankImport,
    bank_file_rows,
    current_batch,
    import_bank_result_rows,
    import_bank_results,
    retry_failed,
)
from .checks import Blocker, FundCheck, RunView, account_blockers, fund_checks, run_months, run_view
from .common import (
    ATTENDANCE,
    PAID_ATTENDANCE,
    PAYMENT,
    RUN,
    SHOWN_NAMES,
    Unpaid,
    load_run,
    load_township,
    rules_label,
    run_months_for,
    unpaid_summary,
)
from .corrections import CORRECTION_KINDS, correct_payment
from .inputs import compute_run
from .lists import (
    SheetLine,
    count_awaiting_approval,
    line_query,
    run_ids,
    run_list_rows,
    run_list_statement,
    run_query,
    sheet_lines,
)
from .runs import approve_run, prepare_run, void_run
from .staleness import LATE_REASON

__all__ = [
    "ATTENDANCE",
    "ArrearsRow",
    "BankImport",
    "Blocker",
    "CORRECTION_KINDS",
    "FundCheck",
    "LATE_REASON",
    "PAID_ATTENDANCE",
    "PAYMENT",
    "RUN",
    "RunView",
    "SHOWN_NAMES",
    "SheetLine",
    "Unpaid",
    "account_blockers",
    "approve_run",
    "arrears",
    "bank_file_rows",
    "compute_run",
    "correct_payment",
    "count_awaiting_approval",
    "current_batch",
    "fund_checks",
    "import_bank_result_rows",
    "import_bank_results",
    "line_query",
    "load_run",
    "load_township",
    "prepare_run",
    "retry_failed",
    "rules_label",
    "run_months",
    "run_months_for",
    "run_ids",
    "run_list_rows",
    "run_list_statement",
    "run_query",
    "run_view",
    "sheet_lines",
    "unpaid_summary",
    "void_run",
]
