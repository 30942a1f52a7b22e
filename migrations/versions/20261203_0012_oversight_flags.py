"""oversight: anomaly flags, notes, dispositions and rectification items

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "oversight_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=30), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("subject_key", sa.String(length=120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("period_from", sa.String(length=7), nullable=True),
        sa.Column("period_to", sa.String(length=7), nullable=True),
        sa.Column("money_fen", sa.BigInteger(), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("evidence_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("first_seen_on", sa.Date(), nullable=False),
        sa.Column("last_seen_on", sa.Date(), nullable=False),
        sa.Column("previous_flag_id", sa.Integer(), nullable=True),
        sa.Column("assigned_to_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'confirmed', 'dismissed')", name=op.f("ck_oversight_flag_status_valid")
        ),
        sa.CheckConstraint(
            "severity IN ('high', 'medium', 'low')", name=op.f("ck_oversight_flag_severity_valid")
        ),
        sa.CheckConstraint("money_fen >= 0", name=op.f("ck_oversight_flag_money_not_negative")),
        sa.ForeignKeyConstraint(
            ["assigned_to_id"],
            ["user_account.id"],
            name=op.f("fk_oversight_flag_assigned_to_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_oversight_flag_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["previous_flag_id"],
            ["oversight_flag.id"],
            name=op.f("fk_oversight_flag_previous_flag_id_oversight_flag"),
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["region.id"], name=op.f("fk_oversight_flag_township_id_region")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["region.id"], name=op.f("fk_oversight_flag_village_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_flag")),
    )
    with op.batch_alter_table("oversight_flag") as batch:
        batch.create_index(batch.f("ix_oversight_flag_person_id"), ["person_id"], unique=False)
        batch.create_index(batch.f("ix_oversight_flag_village_id"), ["village_id"], unique=False)
        batch.create_index("ix_oversight_flag_rule_subject", ["rule_id", "subject_key"], unique=False)
        batch.create_index("ix_oversight_flag_status_township", ["status", "township_id"], unique=False)
        batch.create_index(
            "uq_oversight_flag_open_subject",
            ["rule_id", "subject_key"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
    op.create_table(
        "oversight_flag_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_oversight_flag_note_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["oversight_flag.id"], name=op.f("fk_oversight_flag_note_flag_id_oversight_flag")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_flag_note")),
    )
    with op.batch_alter_table("oversight_flag_note") as batch:
        batch.create_index(batch.f("ix_oversight_flag_note_flag_id"), ["flag_id"], unique=False)
    op.create_table(
        "oversight_disposition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("evidence_hash", sa.String(length=64), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('confirmed', 'dismissed')", name=op.f("ck_oversight_disposition_outcome_valid")
        ),
        sa.CheckConstraint(
            "outcome <> 'dismissed' OR (reason_code IS NOT NULL AND length(reason_text) > 0)",
            name=op.f("ck_oversight_disposition_dismissal_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_oversight_disposition_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["oversight_flag.id"], name=op.f("fk_oversight_disposition_flag_id_oversight_flag")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_disposition")),
        sa.UniqueConstraint("flag_id", name=op.f("uq_oversight_disposition_flag_id")),
    )
    op.create_table(
        "oversight_rectification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposition_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('recover_money', 'remove_holder', 'correct_records', 'discipline', 'other')",
            name=op.f("ck_oversight_rectification_kind_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'done')", name=op.f("ck_oversight_rectification_status_valid")
        ),
        sa.CheckConstraint(
            "(status = 'done') = (done_on IS NOT NULL)", name=op.f("ck_oversight_rectification_done_has_date")
        ),
        sa.CheckConstraint(
            "amount_fen IS NULL OR amount_fen >= 0",
            name=op.f("ck_oversight_rectification_amount_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["disposition_id"],
            ["oversight_disposition.id"],
            name=op.f("fk_oversight_rectification_disposition_id_oversight_disposition"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["user_account.id"],
            name=op.f("fk_oversight_rectification_done_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_rectification")),
    )
    with op.batch_alter_table("oversight_rectification") as batch:
        batch.create_index(
            batch.f("ix_oversight_rectification_disposition_id"), ["disposition_id"], unique=False
        )


def downgrade():
    op.drop_table("oversight_rectification")
    op.drop_table("oversight_disposition")
    op.drop_table("oversight_flag_note")
    op.drop_table("oversight_flag")
