"""纪检监察 scan: run the anomaly rules (one module each, one set-based query each) and keep the flags.

run_scan(session, today, ...) is idempotent: an open flag of a rule about a subject is updated, never
duplicated; a confirmed or dismissed flag is not raised again while its evidence hash is the same; when
the evidence changed, a new open flag is raised and linked to the disposed one (previous_flag_id).
Nothing closes by itself — only an inspector's disposition does (services/oversight/workflow.py).
The scan runs from the CLI (`pwposts scan`), after each payroll approval and from the daily sweep.
"""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...domain.rules import overlaps
from ...domain.rules.catalog import RULE_IDS, RULES
from ...models.oversight import Flag
from .. import audit
from ..clock_binding import now_of
from ..plans import custom_plans
from . import (
    above_standard,
    arrears,
    cadre_kin,
    employed_elsewhere,
    fund_overrun,
    household_limit,
    impossible_attendance,
    ineligible,
    multi_post,
    paid_after_death,
    paid_no_attendance,
    paid_outside_contract,
    rotation,
    shared_account,
    shared_phone,
)
from ._base import Context, Subjects

log = logging.getLogger(__name__)

DETECTORS = {
    m.RULE.id: m.detect
    for m in (
        cadre_kin,
        rotation,
        paid_after_death,
        paid_outside_contract,
        paid_no_attendance,
        shared_account,
        shared_phone,
        multi_post,
        household_limit,
        above_standard,
        ineligible,
        employed_elsewhere,
        impossible_attendance,
        arrears,
        fund_overrun,
    )
}
assert tuple(DETECTORS) == RULE_IDS or set(DETECTORS) == set(RULE_IDS)


@dataclass
class ScanResult:
    found: int = 0
    new: int = 0
    reraised: int = 0  # new flags linked to a disposed one whose evidence changed
    updated: int = 0
    unchanged: int = 0
    suppressed: int = 0  # disposed, same evidence
    per_rule: dict[str, dict] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return (
            f"发现{self.found}项：新增{self.new}项（其中证据变化后重新提出{self.reraised}项），更新{self.updated}项，"
            f"未变{self.unchanged}项，已处置且证据未变{self.suppressed}项"
        )


def detect(
    session: Session, today: date, rules=None, timer=None, subjects: Subjects | None = None
) -> tuple[dict[str, list], dict[str, float]]:
    """{rule id: findings} over the whole database — or about `subjects` only (a payroll run's, each
    finding with the same evidence) — with each rule's seconds when the caller passes a `timer` (such
    as time.perf_counter: services never read a clock themselves)."""
    ctx = Context.open(session, today, subjects)
    out, timing = {}, {}
    for rule_id in rules or RULE_IDS:
        t0 = timer() if timer else 0.0
        out[rule_id] = DETECTORS[rule_id](ctx)
        timing[rule_id] = (timer() - t0) if timer else 0.0
    return out, timing


def _check(rules, region_code, month_from, month_to) -> list[str]:
    chosen = list(rules or RULE_IDS)
    unknown = [r for r in chosen if r not in RULES]
    if unknown:
        raise DomainError(
            "rule_unknown", f"未知的规则编号：{'、'.join(unknown)}；可用：{'、'.join(RULE_IDS)}"
        )
    if region_code and not (region_code.isdigit() and len(region_code) <= 12):
        raise DomainError("region_code", f"区划代码“{region_code}”应为数字（12位代码或其前缀）")
    if month_from and month_to and month_from > month_to:
        raise DomainError("period_order", f"起始月份{month_from}晚于截止月份{month_to}")
    return chosen


def _prefix(code: str | None) -> str:
    """A 12-digit code stands for its region: strip the zero padding of a county or township code."""
    if not code:
        return ""
    if len(code) == 12:
        if code.endswith("000000"):
            return code[:6]
        if code.endswith("000"):
            return code[:9]
    return code


def run_scan(
    session: Session,
    today: date,
    *,
    actor=None,
    rules=None,
    region_code: str | None = None,
    month_from: str | None = None,
    month_to: str | None = None,
    subjects: Subjects | None = None,
) -> ScanResult:
    """Run the rules and record their findings as flags (flush only; the caller commits).

    The rules always look at all records of a subject — a finding's evidence never depends on the
    scan's filters, so a scan limited to a region, a period or a run's subjects cannot shrink a flag's
    evidence and wake a dismissed flag; the filters only choose which findings are recorded. `subjects`
    (a payroll run's, Subjects.of_run) limits the rules to those subjects' findings, read from
    their records only, so that the scan costs in proportion to the run.
    """
    chosen = _check(rules, region_code, month_from, month_to)
    found, _ = detect(session, today, chosen, subjects=subjects)
    if subjects is not None:  # the rules read these subjects only; keep nothing else, whatever a rule gave
        found = {r: [fd for fd in fds if subjects.covers(fd.subject_key)] for r, fds in found.items()}
    prefix = _prefix(region_code)
    now = now_of(session)
    latest = _latest_flags(session, chosen, found if subjects is not None else None)
    new_ids = _new_flag_ids(session)
    result = ScanResult()
    entries: list[tuple] = []  # (action, flag, before, after, summary) in finding order; ids known later
    raised: list[_NewFlag] = []  # the new flags, inserted together after the loop
    for rule_id, findings in found.items():
        stats = {"found": 0, "new": 0}
        for fd in findings:
            if prefix and not (fd.region_code or "").startswith(prefix):
                continue
            if (month_from or month_to) and not overlaps(fd.period_from, fd.period_to, month_from, month_to):
                continue
            stats["found"] += 1
            result.found += 1
            old = latest.get((rule_id, fd.subject_key))
            digest = fd.evidence_hash
            if old is not None and old.status == "open":
                if old.evidence_hash == digest:
                    old.last_seen_at, old.last_seen_on = now, today
                    result.unchanged += 1
                    continue
                before = {"evidence_hash": old.evidence_hash, "money_fen": old.money_fen}
                _fill(old, fd, digest, now, today)
                entries.append(
                    (
                        "update_flag_evidence",
                        old,
                        before,
                        {"evidence_hash": digest, "money_fen": old.money_fen},
                        f"扫描更新线索证据：{RULES[rule_id].title}：{fd.title}",
                    )
                )
                result.updated += 1
                continue
            if old is not None and old.evidence_hash == digest:
                result.suppressed += 1  # disposed on this very evidence: it does not come back
                continue
            flag = _NewFlag(
                id=next(new_ids) if new_ids is not None else None,
                rule_id=rule_id,
                rule_version=fd.rule.version,
                severity=fd.severity or fd.rule.severity,
                status="open",
                subject_key=fd.subject_key,
                first_seen_at=now,
                first_seen_on=today,
                previous_flag_id=old.id if old is not None else None,
            )
            _fill(flag, fd, digest, now, today)
            raised.append(flag)
            latest[(rule_id, fd.subject_key)] = flag
            entries.append(_raise_entry(rule_id, flag, old, fd.title))
            result.new += 1
            result.reraised += int(old is not None)
            stats["new"] += 1
        result.per_rule[rule_id] = stats
    _insert_flags(session, raised)  # the new flags in one executemany (their ids), then the audit entries
    if entries:  # one executemany, chained in this order
        audit.record_many(session, actor, ((a, _OBJ, f.id, b, af, sm) for a, f, b, af, sm in entries))
    session.flush()
    if result.new or result.updated:
        audit.record(
            session,
            actor,
            "run_scan",
            "oversight_scan",
            None,
            after={
                "rules": chosen,
                "region": region_code,
                "from": month_from,
                "to": month_to,
                "found": result.found,
                "new": result.new,
                "reraised": result.reraised,
                "updated": result.updated,
                "suppressed": result.suppressed,
            },
            summary="线索扫描：" + result.summary,
        )
    log.info(
        "scan rules=%s region=%s found=%d new=%d", ",".join(chosen), region_code, result.found, result.new
    )
    return result


_OBJ = "oversight_flag"


def _raise_entry(rule_id: str, flag: Flag, old: Flag | None, title: str) -> tuple:
    """The audit entry of a raised flag: (action, flag, before, after, summary)."""
    return (
        "raise_flag",
        flag,
        None,
        {
            "rule": rule_id,
            "subject": flag.subject_key,
            "money_fen": flag.money_fen,
            "evidence_hash": flag.evidence_hash,
            "previous_flag_id": flag.previous_flag_id,
        },
        ("证据变化，重新提出线索" if old is not None else "扫描发现线索")
        + f"：{RULES[rule_id].title}：{title}"
        + (
            f"（原第{old.id}号已{'确认' if old.status == 'confirmed' else '排除'}）"
            if old is not None
            else ""
        ),
    )


class _NewFlag(SimpleNamespace):
    """A flag this scan raises, as the values of its row: inserted with the others in one Core executemany
    after the findings are matched (_insert_flags), then `id` is known. As ORM objects the new flags cost
    the unit of work ~0.1 ms each (64 against 15 ms for 660 flags): a county's payroll approvals raise
    hundreds, the first daily sweep thousands."""


_FLAG_COLUMNS = tuple(c.key for c in Flag.__table__.columns)


def _insert_flags(session: Session, flags: list[_NewFlag]) -> None:
    """INSERT the new flags in order, with the ids _new_flag_ids gave them (SQLite) or those the sequence
    gives them, returned in the rows' order (PostgreSQL); the ORM's changes first (the updated flags, a
    flag disposed earlier in the transaction), as a flush would have ordered them."""
    session.flush()
    if not flags:
        return
    table = Flag.__table__
    rows = [{k: getattr(f, k, None) for k in _FLAG_COLUMNS} for f in flags]
    if flags[0].id is not None:
        session.execute(table.insert(), rows)
        return
    for row in rows:
        del row["id"]
    ids = session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
    for f, id_ in zip(flags, ids, strict=True):
        f.id = id_


def _new_flag_ids(session: Session) -> Iterator[int] | None:
    """SQLite: the ids the new flags will have — the table's highest id + 1, + 2, … — given to them before
    the insert, so that they go in with one plain executemany (_insert_flags). Without ids the ORM inserted
    them one by one to learn each id (it did not batch INSERT … RETURNING on SQLite): 662 statements for one
    county's payroll approvals, a fifth of the scan's time. These are the ids SQLite itself would give
    (a rowid table without AUTOINCREMENT takes the highest + 1), and no other writer can take them first: a
    transaction writes only while it holds the database's single write lock, and (WAL) only if nothing was
    committed since its snapshot — otherwise its first write fails ("database is locked", a 503) instead of
    using a stale highest id. PostgreSQL takes ids from the sequence and batches the RETURNING itself."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    top = session.scalar(select(func.max(Flag.id)))  # autoflush first: every flag pending so far has its id
    return itertools.count((top or 0) + 1)


def _latest_flags(session: Session, rules: list[str], found: dict | None) -> dict[tuple[str, str], Flag]:
    """The newest flag per (rule, subject): of every subject, or of the subjects found (a scoped scan)."""
    stmt = select(Flag).where(Flag.rule_id.in_(rules)).order_by(Flag.id)
    if found is None:
        flags = session.scalars(stmt).all()
    else:
        keys = sorted({fd.subject_key for fds in found.values() for fd in fds})
        flags = [
            f
            for i in range(0, len(keys), 900)
            for f in session.scalars(stmt.where(Flag.subject_key.in_(keys[i : i + 900])))
        ]
        flags.sort(key=lambda f: f.id)
    return {(f.rule_id, f.subject_key): f for f in flags}


def _fill(flag: Flag, fd, digest: str, now, today: date) -> None:
    flag.title = fd.title
    flag.person_id = fd.person_id
    flag.township_id = fd.township_id
    flag.village_id = fd.village_id
    flag.period_from, flag.period_to = fd.period_from, fd.period_to
    flag.money_fen = fd.money_fen
    flag.evidence_json = json.dumps(fd.evidence, ensure_ascii=False, sort_keys=True, default=str)
    flag.evidence_hash = digest
    flag.last_seen_at, flag.last_seen_on = now, today


# The rules that read payments: what a payroll approval can change. The other rules (kinship, rotation,
# households, eligibility, attendance, phones) follow the registry and run in the daily sweep.
PAY_RULES = (
    "PAID_AFTER_DEATH",
    "PAID_OUTSIDE_CONTRACT",
    "PAID_NO_ATTENDANCE",
    "ABOVE_STANDARD",
    "EMPLOYED_ELSEWHERE",
    "ARREARS",
    "FUND_OVERRUN",
    "SHARED_ACCOUNT",
)


def scan_after_payroll_approval(session: Session, run, today: date) -> ScanResult:
    """The hook payroll approval calls, in the same transaction: the payment rules about what the run
    can change — its payees, their accounts, its contracts and posts, its funds, the run and its
    township-months (Subjects) — wherever they are, each finding with the evidence the daily sweep
    gives it. All rules over every subject run in the daily sweep."""
    with custom_plans(session):  # the rules' plans depend on the run's subjects (plans.py)
        subjects = Subjects.of_run(session, run.id, run.township_id)
        return run_scan(session, today, actor="系统（发放审批后扫描）", rules=PAY_RULES, subjects=subjects)


def daily_sweep(session: Session, today: date) -> ScanResult:
    """For the daily sweep: every rule over the whole county."""
    return run_scan(session, today, actor="系统（每日扫描）")
