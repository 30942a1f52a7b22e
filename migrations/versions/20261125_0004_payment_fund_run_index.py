"""payment: covering index (fund_id, run_id, amount_fen) replaces ix_payment_fund_id

Approval sums each fund's approved payments; with this index the sum reads the index only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 16:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_payment_fund_run", "payment", ["fund_id", "run_id", "amount_fen"], unique=False)
    op.drop_index("ix_payment_fund_id", table_name="payment")


def downgrade():
    op.create_index("ix_payment_fund_id", "payment", ["fund_id"], unique=False)
    op.drop_index("ix_payment_fund_run", table_name="payment")
