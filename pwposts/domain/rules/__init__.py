"""纪检监察 anomaly rules, the pure part: states, labels, rule metadata, findings and their evidence hash.

The detection queries live in services/oversight/<rule>.py (one module per rule); this package says
what a rule is (catalog.py) and how a finding and its evidence are shaped — no session, no Flask.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

FLAG_STATES = ("open", "confirmed", "dismissed")
FLAG_STATE_LABELS = {"open": "待处置", "confirmed": "已确认", "dismissed": "已排除"}
SEVERITIES = ("high", "medium", "low")
SEVERITY_LABELS = {"high": "高", "medium": "中", "low": "低（仅作佐证）"}
DISPOSITION_OUTCOMES = ("confirmed", "dismissed")
DISMISS_REASONS = {
    "data_error": "数据录入错误，已更正",
    "lawful": "经核实符合规定（有合法依据）",
    "already_handled": "已在其他案件中处理",
    "not_related": "经核实不存在亲属或利益关系",
    "other": "其他（见书面说明）",
}
RECTIFICATION_KINDS = ("recover_money", "remove_holder", "correct_records", "discipline", "other")
RECTIFICATION_LABELS = {
    "recover_money": "追回资金",
    "remove_holder": "清退岗位人员",
    "correct_records": "更正记录",
    "discipline": "移送追责",
    "other": "其他整改",
}
RECTIFICATION_STATES = ("open", "done")
RECTIFICATION_STATE_LABELS = {"open": "整改中", "done": "已完成"}
# the relation kinds that make a 家庭成员 for 优亲厚友 (祖孙 and 其他 do not)
CLOSE_KIN = ("配偶", "父母", "子女", "兄弟姐妹", "儿媳女婿", "公婆岳父母")


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str  # 中文 short name, e.g. 死亡仍领
    pattern: str  # the 中文 name of the pattern it reveals, e.g. 虚报冒领
    explanation: str  # what is checked and why, in Chinese
    severity: str
    weak: bool = False  # supporting evidence only


@dataclass
class Finding:
    """One case as a rule found it. `key` lists the records that prove it (hashed for suppression)."""

    rule: Rule
    subject_key: str
    title: str
    key: list[str]
    evidence: dict[str, Any]
    money_fen: int = 0
    person_id: int | None = None
    village_id: int | None = None
    township_id: int | None = None
    period_from: str | None = None
    period_to: str | None = None
    region_code: str | None = None  # the most specific region code, for the scan's region filter
    extra: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # a weaker signal of the rule raises its flag lower (None = the rule's)

    @property
    def evidence_hash(self) -> str:
        return evidence_hash(self.key)


def evidence_hash(key: list[str]) -> str:
    """SHA-256 of the sorted record keys: the same records → the same hash, whatever the order found."""
    payload = json.dumps(sorted(set(key)), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def overlaps(a_from: str | None, a_to: str | None, b_from: str | None, b_to: str | None) -> bool:
    """Whether month ranges (YYYY-MM, open ends as None) overlap."""
    return (b_to is None or a_from is None or a_from <= b_to) and (
        a_to is None or b_from is None or b_from <= a_to
    )


def share_at_stake(amount_fen: int, days_after: int, month_days: int) -> int:
    """The part of a month's payment for the days after an event (half-up to the 分)."""
    if days_after <= 0 or amount_fen <= 0:
        return 0
    if days_after >= month_days:
        return amount_fen
    return (2 * amount_fen * days_after + month_days) // (2 * month_days)


def precision(confirmed: int, dismissed: int) -> float | None:
    """Share of a rule's disposed flags that were confirmed (None before any disposition)."""
    total = confirmed + dismissed
    return None if total == 0 else confirmed / total
