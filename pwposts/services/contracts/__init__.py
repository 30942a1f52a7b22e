"""以岗聘任 step 5 — contracts: sign for a hired application, record the accident insurance,
activate, renew after a passed annual grade, void a draft (DOMAIN.md §2).

Each signing lasts at most one year (domain.contracts.check_term, also a CHECK in the database);
no two active contracts for one person (here, and a partial unique index); never more live
(draft or active) signings on a post than its headcount. 'active' means the current signing —
it may be activated before its start date; payroll goes by the dates.

The use cases live in signing (sign, void a draft, the checks every new signing passes), activation
(insurance, activate), renewal; listing holds the list, one contract, its history and the dashboard;
pending the hired applications awaiting a contract; common the shared fields and helpers. Callers keep
importing `from pwposts.services import contracts` and `contracts.<name>`: every public name is
re-exported here.
"""

from .activation import activate_contract, covering_policy, record_insurance
from .common import FIELDS, POLICY_FIELDS, SIGNABLE_POST_STATES, STATUS_FIELDS
from .listing import (
    ContractFilter,
    contract_history,
    contract_ids,
    contract_list_rows,
    contract_list_statement,
    contract_query,
    dashboard_counts,
    expiring_clause,
    hired_application,
    latest_policy,
    load_contract,
    renewal_of,
    scope_contracts,
)
from .pending import (
    PendingFilter,
    awaiting_signing,
    awaiting_signing_count,
    contract_for_application,
    contracts_for_applications,
)
from .renewal import latest_annual_grade, renew_contract
from .signing import sign_contract, void_draft

__all__ = [
    "FIELDS",
    "POLICY_FIELDS",
    "SIGNABLE_POST_STATES",
    "STATUS_FIELDS",
    "ContractFilter",
    "PendingFilter",
    "activate_contract",
    "awaiting_signing",
    "awaiting_signing_count",
    "contract_for_application",
    "contract_history",
    "contract_ids",
    "contract_list_rows",
    "contract_list_statement",
    "contract_query",
    "contracts_for_applications",
    "covering_policy",
    "dashboard_counts",
    "expiring_clause",
    "hired_application",
    "latest_annual_grade",
    "latest_policy",
    "load_contract",
    "record_insurance",
    "renew_contract",
    "renewal_of",
    "scope_contracts",
    "sign_contract",
    "void_draft",
]
