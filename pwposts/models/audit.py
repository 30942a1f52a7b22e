"""Append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import utcnow


class AuditEntry(db.Model):
    """One change: who, when, what, before and after. entry_hash = sha256(prev_hash + content).

    prev_hash is unique, so two writers can never both extend the same entry (no fork).
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[Optional[str]] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")
    before_json: Mapped[Optional[str]] = mapped_column(Text)
    after_json: Mapped[Optional[str]] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(db.Model):
    """A note of the chain's head at one moment: how many entries, the last id and its hash.

    Kept outside audit_entry so that cutting the newest entries off the chain (which leaves a chain
    that still verifies) is caught: `audit verify` checks the chain against every checkpoint.
    Written at every payroll approval and by `pwposts audit checkpoint`; inspectors note the latest.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    entry_count: Mapped[int] = mapped_column()
    last_entry_id: Mapped[Optional[int]] = mapped_column()  # no FK: the entry it names may be deleted
    last_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(60))
    actor_label: Mapped[str] = mapped_column(String(120))
