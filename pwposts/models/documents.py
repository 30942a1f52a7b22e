"""Rendered documents kept so they are not rendered again: a contract's PDF, a payroll run's printed
sheets, each with its SHA-256 and the hash of the HTML it was rendered from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import utcnow


class ContractDocument(db.Model):
    """The stored PDF of a contract. `source_sha256` is the hash of the HTML it was rendered from:
    a download whose HTML hashes the same is served from here; a changed contract is rendered again."""

    __tablename__ = "contract_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), unique=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RunDocument(db.Model):
    """A payroll run's printed sheet (汇总表 with full or masked ID numbers, 公示表) as last rendered.
    Served again while the sheet's HTML hashes the same (`source_sha256`); rendered again otherwise."""

    __tablename__ = "run_document"
    __table_args__ = (UniqueConstraint("run_id", "variant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payroll_run.id"))
    variant: Mapped[str] = mapped_column(String(20))  # summary_full / summary_masked / notice
    source_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
