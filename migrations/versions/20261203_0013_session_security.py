"""sessions and logins: user_account.session_version, must_change_password, lockout_cleared_at

A session cookie stores the user's session_version at login; logout, a password change or reset and
deactivation bump it, so older cookies are refused. must_change_password sends an account an admin
created (or reset) to the change-password page first. lockout_cleared_at is set when the admin unlocks.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("lockout_cleared_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("lockout_cleared_at")
        batch.drop_column("must_change_password")
        batch.drop_column("session_version")
