"""application.hired_on: the business date of the hire

A contract may not start before the hire, and the signing form starts the day after it; the hire date
is a business fact (the Beijing `today` the service was given). Existing hired applications take
checked_on, which the hire set to that same day (a hired application is never rechecked).

Revision ID: 0007
Revises: 0008
Create Date: 2026-12-03 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application") as batch:
        batch.add_column(sa.Column("hired_on", sa.Date(), nullable=True))
    t = sa.table(
        "application",
        sa.column("status", sa.String),
        sa.column("checked_on", sa.Date),
        sa.column("hired_on", sa.Date),
    )
    op.get_bind().execute(t.update().where(t.c.status == "hired").values(hired_on=t.c.checked_on))


def downgrade():
    with op.batch_alter_table("application") as batch:
        batch.drop_column("hired_on")
