"""The audit trail: every change any service makes is written here, hash-chained.

record() is called by the service that made the change, inside its transaction.
On PostgreSQL an advisory transaction lock serialises writers so the chain never forks;
on SQLite the database write lock does the same, and prev_hash is unique either way.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from .clock_binding import now_of
from ..models.audit import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 7243001  # arbitrary, constant advisory-lock key for the audit chain


def _default(value: Any):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)


def canonical(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_default)


def _digest(prev_hash: str, at: datetime, actor_id, actor_label, action, object_type, object_id, summary,
            before_json, after_json) -> str:
    payload = canonical([prev_hash, at.isoformat(timespec="microseconds"), actor_id, actor_label, action,
                         object_type, object_id, summary, before_json, after_json])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def actor_fields(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "系统"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.label


_LAST_HASH = "pwposts_audit_last_hash"


@event.listens_for(Session, "after_transaction_end")
def _forget_last_hash(session, transaction):
    """The cached chain head is only valid inside the transaction (and savepoint) that wrote it."""
    session.info.pop(_LAST_HASH, None)


def record(session: Session, actor, action: str, obj_type: str, obj_id: Any = None, *,
           before: Any = None, after: Any = None, summary: str = "") -> AuditEntry:
    """Append one audit entry. `actor` is a User, a label such as "系统", or None.

    The first entry of a transaction reads the chain head (under the PostgreSQL advisory lock,
    held until commit); later entries of the same transaction chain onto the cached head, so a
    bulk change costs one query, not one per entry. Entries are flushed with the caller's work.
    """
    prev = session.info.get(_LAST_HASH)
    if prev is None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        session.flush()  # entries added earlier in this transaction but not yet flushed
        prev = session.execute(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        prev = prev or GENESIS
    actor_id, actor_label = actor_fields(actor)
    at = now_of(session)
    before_json, after_json = canonical(before), canonical(after)
    oid = None if obj_id is None else str(obj_id)
    entry = AuditEntry(
        at=at, actor_id=actor_id, actor_label=actor_label, action=action, object_type=obj_type,
        object_id=oid, summary=summary, before_json=before_json, after_json=after_json, prev_hash=prev,
        entry_hash=_digest(prev, at, actor_id, actor_label, action, obj_type, oid, summary, before_json, after_json),
    )
    session.add(entry)
    session.info[_LAST_HASH] = entry.entry_hash
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""


_COLUMNS = (AuditEntry.id, AuditEntry.at, AuditEntry.actor_id, AuditEntry.actor_label, AuditEntry.action,
            AuditEntry.object_type, AuditEntry.object_id, AuditEntry.summary, AuditEntry.before_json,
            AuditEntry.after_json, AuditEntry.prev_hash, AuditEntry.entry_hash)


def verify_chain(session: Session, batch: int = 5000) -> VerifyResult:
    """Recompute every hash in id order; name the first entry that no longer matches."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return VerifyResult(True, checked)
        for e in rows:
            if e.prev_hash != prev:
                return VerifyResult(False, checked, e.id, "前序哈希与上一条记录不符（记录被删除、插入或改动）")
            expected = _digest(e.prev_hash, e.at, e.actor_id, e.actor_label, e.action, e.object_type,
                               e.object_id, e.summary, e.before_json, e.after_json)
            if expected != e.entry_hash:
                return VerifyResult(False, checked, e.id, "内容与其哈希不符（记录被改动）")
            prev = e.entry_hash
            checked += 1
            last_id = e.id


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """The named attributes of a model object, for before/after."""
    return {f: getattr(obj, f) for f in fields}
