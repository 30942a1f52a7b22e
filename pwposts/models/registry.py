"""Records from other departments and the imports that brought them (DOMAIN.md §1, issue 13).

ImportBatch: one imported file (区划代码, deaths, social-insurance enrolment, another department's post
roster, cadre list, 防返贫监测 category list) with its source department, file name, SHA-256, business
date and importer — every department import shares it. ExternalPostRecord: one row of another
department's post roster (护林员, 生态管护员 …), used for 一人一岗 across departments.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import one_of, utcnow

IMPORT_KINDS = ("regions", "deaths", "employment", "external_posts", "cadres", "categories")
IMPORT_KIND_LABELS = {
    "regions": "统计用区划代码",
    "deaths": "死亡人员名单",
    "employment": "参保就业记录",
    "external_posts": "其他部门公益性岗位花名册",
    "cadres": "村干部名单",
    "categories": "防返贫监测对象名单",
}


class ImportBatch(db.Model):
    """One imported file. The same file (same kind and
    SHA-256) is imported once: again, it changes nothing."""

    __tablename__ = "import_batch"
    __table_args__ = (one_of("kind", IMPORT_KINDS), UniqueConstraint("county_id", "kind", "file_hash"))

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source_department: Mapped[str] = mapped_column(String(50))  # 民政局, 公安局, 人社局, 林业局 …
    file_name: Mapped[str] = mapped_column(String(200))
    file_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the uploaded bytes
    imported_on: Mapped[date] = mapped_column(Date)  # business date (Beijing)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # the importing user's id, kept without a foreign key
    # (user_account → person → import_batch would be a cycle)
    importer_id: Mapped[Optional[int]]
    importer_name: Mapped[str] = mapped_column(String(50))
    row_count: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)

    @property
    def kind_label(self) -> str:
        return IMPORT_KIND_LABELS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        return f"{self.source_department}《{self.file_name}》（{self.imported_on.isoformat()}导入）"


class ExternalPostRecord(db.Model):
    """Another department's post roster row: who holds which post there, from when to when."""

    __tablename__ = "external_post_record"
    __table_args__ = (
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="dates_ordered"),
        Index("ix_external_post_record_id_number", "id_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    department: Mapped[str] = mapped_column(String(50))
    post_name: Mapped[str] = mapped_column(String(100))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[Optional[date]] = mapped_column(Date)

    batch: Mapped[ImportBatch] = relationship()

    def active_on(self, on: date) -> bool:
        return self.start_on <= on and (self.end_on is None or self.end_on >= on)
