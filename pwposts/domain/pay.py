"""在岗领补 rules: states and labels for attendance, payroll runs and payments (DOMAIN.md §2)."""

from __future__ import annotations

ATTENDANCE_STATES = ("draft", "approved", "locked")
ATTENDANCE_STATE_LABELS = {"draft": "待审核", "approved": "已审核", "locked": "已发放锁定"}
DAY_KINDS = ("work", "leave", "absent")
RUN_STATES = ("preview", "approved", "void")
RUN_STATE_LABELS = {"preview": "待审批", "approved": "已审批", "void": "已作废"}
# a township-month has one regular run; once it is approved, supplementary runs (补充清册) pay the holders
# whose attendance was approved after it (docs/payroll.md)
RUN_KINDS = ("regular", "supplementary")
RUN_KIND_LABELS = {"regular": "月度清册", "supplementary": "补充清册"}
PAYMENT_KINDS = ("regular", "补发", "扣回")
PAYMENT_STATES = ("pending", "paid", "failed")
PAYMENT_STATE_LABELS = {"pending": "待发放", "paid": "已发放", "failed": "发放失败"}
OBJECTION_STATES = ("open", "answered")
