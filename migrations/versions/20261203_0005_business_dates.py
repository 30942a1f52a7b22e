"""business dates: post.decided_on and payroll_run.approved_on

Vacancies and arrears count from the business date of a decision (the Beijing `today` the service was
given), not from a UTC timestamp cut to a date. Existing rows take the Beijing date of their timestamp.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:00:00

"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _backfill(table: str, stamp: str, day: str) -> None:
    bind = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column(stamp, sa.DateTime), sa.column(day, sa.Date))
    rows = bind.execute(sa.select(t.c.id, t.c[stamp]).where(t.c[stamp].is_not(None))).all()
    for row_id, at in rows:
        bind.execute(t.update().where(t.c.id == row_id).values({day: (at + timedelta(hours=8)).date()}))


def upgrade():
    with op.batch_alter_table("post") as batch:
        batch.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
    with op.batch_alter_table("payroll_run") as batch:
        batch.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
    _backfill("post", "decided_at", "decided_on")
    _backfill("payroll_run", "approved_at", "approved_on")


def downgrade():
    with op.batch_alter_table("payroll_run") as batch:
        batch.drop_column("approved_on")
    with op.batch_alter_table("post") as batch:
        batch.drop_column("decided_on")
