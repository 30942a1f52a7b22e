"""perf: indexes behind the list pages' order, and stored contract PDFs with their SHA-256

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-03 19:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_person_village_name", "person", ["village_id", "name", "id"], unique=False)
    op.create_index(
        "ix_payroll_run_month_township", "payroll_run", ["month", "township_id", "id"], unique=False
    )
    op.create_index("ix_contract_end_on", "contract", ["end_on", "id"], unique=False)
    # "hired, awaiting a contract" (the contracts page and dashboard) probes contract by application
    op.create_index("ix_contract_application_id", "contract", ["application_id"], unique=False)
    op.create_table(
        "contract_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_document_contract_id_contract")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_document")),
        sa.UniqueConstraint("contract_id", name=op.f("uq_contract_document_contract_id")),
    )


def downgrade():
    op.drop_table("contract_document")
    op.drop_index("ix_contract_application_id", table_name="contract")
    op.drop_index("ix_contract_end_on", table_name="contract")
    op.drop_index("ix_payroll_run_month_township", table_name="payroll_run")
    op.drop_index("ix_person_village_name", table_name="person")
