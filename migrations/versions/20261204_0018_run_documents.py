"""perf: a payroll run's printed sheets (汇总表, 公示表) stored with their SHA-256

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 04:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "run_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payroll_run.id"], name=op.f("fk_run_document_run_id_payroll_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_document")),
        sa.UniqueConstraint("run_id", "variant", name=op.f("uq_run_document_run_id_variant")),
    )


def downgrade():
    op.drop_table("run_document")
