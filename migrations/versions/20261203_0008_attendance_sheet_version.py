"""attendance sheet versions: a village-month sheet refuses a save based on an outdated version

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attendance_sheet_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("version >= 0", name=op.f("ck_attendance_sheet_version_version_not_negative")),
        sa.CheckConstraint("length(month) = 7", name=op.f("ck_attendance_sheet_version_month_format")),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_attendance_sheet_version_changed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["region.id"], name=op.f("fk_attendance_sheet_version_village_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_sheet_version")),
        sa.UniqueConstraint("village_id", "month", name=op.f("uq_attendance_sheet_version_village_id_month")),
    )


def downgrade():
    op.drop_table("attendance_sheet_version")
