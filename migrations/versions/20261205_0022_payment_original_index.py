"""perf: partial index payment(original_payment_id) WHERE NOT NULL (the foreign key's check when a run's
lines are deleted — re-preparing or voiding — probed it instead of scanning every payment line per line)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_payment_original_payment_id",
        "payment",
        ["original_payment_id"],
        unique=False,
        sqlite_where=sa.text("original_payment_id IS NOT NULL"),
        postgresql_where=sa.text("original_payment_id IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_payment_original_payment_id", table_name="payment")
