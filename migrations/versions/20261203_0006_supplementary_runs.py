"""supplementary payroll runs (补充清册) and objections about an unpaid month

* payroll_run.kind: 'regular' (月度清册) or 'supplementary' (补充清册). One live regular run per
  township-month (uq_payroll_run_live now covers regular runs only); supplementary runs may follow an
  approved regular run; at most one preview of either kind per township-month (uq_payroll_run_preview).
* payment_objection: payment_id becomes optional; contract_id and month (filled from the payment for
  existing rows) say which contract-month the objection is about, so a holder can object to a month that
  was never paid.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payroll_run") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=13), server_default="regular", nullable=False))
        batch.create_check_constraint("ck_payroll_run_kind_valid", "kind IN ('regular', 'supplementary')")
        batch.drop_index("uq_payroll_run_live")
        batch.create_index(
            "uq_payroll_run_live",
            ["township_id", "month"],
            unique=True,
            sqlite_where=sa.text("status <> 'void' AND kind = 'regular'"),
            postgresql_where=sa.text("status <> 'void' AND kind = 'regular'"),
        )
        batch.create_index(
            "uq_payroll_run_preview",
            ["township_id", "month"],
            unique=True,
            sqlite_where=sa.text("status = 'preview'"),
            postgresql_where=sa.text("status = 'preview'"),
        )
    with op.batch_alter_table("payment_objection") as batch:
        batch.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("month", sa.String(length=7), nullable=True))
    bind = op.get_bind()
    objection = sa.table(
        "payment_objection",
        sa.column("payment_id", sa.Integer),
        sa.column("contract_id", sa.Integer),
        sa.column("month", sa.String),
    )
    payment = sa.table(
        "payment",
        sa.column("id", sa.Integer),
        sa.column("contract_id", sa.Integer),
        sa.column("month", sa.String),
    )
    bind.execute(
        objection.update().values(
            contract_id=sa.select(payment.c.contract_id)
            .where(payment.c.id == objection.c.payment_id)
            .scalar_subquery(),
            month=sa.select(payment.c.month).where(payment.c.id == objection.c.payment_id).scalar_subquery(),
        )
    )
    with op.batch_alter_table("payment_objection") as batch:
        batch.alter_column("contract_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("month", existing_type=sa.String(length=7), nullable=False)
        batch.alter_column("payment_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(
            "fk_payment_objection_contract_id_contract", "contract", ["contract_id"], ["id"]
        )
        batch.create_index("ix_payment_objection_contract_id", ["contract_id"], unique=False)


def downgrade():
    bind = op.get_bind()
    objection = sa.table("payment_objection", sa.column("payment_id", sa.Integer))
    bind.execute(objection.delete().where(objection.c.payment_id.is_(None)))
    with op.batch_alter_table("payment_objection") as batch:
        batch.drop_index("ix_payment_objection_contract_id")
        batch.drop_constraint("fk_payment_objection_contract_id_contract", type_="foreignkey")
        batch.alter_column("payment_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("month")
        batch.drop_column("contract_id")
    payroll_run = sa.table("payroll_run", sa.column("kind", sa.String))
    bind.execute(payroll_run.delete().where(payroll_run.c.kind == "supplementary"))
    with op.batch_alter_table("payroll_run") as batch:
        batch.drop_index("uq_payroll_run_preview")
        batch.drop_index("uq_payroll_run_live")
        batch.create_index(
            "uq_payroll_run_live",
            ["township_id", "month"],
            unique=True,
            sqlite_where=sa.text("status <> 'void'"),
            postgresql_where=sa.text("status <> 'void'"),
        )
        batch.drop_constraint("ck_payroll_run_kind_valid", type_="check")
        batch.drop_column("kind")
