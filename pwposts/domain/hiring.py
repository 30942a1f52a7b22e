"""以岗聘任 rules: application states, eligibility, priority, 公示 working days (DOMAIN.md §2)."""
from __future__ import annotations

APPLICATION_STATES = ("eligible", "ineligible", "shortlisted", "removed", "hired", "withdrawn", "not_selected")
APPLICATION_STATE_LABELS = {
    "eligible": "符合条件", "ineligible": "不符合条件", "shortlisted": "公示中", "removed": "因异议取消",
    "hired": "已聘用", "withdrawn": "已撤回", "not_selected": "未入选",
}
PUBLICITY_STATES = ("open", "ended")
OBJECTION_STATES = ("open", "upheld", "rejected")
