"""perf: indexes behind the contracts page's "hired, awaiting a contract" count

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 04:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    # hired applications found by status alone, with their notice for the scope (covering)
    op.create_index("ix_application_status_notice", "application", ["status", "notice_id"], unique=False)
    # "has this application a signed (non-void) contract?" answered from the index alone
    op.create_index(
        "ix_contract_signed_application",
        "contract",
        ["application_id"],
        unique=False,
        sqlite_where=sa.text("status != 'void'"),
        postgresql_where=sa.text("status != 'void'"),
    )


def downgrade():
    op.drop_index("ix_contract_signed_application", table_name="contract")
    op.drop_index("ix_application_status_notice", table_name="application")
