"""a real county without the demo: import batches, other departments' records, death source, 文号

import_batch (every department import: source, file name, SHA-256, date, importer), external_post_record
(other departments' post rosters for 一人一岗), person.death_source / death_batch_id, batch_id on
employment_record, person_category and cadre, fund.document_no; the category 边缘易致贫人员 and the
county setting eligible_categories join their CHECK lists.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_CATEGORIES = (
    "脱贫人口",
    "防止返贫监测对象",
    "易地搬迁人口",
    "农村低收入人口",
    "零就业家庭",
    "持证残疾人",
    "大龄",
)
NEW_CATEGORIES = OLD_CATEGORIES + ("边缘易致贫人员",)
OLD_KEYS = (
    "parity_tolerance_pct",
    "publicity_working_days",
    "household_post_limit",
    "age_cap",
    "arrears_days",
    "pay_frequency",
    "assessment_due_day",
    "exit_report_days",
)
NEW_KEYS = (
    "parity_tolerance_pct",
    "publicity_working_days",
    "household_post_limit",
    "age_cap",
    "arrears_days",
    "pay_frequency",
    "assessment_due_day",
    "eligible_categories",
    "exit_report_days",
)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _recheck(table, name, column, values):
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{table}_{name}"), _in(column, values))


def upgrade():
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source_department", sa.String(length=50), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("importer_id", sa.Integer(), nullable=True),
        sa.Column("importer_name", sa.String(length=50), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            _in("kind", ("regions", "deaths", "employment", "external_posts", "cadres", "categories")),
            name=op.f("ck_import_batch_kind_valid"),
        ),
        sa.ForeignKeyConstraint(["county_id"], ["region.id"], name=op.f("fk_import_batch_county_id_region")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
        sa.UniqueConstraint(
            "county_id", "kind", "file_hash", name=op.f("uq_import_batch_county_id_kind_file_hash")
        ),
    )
    op.create_index(op.f("ix_import_batch_county_id"), "import_batch", ["county_id"], unique=False)
    op.create_table(
        "external_post_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=50), nullable=False),
        sa.Column("post_name", sa.String(length=100), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "end_on IS NULL OR end_on >= start_on", name=op.f("ck_external_post_record_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batch.id"], name=op.f("fk_external_post_record_batch_id_import_batch")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_external_post_record_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_post_record")),
    )
    op.create_index(
        op.f("ix_external_post_record_batch_id"), "external_post_record", ["batch_id"], unique=False
    )
    op.create_index(
        op.f("ix_external_post_record_person_id"), "external_post_record", ["person_id"], unique=False
    )
    op.create_index("ix_external_post_record_id_number", "external_post_record", ["id_number"], unique=False)

    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("death_source", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("death_batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_person_death_batch_id_import_batch"), "import_batch", ["death_batch_id"], ["id"]
        )
    with op.batch_alter_table("employment_record") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_employment_record_batch_id_import_batch"), "import_batch", ["batch_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_employment_record_person_id_person"), "person", ["person_id"], ["id"]
        )
        batch.create_index(op.f("ix_employment_record_batch_id"), ["batch_id"], unique=False)
        batch.create_index(op.f("ix_employment_record_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("person_category") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_person_category_batch_id_import_batch"), "import_batch", ["batch_id"], ["id"]
        )
    with op.batch_alter_table("cadre") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_cadre_batch_id_import_batch"), "import_batch", ["batch_id"], ["id"])
    with op.batch_alter_table("fund") as batch:
        batch.add_column(sa.Column("document_no", sa.String(length=100), nullable=True))
    _recheck("person_category", "category_valid", "category", NEW_CATEGORIES)
    _recheck("fund_category", "category_valid", "category", NEW_CATEGORIES)
    _recheck("county_setting", "key_valid", "key", NEW_KEYS)


def downgrade():
    _recheck("county_setting", "key_valid", "key", OLD_KEYS)
    _recheck("fund_category", "category_valid", "category", OLD_CATEGORIES)
    _recheck("person_category", "category_valid", "category", OLD_CATEGORIES)
    with op.batch_alter_table("fund") as batch:
        batch.drop_column("document_no")
    with op.batch_alter_table("cadre") as batch:
        batch.drop_constraint(op.f("fk_cadre_batch_id_import_batch"), type_="foreignkey")
        batch.drop_column("batch_id")
    with op.batch_alter_table("person_category") as batch:
        batch.drop_constraint(op.f("fk_person_category_batch_id_import_batch"), type_="foreignkey")
        batch.drop_column("batch_id")
    with op.batch_alter_table("employment_record") as batch:
        batch.drop_index(op.f("ix_employment_record_person_id"))
        batch.drop_index(op.f("ix_employment_record_batch_id"))
        batch.drop_constraint(op.f("fk_employment_record_person_id_person"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_employment_record_batch_id_import_batch"), type_="foreignkey")
        batch.drop_column("person_id")
        batch.drop_column("batch_id")
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint(op.f("fk_person_death_batch_id_import_batch"), type_="foreignkey")
        batch.drop_column("death_batch_id")
        batch.drop_column("death_source")
    op.drop_index("ix_external_post_record_id_number", table_name="external_post_record")
    op.drop_index(op.f("ix_external_post_record_person_id"), table_name="external_post_record")
    op.drop_index(op.f("ix_external_post_record_batch_id"), table_name="external_post_record")
    op.drop_table("external_post_record")
    op.drop_index(op.f("ix_import_batch_county_id"), table_name="import_batch")
    op.drop_table("import_batch")
