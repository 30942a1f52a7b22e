"""perf: index contract.previous_contract_id (renewals are looked up by it)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 04:50:00

"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        op.f("ix_contract_previous_contract_id"), "contract", ["previous_contract_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_contract_previous_contract_id"), table_name="contract")
