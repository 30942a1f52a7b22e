"""The inspector's workflow on a flag: assign, note, dispose (confirm with a rectification item, or
dismiss with a reason code and a written reason), and track rectification items until done.

Only an inspector disposes (permissions: dispose_flag); a county admin reads; township staff see no flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import Conflict, DomainError, NotFound
from ...domain.formats import yuan
from ...domain.rules import DISMISS_REASONS, RECTIFICATION_KINDS, RECTIFICATION_LABELS, precision
from ...domain.rules.catalog import RULE_IDS, RULES
from ...models.accounts import User
from ...models.audit import AuditEntry
from ...models.oversight import Disposition, Flag, FlagNote, Rectification
from ...models.people import Region
from .. import audit
from ..clock_binding import now_of
from ..permissions import can, require, scope_prefix

MAX_TEXT = 2000


def load_flag(session: Session, actor, flag_id: Any, action: str = "view_flags") -> Flag:
    try:
        fid = int(flag_id)
    except (TypeError, ValueError):
        raise NotFound("线索") from None
    flag = session.get(Flag, fid)
    if flag is None:
        raise NotFound("线索")
    require(actor, action, flag, what="线索")
    return flag


def evidence_of(flag: Flag) -> dict:
    return json.loads(flag.evidence_json or "{}")


def _text(raw: Any, label: str, *, required: bool = True) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise DomainError("text_required", f"请填写{label}")
    if len(value) > MAX_TEXT:
        raise DomainError("text_too_long", f"{label}过长（最多{MAX_TEXT}字）")
    return value


def _must_be_open(flag: Flag) -> None:
    if flag.status != "open":
        raise Conflict(
            "flag_disposed",
            f"第{flag.id}号线索已{'确认' if flag.status == 'confirmed' else '排除'}，不能再处置",
        )


def assign_flag(session: Session, actor, flag_id: Any, assignee_id: Any, today: date) -> Flag:
    flag = load_flag(session, actor, flag_id, "work_flag")
    _must_be_open(flag)
    user = session.get(User, int(assignee_id)) if str(assignee_id or "").isdigit() else None
    if user is None or not can(user, "work_flag"):
        raise DomainError("assignee_invalid", "只能指派给在用的纪检监察人员")
    before = flag.assigned_to_id
    flag.assigned_to_id = user.id
    session.flush()
    audit.record(
        session,
        actor,
        "assign_flag",
        "oversight_flag",
        flag.id,
        before={"assigned_to_id": before},
        after={"assigned_to_id": user.id},
        summary=f"指派线索第{flag.id}号给{user.label}",
    )
    return flag


def add_note(session: Session, actor, flag_id: Any, body: Any, today: date) -> FlagNote:
    flag = load_flag(session, actor, flag_id, "work_flag")
    text = _text(body, "备注内容")
    note = FlagNote(flag_id=flag.id, author_id=actor.id, at=now_of(session), body=text)
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor,
        "note_flag",
        "oversight_flag",
        flag.id,
        after={"note": text},
        summary=f"线索第{flag.id}号添加备注",
    )
    return note


def dispose_flag(
    session: Session,
    actor,
    flag_id: Any,
    outcome: str,
    today: date,
    *,
    reason_code: str | None = None,
    reason_text: str = "",
    rectification_kind: str | None = None,
    rectification_text: str = "",
    amount_fen: int | None = None,
    due_on: date | None = None,
) -> Disposition:
    """Confirm (with a rectification item) or dismiss (with a reason code and a written reason)."""
    flag = load_flag(session, actor, flag_id, "dispose_flag")
    _must_be_open(flag)
    if outcome == "dismissed":
        if reason_code not in DISMISS_REASONS:
            raise DomainError(
                "dismiss_reason_code", "排除线索须选择排除理由：" + "、".join(DISMISS_REASONS.values())
            )
        text = _text(reason_text, "排除的书面理由")
    elif outcome == "confirmed":
        if rectification_kind not in RECTIFICATION_KINDS:
            raise DomainError(
                "rectification_kind", "确认线索须选择整改事项：" + "、".join(RECTIFICATION_LABELS.values())
            )
        text = _text(reason_text, "确认意见", required=False)
        rect_text = _text(rectification_text, "整改要求")
        if amount_fen is not None and amount_fen < 0:
            raise DomainError("amount_negative", f"追回金额不能为负数：{yuan(amount_fen)}")
    else:
        raise DomainError("outcome_invalid", "处置结果只能是“确认”或“排除”")
    d = Disposition(
        flag_id=flag.id,
        outcome=outcome,
        reason_code=reason_code if outcome == "dismissed" else None,
        reason_text=text,
        evidence_hash=flag.evidence_hash,
        decided_by_id=actor.id,
        decided_at=now_of(session),
        decided_on=today,
    )
    session.add(d)
    session.flush()
    if outcome == "confirmed":
        amount = (
            amount_fen
            if amount_fen is not None
            else (flag.money_fen if rectification_kind == "recover_money" else None)
        )
        session.add(
            Rectification(
                disposition_id=d.id,
                kind=rectification_kind,
                description=rect_text,
                amount_fen=amount,
                due_on=due_on,
                status="open",
            )
        )
    flag.status = outcome
    session.flush()
    audit.record(
        session,
        actor,
        "dispose_flag",
        "oversight_flag",
        flag.id,
        before={"status": "open"},
        after={
            "status": outcome,
            "reason_code": d.reason_code,
            "reason": text,
            "rectification": rectification_kind,
            "evidence_hash": flag.evidence_hash,
        },
        summary=f"{'确认' if outcome == 'confirmed' else '排除'}线索第{flag.id}号"
        f"（{RULES[flag.rule_id].title}）：{flag.title}"
        + (
            f"；理由：{DISMISS_REASONS[reason_code]}"
            if outcome == "dismissed"
            else f"；整改：{RECTIFICATION_LABELS[rectification_kind]}"
        ),
    )
    return d


def complete_rectification(
    session: Session, actor, rectification_id: Any, note: Any, today: date
) -> Rectification:
    r = session.get(Rectification, int(rectification_id)) if str(rectification_id or "").isdigit() else None
    if r is None:
        raise NotFound("整改事项")
    load_flag(session, actor, r.disposition.flag_id, "dispose_flag")
    if r.status == "done":
        raise Conflict("rectification_done", f"整改事项第{r.id}号已于{r.done_on}完成")
    r.done_note = _text(note, "整改完成情况")
    r.status, r.done_on, r.done_by_id = "done", today, actor.id
    session.flush()
    audit.record(
        session,
        actor,
        "complete_rectification",
        "oversight_rectification",
        r.id,
        before={"status": "open"},
        after={"status": "done", "note": r.done_note},
        summary=f"整改事项完成：{RECTIFICATION_LABELS[r.kind]}（线索第{r.disposition.flag_id}号）",
    )
    return r


# ---------------------------------------------------------------- reading


def flag_query(
    actor,
    *,
    rule: str | None = None,
    township_id: int | None = None,
    severity: str | None = None,
    status: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    person_id: int | None = None,
    q: str = "",
):
    stmt = select(Flag)
    prefix = scope_prefix(actor)
    if not prefix:
        return stmt.where(False)
    if prefix and len(prefix) > 6:  # narrower than a county: flags of that region only
        stmt = stmt.where(Flag.township_id.in_(select(Region.id).where(Region.code.like(prefix[:9] + "%"))))
    if rule:
        stmt = stmt.where(Flag.rule_id == rule)
    if township_id:
        stmt = stmt.where(Flag.township_id == township_id)
    if severity:
        stmt = stmt.where(Flag.severity == severity)
    if status:
        stmt = stmt.where(Flag.status == status)
    if month_from:
        stmt = stmt.where((Flag.period_to.is_(None)) | (Flag.period_to >= month_from))
    if month_to:
        stmt = stmt.where((Flag.period_from.is_(None)) | (Flag.period_from <= month_to))
    if person_id:
        stmt = stmt.where(Flag.person_id == person_id)
    if q:
        stmt = stmt.where(Flag.title.contains(q))
    return stmt


def counts_by_township(session: Session, stmt) -> list[tuple[str, int, int, int]]:
    """(township name, open, confirmed, dismissed) for the flags of a filtered query."""
    sub = stmt.subquery()
    rows = session.execute(
        select(sub.c.township_id, sub.c.status, func.count()).group_by(sub.c.township_id, sub.c.status)
    ).all()
    names = dict(session.execute(select(Region.id, Region.name).where(Region.level == "township")).all())
    table: dict = {}
    for tid, status, n in rows:
        table.setdefault(tid, {"open": 0, "confirmed": 0, "dismissed": 0})[status] = n
    return sorted(
        ((names.get(tid, "县级"), v["open"], v["confirmed"], v["dismissed"]) for tid, v in table.items()),
        key=lambda r: (-r[1], r[0]),
    )


def counts_by_rule_and_township(session: Session, stmt) -> dict[tuple[str, str], int]:
    sub = stmt.subquery()
    names = dict(session.execute(select(Region.id, Region.name).where(Region.level == "township")).all())
    return {
        (rule, names.get(tid, "县级")): n
        for rule, tid, n in session.execute(
            select(sub.c.rule_id, sub.c.township_id, func.count()).group_by(sub.c.rule_id, sub.c.township_id)
        )
    }


@dataclass
class RulePrecision:
    rule_id: str
    title: str
    open: int
    confirmed: int
    dismissed: int

    @property
    def precision(self) -> float | None:
        return precision(self.confirmed, self.dismissed)


def rule_precision(session: Session) -> list[RulePrecision]:
    """Per rule: open, confirmed, dismissed, and the share of disposals that were confirmed."""
    rows = session.execute(
        select(Flag.rule_id, Flag.status, func.count()).group_by(Flag.rule_id, Flag.status)
    ).all()
    table = {r: {"open": 0, "confirmed": 0, "dismissed": 0} for r in RULE_IDS}
    for rule, status, n in rows:
        table.setdefault(rule, {"open": 0, "confirmed": 0, "dismissed": 0})[status] = n
    return [
        RulePrecision(r, RULES[r].title if r in RULES else r, v["open"], v["confirmed"], v["dismissed"])
        for r, v in table.items()
    ]


def audit_behind(session: Session, evidence: dict, limit: int = 200) -> list[AuditEntry]:
    """The audit entries about the records a flag's evidence names (one query)."""
    refs = evidence.get("refs") or {}
    pairs = [(t, str(i)) for t, ids in refs.items() for i in ids if i is not None]
    if not pairs:
        return []
    from sqlalchemy import and_, or_

    by_type: dict[str, list[str]] = {}
    for t, i in pairs:
        by_type.setdefault(t, []).append(i)
    cond = or_(
        *[
            and_(AuditEntry.object_type == t, AuditEntry.object_id.in_(ids[:900]))
            for t, ids in by_type.items()
        ]
    )
    return list(session.scalars(select(AuditEntry).where(cond).order_by(AuditEntry.id.desc()).limit(limit)))


def history_of(session: Session, flag: Flag) -> list[Flag]:
    """The chain of earlier flags (each disposed) this one was raised after, newest first."""
    chain, f = [], flag.previous
    while f is not None and len(chain) < 20:
        chain.append(f)
        f = f.previous
    return chain
