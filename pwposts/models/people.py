"""Registry: regions, households, persons, categories, relations, cadres (DOMAIN.md §1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.people import CADRE_OFFICES, CATEGORIES, RELATION_KINDS, WORK_CAPACITIES
from ..extensions import db
from ._types import one_of, utcnow

REGION_LEVELS = ("county", "township", "village")


class Region(db.Model):
    """County → township → village, keyed by the 12-digit 统计用区划代码."""

    __tablename__ = "region"
    __table_args__ = (
        one_of("level", REGION_LEVELS),
        CheckConstraint("length(code) = 12", name="code_12_digits"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("region.id"), index=True)

    parent: Mapped[Optional["Region"]] = relationship(remote_side=[id])

    @property
    def full_name(self) -> str:
        names, r = [], self
        while r is not None:
            names.append(r.name)
            r = r.parent
        return "".join(reversed(names))


class Household(db.Model):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 户编号
    village_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)

    village: Mapped[Region] = relationship()
    members: Mapped[list["Person"]] = relationship(back_populates="household", order_by="Person.id")


class Person(db.Model):
    __tablename__ = "person"
    __table_args__ = (
        one_of("sex", ("M", "F")),
        one_of("work_capacity", WORK_CAPACITIES),
        CheckConstraint("length(id_number) = 18", name="id_number_18"),
        Index("ix_person_village_name", "village_id", "name", "id"),  # the people list's order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    household_id: Mapped[Optional[int]] = mapped_column(ForeignKey("household.id"), index=True)
    group_name: Mapped[Optional[str]] = mapped_column(String(50))  # 村民小组
    work_capacity: Mapped[str] = mapped_column(String(10), default="全劳力")
    cannot_leave_home: Mapped[bool] = mapped_column(default=False)  # 无法离乡
    account_kind: Mapped[Optional[str]] = mapped_column(String(10))  # 银行卡 / 社保卡
    account_no: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    account_name: Mapped[Optional[str]] = mapped_column(String(50))  # 开户人
    death_date: Mapped[Optional[date]] = mapped_column(Date)
    death_source: Mapped[Optional[str]] = mapped_column(
        String(200)
    )  # who reported it: 民政局死亡证明, a file …
    death_batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    village: Mapped[Region] = relationship()
    household: Mapped[Optional[Household]] = relationship(back_populates="members")
    death_batch: Mapped[Optional["ImportBatch"]] = relationship()  # noqa: F821
    categories: Mapped[list["PersonCategory"]] = relationship(
        back_populates="person", order_by="PersonCategory.start_on", cascade="all, delete-orphan"
    )


class PersonCategory(db.Model):
    """A category (脱贫人口, 低保 …) held from start_on until end_on (inclusive; open if NULL)."""

    __tablename__ = "person_category"
    __table_args__ = (
        one_of("category", CATEGORIES),
        CheckConstraint("end_on IS NULL OR end_on >= start_on", name="dates_ordered"),
        UniqueConstraint("person_id", "category", "start_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[Optional[date]] = mapped_column(Date)
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id"))  # from an imported list

    person: Mapped[Person] = relationship(back_populates="categories")
    batch: Mapped[Optional["ImportBatch"]] = relationship()  # noqa: F821


class Relation(db.Model):
    """A family link, stored once: `relative` is the `kind` of `person` (e.g. 配偶)."""

    __tablename__ = "relation"
    __table_args__ = (
        one_of("kind", RELATION_KINDS),
        CheckConstraint("person_id <> relative_id", name="not_self"),
        UniqueConstraint("person_id", "relative_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    relative: Mapped[Person] = relationship(foreign_keys=[relative_id])


class Cadre(db.Model):
    """村干部: a person holding a village office for a term."""

    __tablename__ = "cadre"
    __table_args__ = (
        one_of("office", CADRE_OFFICES),
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    office: Mapped[str] = mapped_column(String(20))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[Optional[date]] = mapped_column(Date)
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id"))  # from an imported list

    person: Mapped[Person] = relationship()
    batch: Mapped[Optional["ImportBatch"]] = relationship()  # noqa: F821
    village: Mapped[Region] = relationship()


class EmploymentRecord(db.Model):
    """An imported social-insurance employment record (参保记录), for 'employed elsewhere'."""

    __tablename__ = "employment_record"
    __table_args__ = (Index("ix_employment_record_id_number", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18))
    employer: Mapped[str] = mapped_column(String(200))
    full_time: Mapped[bool] = mapped_column(default=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[Optional[date]] = mapped_column(Date)
    source: Mapped[Optional[str]] = mapped_column(Text)
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("import_batch.id"), index=True)
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("person.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    batch: Mapped[Optional["ImportBatch"]] = relationship()  # noqa: F821
