"""`pwposts demo`, part two: the demo county's history (called by demo.generate_county).

Posts in every township, several years of recruitment (notices, applications with the eligibility
engine's own failures, 公示, objections, hires), one-year contracts with insurance, renewals,
annual grades and exits, then attendance, monthly grades and payroll for the last 13 ended months.
Everything is built in memory with explicit ids and inserted table by table (executemany), like
the registry in county.py, so 50,000 persons stay well under a minute.

Holders are chosen the way the services choose them: domain.hiring.check_eligibility on facts
gathered exactly as services.hiring.gather_facts gathers them (relations either way, household
members, cadre offices, imported employment, active contracts and pending hires), at the entry
date, again at publication and at the hiring date, and again (ignoring the contract being
renewed) before each renewal. Contract terms are copied from the post as services.contracts does;
each signing ends at the latest on domain.contracts.latest_end(start). Payment lines are
domain.payroll.compute_line of their stored inputs, for exactly the contracts and days
services.pay would take (so a preview stays "not stale" and approving it works).

Split along the simulation: history_state (settings, helpers, the in-memory _History), history_posts,
history_hiring (recruitments and tenures), history_pay (attendance, grades, payroll); this module writes the
rows and runs them in order.

Deliberate anomaly seeds for the oversight rules, and nothing else that breaks a rule:
- ANOMALY SEED CADRE_KIN: one serving 党组织书记's relative (married daughter or the like) is hired
  although the cadre-kin rule refuses her (her application is stored as hired, without failures);
- ANOMALY SEED PAID_AFTER_DEATH: one holder's death is recorded in the registry, but no exit was
  made and attendance and pay continue for the months after the death.
Both are listed in the counts (anomaly_*) the generator returns.

Choices worth knowing:
- Users: every payroll run is prepared by its township's clerk and approved by someone else (the
  county admin; in the logins' township the second clerk township1b). The month before today's month
  is left as work: a preview prepared by township1b in township1's township (township1 may approve
  it), nothing prepared yet in township2's (attendance partly draft), approved but not yet paid in
  township3's; every earlier month is paid (a few lines paid on a second bank batch, two still failed).
- The logins' township is 城关镇 unless, in a very small county, nobody there stays eligible after
  the 2026 换届; then it is the township with the person eligible longest (put first in b.townships).
- Posts proposed in 2024 carry the 2025 line of their fund (the policy has no 2024 funds); payroll
  charges each month to the fund of the same name for its year, as services.pay does.
- The revised standards of 2026 (保洁, 护路): a live post shows the standard in force today; each
  signing copies the post's terms for its start date, so signings of 2025 keep the old allowance.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..domain.posts import staffing_state
from ..domain.roles import TOWNSHIP_CLERK
from ..models.accounts import User
from ..models.people import Person
from ..services import audit
from .bulk import indexes_set_aside, insert_rows, sync_sequences
from .history_hiring import _plan_cadre_kin_seed, simulate
from .history_pay import generate_pay
from .history_posts import _finish_posts, _plan_holder1, generate_posts
from .history_state import HISTORY_MODELS, _at, _History

# ---------------------------------------------------------------------------------------------
# Rows for posts, contracts
# ---------------------------------------------------------------------------------------------


def _post_rows(h: _History) -> None:
    rng, today = h.rng, h.today
    admin = h.users["admin"]
    active = defaultdict(int)
    for c in h.contracts:
        if c.status == "active":
            active[c.post.id] += 1
    for post in h.posts:
        ref = post.closed_on or today
        std, allowance, days = h.terms_on(post, ref if post.plan in ("live", "closed") else post.created_on)
        deviation_status, reason = "none", None
        if post.deviation is not None:
            deviation_status, reason = post.deviation[3], post.deviation[2]
        if post.plan == "live":
            status = staffing_state(active[post.id], post.headcount) if post.noticed else "approved"
        elif post.plan == "closed":
            status = (
                "closed"
                if post.closed_on
                else (staffing_state(active[post.id], post.headcount) if post.noticed else "approved")
            )
        else:
            status = post.plan
        decided = post.decided_on if post.plan in ("live", "closed", "rejected") else None
        h.rows["post"].append(
            {
                "id": post.id,
                "code": post.code,
                "title": post.title,
                "township_id": post.township.id,
                "village_id": post.village.id,
                "category_id": h.cat_id[post.cat],
                "fund_id": post.fund_id,
                "standard_id": std["id"],
                "headcount": post.headcount,
                "duties": post.duties,
                "work_place": post.work_place,
                "hours": post.hours,
                "need_text": post.need_text,
                "eligible_pool": post.eligible_pool,
                "allowance_fen": allowance,
                "required_days": days,
                "full_time": std["full_time"],
                "deviation_reason": reason,
                "deviation_status": deviation_status,
                "status": status,
                "decision_reason": post.decision_reason if post.plan == "rejected" else None,
                "created_by_id": h.clerk(post),
                "created_at": _at(rng, post.created_on),
                "submitted_at": _at(rng, post.submitted_on) if post.submitted_on else None,
                "decided_by_id": admin if decided else None,
                "decided_at": _at(rng, decided) if decided else None,
                "decided_on": decided if decided else None,
                "closed_on": post.closed_on if status == "closed" else None,
            }
        )
        h.counts[f"posts_{status}"] += 1


def _contract_rows(h: _History) -> None:
    rng = h.rng
    for c in h.contracts:
        h.rows["contract"].append(
            {
                "id": c.id,
                "code": c.code,
                "person_id": c.person.id,
                "post_id": c.post.id,
                "application_id": c.app_id,
                "previous_contract_id": c.prev.id if c.prev else None,
                "kind": c.post.contract_kind,
                "start_on": c.start,
                "end_on": c.end,
                "allowance_fen": c.allowance,
                "required_days": c.days,
                "full_time": c.full_time,
                "perf_excellent_fen": c.perf_e,
                "perf_pass_fen": c.perf_p,
                "duties": c.post.duties,
                "work_place": c.post.work_place,
                "hours": c.post.hours,
                "status": c.status,
                "signed_on": c.signed_on,
                "signed_by_id": h.clerk(c.post),
                "activated_at": _at(rng, c.activated_on) if c.activated_on else None,
                "exit_on": c.exit_on,
                "end_reason": c.end_reason,
                "created_at": _at(rng, c.signed_on),
            }
        )


# ---------------------------------------------------------------------------------------------
# Users, insertion, audit
# ---------------------------------------------------------------------------------------------


def extra_users(session: Session, b, actor: str, pw_hash: str) -> dict:
    """A township clerk for every other township (township2 …) and a second clerk for the first
    (township1b), so that every payroll run has a preparer and a different approver."""
    rows = []
    next_id = (session.scalar(select(func.max(User.id))) or 0) + 1
    names = []
    for i, town in enumerate(b.townships):
        if i == 0:
            names.append(("township1b", f"{town.name}复核人", town))
        else:
            names.append((f"township{i + 1}", f"{town.name}经办人", town))
    for username, display, town in names:
        rows.append(
            {
                "id": next_id,
                "username": username,
                "display_name": display,
                "password_hash": pw_hash,
                "role": TOWNSHIP_CLERK,
                "region_id": town.id,
                "person_id": None,
                "phone": None,
                "active": True,
                "created_at": datetime(2024, 1, 2, 1, 0),
            }
        )
        next_id += 1
    if rows:
        insert_rows(session, User.__table__, rows)
        sync_sequences(session, [User.__table__])
        session.flush()
        audit.record(
            session,
            actor,
            "demo_generate",
            "user_account",
            None,
            after={"rows": len(rows), "seed": b.seed, "usernames": [r["username"] for r in rows]},
            summary=f"生成演示数据：user_account {len(rows)} 行（各乡镇经办人及复核人）",
        )
    return {r["username"]: r["id"] for r in rows}


def _insert_all(session: Session, rows: dict, chunk: int) -> None:
    # application.contract_signed written with the rows (not by an UPDATE of every application afterwards)
    signed = {c.get("application_id") for c in rows["contract"] if c.get("status") != "void"}
    for app in rows["application"]:
        app["contract_signed"] = app["id"] in signed
    # SQLite: the history tables' indexes built once from the loaded rows (payment has seven)
    with indexes_set_aside(session, [model.__table__ for model in HISTORY_MODELS.values()]):
        for name, model in HISTORY_MODELS.items():
            insert_rows(session, model.__table__, rows[name])
    sync_sequences(session, [model.__table__ for model in HISTORY_MODELS.values()])
    session.flush()


def prepare_history(session: Session, b, tables: dict) -> _History:
    """Index the registry and choose the logins' township and the holder1 person (before the users exist)."""
    b.persons_by_id = {p.id: p for p in b.persons}
    h = _History(session, b, tables, {})
    _plan_holder1(h)
    return h


def generate_history(h: _History, users: dict, *, actor: str, chunk: int = 5000) -> dict:
    """Build and insert the county's history; return counts and what the logins need (holder1)."""
    session, b = h.session, h.b
    h.users = users
    generate_posts(h)
    _plan_cadre_kin_seed(h)
    _finish_posts(h)
    simulate(h)
    generate_pay(h)
    _post_rows(h)
    _contract_rows(h)
    seed_person = h.seed_contract.person if h.seed_contract is not None else None
    _insert_all(session, h.rows, chunk)
    if seed_person is not None:  # ANOMALY SEED PAID_AFTER_DEATH: the registry learns of the death
        session.execute(
            update(Person.__table__)
            .where(Person.__table__.c.id == seed_person.id)
            .values(death_date=seed_person.death_date)
        )
        session.flush()
    for name in HISTORY_MODELS:
        audit.record(
            session,
            actor,
            "demo_generate",
            name,
            None,
            after={"rows": len(h.rows[name]), "seed": b.seed},
            summary=f"生成演示数据：{name} {len(h.rows[name])} 行",
        )
    counts = {name: len(rows) for name, rows in h.rows.items()}
    counts.update(h.counts)
    counts["holder_candidates"] = _holder_candidates(h, seed_person)
    return counts


def _holder_candidates(h: _History, excluded) -> list[tuple[int, int, int]]:
    """(village id, person id, paid lines) for the holder1 login, best first: the planned holder1, then
    holders of the logins' township with an active signing, alive and paid, no anomaly seed; in a county
    too small to have anyone eligible after the 2026 换届, a former holder with the longest paid history."""
    paid = defaultdict(int)
    for p in h.rows["payment"]:
        if p["status"] == "paid" and p["kind"] == "regular":
            paid[p["person_id"]] += 1
    town0 = h.b.townships[0]
    out = []
    for c in h.contracts:
        p = c.person
        if (
            c.post.township is town0
            and p.death_date is None
            and p is not excluded
            and p.id not in h.cadre_kin_seed
            and paid[p.id] >= 1
        ):
            current = c.status == "active" and c.start <= h.today
            out.append(
                (p.id != getattr(h.holder1, "id", None), not current, -paid[p.id], p.id, c.post.village.id)
            )
    return [(vid, pid, -neg) for _h, _c, neg, pid, vid in sorted(set(out))]
