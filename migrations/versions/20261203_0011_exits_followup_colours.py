"""exits: contract_exit (proposed → confirmed / dismissed), followup_service (311), person_colour (四色预警)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 17:57:27.815050

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contract_exit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("event_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("placement", sa.String(length=10), nullable=False),
        sa.Column("placement_note", sa.String(length=200), nullable=True),
        sa.Column("wants_work", sa.Boolean(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_label", sa.String(length=120), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("report_limit_days", sa.Integer(), nullable=True),
        sa.Column("dismissed_on", sa.Date(), nullable=True),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(status = 'confirmed') = (confirmed_on IS NOT NULL)",
            name=op.f("ck_contract_exit_confirmed_dated"),
        ),
        sa.CheckConstraint(
            "(status = 'dismissed') = (dismissed_on IS NOT NULL)",
            name=op.f("ck_contract_exit_dismissed_dated"),
        ),
        sa.CheckConstraint(
            "placement IN ('none', '转岗', '就业')", name=op.f("ck_contract_exit_placement_valid")
        ),
        sa.CheckConstraint(
            "reason IN ('employed', 'ineligible', 'assessment_failed', 'unable', 'death', 'misconduct', "
            "'own_request', 'contract_end', 'moved_away', 'retired')",
            name=op.f("ck_contract_exit_reason_valid"),
        ),
        sa.CheckConstraint("source IN ('staff', 'sweep')", name=op.f("ck_contract_exit_source_valid")),
        sa.CheckConstraint(
            "status IN ('proposed', 'confirmed', 'dismissed')", name=op.f("ck_contract_exit_status_valid")
        ),
        sa.CheckConstraint(
            "event_on <= effective_on", name=op.f("ck_contract_exit_event_not_after_effective")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_contract_exit_confirmed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_exit_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["user_account.id"],
            name=op.f("fk_contract_exit_dismissed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_contract_exit_person_id_person")),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["user_account.id"], name=op.f("fk_contract_exit_proposed_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_exit")),
    )
    with op.batch_alter_table("contract_exit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_exit_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_exit_late"), ["late"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_exit_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_exit_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_contract_exit_one_per_contract",
            ["contract_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'dismissed'"),
            postgresql_where=sa.text("status <> 'dismissed'"),
        )

    op.create_table(
        "followup_service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("exit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("given_by", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('job_info', 'training', 'guidance')", name=op.f("ck_followup_service_kind_valid")
        ),
        sa.ForeignKeyConstraint(
            ["exit_id"], ["contract_exit.id"], name=op.f("fk_followup_service_exit_id_contract_exit")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_followup_service_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_followup_service_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_service")),
    )
    with op.batch_alter_table("followup_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followup_service_exit_id"), ["exit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_followup_service_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_colour",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("exit_id", sa.Integer(), nullable=True),
        sa.Column("colour", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "colour IN ('red', 'orange', 'yellow', 'green')", name=op.f("ck_person_colour_colour_valid")
        ),
        sa.ForeignKeyConstraint(
            ["exit_id"], ["contract_exit.id"], name=op.f("fk_person_colour_exit_id_contract_exit")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_person_colour_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_person_colour")),
    )
    with op.batch_alter_table("person_colour", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_colour_colour"), ["colour"], unique=False)


def downgrade():
    with op.batch_alter_table("person_colour", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_colour_colour"))

    op.drop_table("person_colour")
    with op.batch_alter_table("followup_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_service_person_id"))
        batch_op.drop_index(batch_op.f("ix_followup_service_exit_id"))

    op.drop_table("followup_service")
    with op.batch_alter_table("contract_exit", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contract_exit_one_per_contract",
            sqlite_where=sa.text("status <> 'dismissed'"),
            postgresql_where=sa.text("status <> 'dismissed'"),
        )
        batch_op.drop_index(batch_op.f("ix_contract_exit_status"))
        batch_op.drop_index(batch_op.f("ix_contract_exit_person_id"))
        batch_op.drop_index(batch_op.f("ix_contract_exit_late"))
        batch_op.drop_index(batch_op.f("ix_contract_exit_contract_id"))

    op.drop_table("contract_exit")
