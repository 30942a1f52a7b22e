"""perf: index payment.account_no (the approval scan's SHARED_ACCOUNT finds an account's lines by it)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 11:00:00

"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_payment_account_no"), "payment", ["account_no"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_payment_account_no"), table_name="payment")
