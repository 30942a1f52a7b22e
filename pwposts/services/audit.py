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
from typing import Any, Iterable

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from ..domain.errors import DomainError
from ..domain.formats import beijing
from ..models.audit import AuditCheckpoint, AuditEntry
from . import bulk
from .clock_binding import now_of

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


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_default)


def _one_encoder():
    """_ENCODER.encode without its per-call set-up: the C encoder json builds for every encode() call (with
    _ENCODER's settings), built once. The same text for every value (tests/services/test_audit.py compares
    them); no check for circular references (a before/after is plain data; one would recurse until
    RecursionError instead of ValueError). Where json has no C encoder, _ENCODER.encode itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _ENCODER.encode
    iterencode = make(
        None,  # markers: no circular-reference bookkeeping
        _ENCODER.default,
        json.encoder.encode_basestring,  # ensure_ascii=False
        _ENCODER.indent,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        _ENCODER.sort_keys,
        _ENCODER.skipkeys,
        _ENCODER.allow_nan,
    )

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


_encode = _one_encoder()


class Canonical(str):
    """A before/after already in canonical form (canonical() of the value, computed once by the caller):
    stored and hashed as it is."""


def canonical(value: Any) -> str | None:
    """The one JSON form of a before/after, stored and hashed (keys sorted, no spaces, UTF-8 as is)."""
    if value is None:
        return None
    if type(value) is Canonical:
        return str.__str__(value)
    return _encode(value)  # one encoder for all calls: json.dumps would build one per call


def _digest(
    prev_hash: str,
    at: datetime,
    actor_id,
    actor_label,
    action,
    object_type,
    object_id,
    summary,
    before_json,
    after_json,
) -> str:
    return _digest_at(
        prev_hash,
        at.isoformat(timespec="microseconds"),
        actor_id,
        actor_label,
        action,
        object_type,
        object_id,
        summary,
        before_json,
        after_json,
    )


def _digest_at(prev_hash: str, at_iso: str, *fields) -> str:
    """_digest with the time already as text (record_many stamps every entry with the same time)."""
    payload = _encode([prev_hash, at_iso, *fields])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def actor_fields(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "系统"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.label


_LAST_HASH = "pwposts_audit_last_hash"
_MANY_BATCH = 5_000  # record_many inserts this many entries per executemany
_MANY_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "summary",
    "before_json",
    "after_json",
    "prev_hash",
    "entry_hash",
)


@event.listens_for(Session, "after_transaction_end")
def _forget_last_hash(session, transaction):
    """The cached chain head is only valid inside the transaction (and savepoint) that wrote it. Each
    flush also opens and ends a subtransaction of the session's (no database transaction or savepoint
    of its own): the head stays valid through it, and is not read again after every flush (a lock and a
    SELECT each time — twice in a payroll approval)."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_LAST_HASH, None)


def _chain_head(session: Session) -> str:
    """The hash the next entry chains onto. The first entry of a transaction reads it (under the PostgreSQL
    advisory lock, held until commit); later ones use the head cached for the transaction."""
    prev = session.info.get(_LAST_HASH)
    if prev is None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        session.flush()  # entries added earlier in this transaction but not yet flushed
        prev = session.execute(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
        prev = prev or GENESIS
    return prev


def record(
    session: Session,
    actor,
    action: str,
    obj_type: str,
    obj_id: Any = None,
    *,
    before: Any = None,
    after: Any = None,
    summary: str = "",
) -> AuditEntry:
    """Append one audit entry. `actor` is a User, a label such as "系统", or None.

    The first entry of a transaction reads the chain head (under the PostgreSQL advisory lock,
    held until commit); later entries of the same transaction chain onto the cached head, so a
    bulk change costs one query, not one per entry. Entries are flushed with the caller's work.
    """
    prev = _chain_head(session)
    actor_id, actor_label = actor_fields(actor)
    at = now_of(session)
    before_json, after_json = canonical(before), canonical(after)
    oid = None if obj_id is None else str(obj_id)
    entry = AuditEntry(
        at=at,
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=obj_type,
        object_id=oid,
        summary=summary,
        before_json=before_json,
        after_json=after_json,
        prev_hash=prev,
        entry_hash=_digest(
            prev, at, actor_id, actor_label, action, obj_type, oid, summary, before_json, after_json
        ),
    )
    session.add(entry)
    session.info[_LAST_HASH] = entry.entry_hash
    return entry


def record_many(session: Session, actor, entries: Iterable[tuple]) -> int:
    """Append many entries at once: (action, obj_type, obj_id, before, after, summary) each, chained in one
    pass in the given order (the same _digest as record()) and inserted with one executemany — for imports
    of tens of thousands of rows. Returns how many; record() afterwards chains onto the last of them."""
    session.flush()  # entries record() added but not yet flushed come first in the chain (and by id)
    prev = _chain_head(session)
    actor_id, actor_label = actor_fields(actor)
    at = now_of(session)
    at_bound = bulk.bind_processor(session, AuditEntry.__table__.c.at)(at)  # the same for every entry
    at_iso = at.isoformat(timespec="microseconds")
    rows, count = [], 0
    for action, obj_type, obj_id, before, after, summary in entries:
        before_json, after_json = canonical(before), canonical(after)
        oid = None if obj_id is None else str(obj_id)
        entry_hash = _digest_at(
            prev, at_iso, actor_id, actor_label, action, obj_type, oid, summary, before_json, after_json
        )
        rows.append(
            (at_bound, actor_id, actor_label, action, obj_type, oid, summary, before_json, after_json, prev)
            + (entry_hash,)
        )
        prev = entry_hash
        if len(rows) == _MANY_BATCH:  # bounded memory: the chain goes on across batches
            bulk.insert_tuples(session, AuditEntry.__table__, _MANY_COLUMNS, rows)  # ids in the chain's order
            count, rows = count + len(rows), []
    bulk.insert_tuples(session, AuditEntry.__table__, _MANY_COLUMNS, rows)
    session.info[_LAST_HASH] = prev
    return count + len(rows)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""
    checkpoints: int = 0  # how many checkpoints the chain was compared with
    missing: str = ""  # when the chain's tail no longer reaches a checkpoint: what is missing

    def describe(self) -> str:
        """One Chinese sentence for the CLI and the page."""
        if self.ok:
            against = (
                f"，与{self.checkpoints}个检查点相符"
                if self.checkpoints
                else "（尚无检查点，无法发现尾部记录被删除）"
            )
            return f"审计链完整：已校验 {self.checked} 条记录{against}"
        if self.missing:
            return f"审计链校验失败：{self.missing}"
        return f"审计链校验失败：第 {self.bad_id} 号记录{self.reason}（此前 {self.checked} 条完好）"


_COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.actor_label,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.summary,
    AuditEntry.before_json,
    AuditEntry.after_json,
    AuditEntry.prev_hash,
    AuditEntry.entry_hash,
)


@dataclass(frozen=True)
class NotedCheckpoint:
    """A checkpoint as an inspector wrote it down (last id, count, the hash or its first 8+ characters):
    it still reveals a cut tail when the checkpoint rows themselves were deleted too."""

    last_entry_id: int
    entry_count: int
    last_hash: str
    at: None = None


def noted_checkpoint(last_id: Any, count: Any, hash_prefix: Any) -> NotedCheckpoint:
    """Parse what an inspector typed; DomainError naming the value otherwise."""
    h = str(hash_prefix or "").strip().lower()
    try:
        n, c = int(str(last_id).strip()), int(str(count).strip())
    except ValueError:
        raise DomainError("audit_noted", f"抄录的检查点编号“{last_id}”和条数“{count}”须为整数") from None
    if not (0 < n < 2**63 and 0 < c < 2**63):
        raise DomainError("audit_noted", f"抄录的检查点编号“{n}”和条数“{c}”须为正整数")
    if not (8 <= len(h) <= 64 and all(ch in "0123456789abcdef" for ch in h)):
        raise DomainError(
            "audit_noted", f"抄录的哈希“{h[:70]}”须为8至64位十六进制字符（0-9、a-f），可只抄前几位"
        )
    return NotedCheckpoint(n, c, h)


def _checkpoint_label(cp) -> str:
    return f"{beijing(cp.at)}的检查点" if cp.at else "您抄录的检查点"


def verify_chain(
    session: Session, batch: int = 5000, noted: tuple[NotedCheckpoint, ...] = ()
) -> VerifyResult:
    """Recompute every hash in id order; name the first entry that no longer matches.

    Then hold the chain against every checkpoint (audit_checkpoint): the entry a checkpoint names must
    still be there with the hash it had, with exactly as many entries up to it. A chain whose newest
    entries were deleted still links up, so only a checkpoint reveals it; the message names the
    checkpoint (number, count), how many entries remain and which numbers are missing.
    """
    checkpoints = [*session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)), *noted]
    by_last_id: dict[int, list] = {}
    for cp in checkpoints:
        if cp.last_entry_id is not None:
            by_last_id.setdefault(cp.last_entry_id, []).append(cp)
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(*_COLUMNS).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return VerifyResult(
                    False, checked, e.id, "前序哈希与上一条记录不符（记录被删除、插入或改动）"
                )
            expected = _digest(
                e.prev_hash,
                e.at,
                e.actor_id,
                e.actor_label,
                e.action,
                e.object_type,
                e.object_id,
                e.summary,
                e.before_json,
                e.after_json,
            )
            if expected != e.entry_hash:
                return VerifyResult(False, checked, e.id, "内容与其哈希不符（记录被改动）")
            prev = e.entry_hash
            checked += 1
            last_id = e.id
            for cp in by_last_id.pop(e.id, ()):
                if not e.entry_hash.startswith(cp.last_hash) or cp.entry_count != checked:
                    return VerifyResult(
                        False,
                        checked,
                        e.id,
                        checkpoints=len(checkpoints),
                        missing=f"{_checkpoint_label(cp)}记录第{cp.last_entry_id}号、共{cp.entry_count}条，"
                        f"现第{e.id}号记录的哈希或此前的条数（{checked}条）与之不符："
                        f"检查点之后记录被删除后重写或改动",
                    )
    # every checkpoint the walk did not reach names entries that are gone; report the latest
    unreached = [cp for cps in by_last_id.values() for cp in cps]
    if unreached:
        cp = max(unreached, key=lambda c: c.last_entry_id)
        first_missing = last_id + 1 if last_id < cp.last_entry_id else cp.last_entry_id
        gone = (
            f"第{first_missing}至{cp.last_entry_id}号记录缺失"
            if first_missing < cp.last_entry_id
            else f"第{cp.last_entry_id}号记录缺失"
        )
        return VerifyResult(
            False,
            checked,
            None,
            checkpoints=len(checkpoints),
            missing=f"{_checkpoint_label(cp)}记录第{cp.last_entry_id}号、共{cp.entry_count}条，"
            f"现仅余{checked}条：{gone}（最新的记录被删除）",
        )
    return VerifyResult(True, checked, checkpoints=len(checkpoints))


def take_checkpoint(session: Session, actor, reason: str) -> AuditCheckpoint:
    """Note the chain's head (count, last id, hash) now, in the caller's transaction (flush only).

    Called after the audit entry of the change it follows (payroll approval) or by the CLI.
    The checkpoint is not itself an audit entry: writing one would move the head it notes.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    session.flush()
    head = session.execute(
        select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    _, label = actor_fields(actor)
    cp = AuditCheckpoint(
        at=now_of(session),
        entry_count=count,
        last_entry_id=head.id if head else None,
        last_hash=head.entry_hash if head else GENESIS,
        reason=reason,
        actor_label=label,
    )
    session.add(cp)
    session.flush()
    return cp


def latest_checkpoints(session: Session, limit: int = 5) -> list[AuditCheckpoint]:
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit)))


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """The named attributes of a model object, for before/after."""
    return {f: getattr(obj, f) for f in fields}
