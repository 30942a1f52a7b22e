"""payroll: a change counter per township-month, and the counters a preview was computed against

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-03 22:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pay_input_change",
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id"], ["region.id"], name=op.f("fk_pay_input_change_township_id_region")
        ),
        sa.PrimaryKeyConstraint("township_id", "month", name=op.f("pk_pay_input_change")),
    )
    with op.batch_alter_table("payroll_run") as batch:
        batch.add_column(sa.Column("inputs_stamp", sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table("payroll_run") as batch:
        batch.drop_column("inputs_stamp")
    op.drop_table("pay_input_change")
