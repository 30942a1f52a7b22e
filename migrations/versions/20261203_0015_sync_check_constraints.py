"""CHECK constraints as the models have them after the branches of 2026-12-03 met

* county_setting.key: 'attendance_four_eyes' (0008) and 'colour_idle_days' (0011) were added to the settings
  without widening the CHECK that 0010 rewrote, so an upgraded database refused them;
* payroll_run.kind: 0006 named its CHECK with the prefix twice (ck_payroll_run_ck_payroll_run_kind_valid).

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03 19:40:00

"""

from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

KEYS_0010 = (
    "parity_tolerance_pct",
    "publicity_working_days",
    "household_post_limit",
    "age_cap",
    "arrears_days",
    "pay_frequency",
    "assessment_due_day",
    "eligible_categories",
    "exit_report_days",
)
KEYS = KEYS_0010 + ("attendance_four_eyes", "colour_idle_days")
RUN_KINDS = "kind IN ('regular', 'supplementary')"


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _recheck(keys):
    with op.batch_alter_table("county_setting") as batch:
        batch.drop_constraint(op.f("ck_county_setting_key_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_county_setting_key_valid"), _in("key", keys))


def upgrade():
    _recheck(KEYS)
    with op.batch_alter_table("payroll_run") as batch:
        batch.drop_constraint(op.f("ck_payroll_run_ck_payroll_run_kind_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_payroll_run_kind_valid"), RUN_KINDS)


def downgrade():
    with op.batch_alter_table("payroll_run") as batch:
        batch.drop_constraint(op.f("ck_payroll_run_kind_valid"), type_="check")
        batch.create_check_constraint(op.f("ck_payroll_run_ck_payroll_run_kind_valid"), RUN_KINDS)
    _recheck(KEYS_0010)
