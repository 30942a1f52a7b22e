"""按需设岗 rules: post states and their transitions, wage parity (DOMAIN.md §2)."""
from __future__ import annotations

POST_STATES = ("draft", "submitted", "approved", "rejected", "recruiting", "partly_filled", "filled", "closed")
POST_STATE_LABELS = {
    "draft": "草稿", "submitted": "待县级审批", "approved": "已批准", "rejected": "已退回", "recruiting": "招聘中",
    "partly_filled": "部分在岗", "filled": "满员", "closed": "已撤销",
}
DEVIATION_STATES = ("none", "pending", "approved", "rejected")
