"""audit_checkpoint: notes of the audit chain's head (count, last id, hash, time)

Kept outside audit_entry so that deleting the newest audit entries is detected by `audit verify`.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("last_entry_id", sa.Integer(), nullable=True),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("actor_label", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_checkpoint") as batch:
        batch.create_index(batch.f("ix_audit_checkpoint_at"), ["at"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_checkpoint") as batch:
        batch.drop_index(batch.f("ix_audit_checkpoint_at"))
    op.drop_table("audit_checkpoint")
