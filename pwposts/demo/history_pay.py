"""The demo history's attendance, monthly grades and payroll for the last PAY_MONTHS ended months, with the
corrections (补发/扣回) and the work left for this month (see history.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from ..domain.formats import month_bounds
from ..domain.payroll import bank_reference, compute_line, correction_limit_fen, covered_days, money
from .history_state import PAY_MONTHS, _add_months, _at, _Contract, _day, _History, _month
from .history_texts import (
    ATTENDANCE_NOTES,
    BANK_FAILURES,
)

# ---------------------------------------------------------------------------------------------
# Attendance, monthly grades, payroll
# ---------------------------------------------------------------------------------------------


def _pay_months(today: date) -> list[str]:
    last = _add_months(_month(today), -1)
    return [_add_months(last, -k) for k in range(PAY_MONTHS - 1, -1, -1)]


def _paid_after_death_seed(h: _History, months: list[str], exclude_towns) -> _Contract | None:
    """ANOMALY SEED PAID_AFTER_DEATH: a holder (not in the demo logins' township) whose death gets recorded
    three months before the last month, while the signing stays active and attendance and pay go on."""
    if len(months) < 4:
        return None
    death_month = months[-3]
    first, last = month_bounds(death_month)
    cands = [
        c
        for c in h.contracts
        if c.status == "active"
        and c.start <= first
        and c.end >= h.today
        and c.post.township not in exclude_towns
        and c.person.death_date is None
        and c.person.id not in h.cadre_kin_seed
    ]
    if not cands:
        return None
    c = h.rng.choice(sorted(cands, key=lambda c: c.id))
    h.seed_contract = c
    c.person.death_date = _day(h.rng, first + timedelta(days=3), last - timedelta(days=3))
    h.counts["anomaly_paid_after_death"] = 1
    return c


def _attendance_numbers(
    rng, required: int, covered: int, month_days: int
) -> tuple[int, int, int, str | None]:
    base = (
        min(covered, round(required * covered / month_days))
        if covered < month_days
        else min(required, covered)
    )
    if rng.random() < 0.008:
        return 0, covered, 0, "病假，全月未出勤"
    delta = rng.choices((-4, -2, -1, 0, 1, 2, 3), weights=(2, 4, 6, 42, 20, 14, 12))[0]
    worked = max(0, min(covered, base + delta))
    leave = absent = 0
    note = None
    if worked < base:
        short = base - worked
        if rng.random() < 0.7:
            leave = min(short, covered - worked)
            note = rng.choice(ATTENDANCE_NOTES) + f"{leave}天"
        else:
            absent = min(short, covered - worked)
            note = f"无故缺勤{absent}天" if absent else None
    return worked, leave, absent, note


def _month_grade(rng, worked: int, base: int) -> str | None:
    if rng.random() < 0.02:
        return None
    if base and worked < base * 0.6:
        return rng.choices(("合格", "不合格"), weights=(40, 60))[0]
    return rng.choices(("优秀", "合格", "不合格"), weights=(18, 80, 2))[0]


def generate_pay(h: _History) -> None:
    b, rng, today = h.b, h.rng, h.today
    months = _pay_months(today)
    if not months or not h.contracts:
        return
    town0 = b.townships[0]
    town1 = b.townships[1] if len(b.townships) > 1 else None
    town2 = b.townships[2] if len(b.townships) > 2 else None
    seed = _paid_after_death_seed(h, months, (town0, town1, town2))
    last_month = months[-1]

    def state(town, month) -> str:
        if month != last_month:
            return "paid"
        if town is town0:
            return "preview"
        if town is town1:
            return "none"
        if town is town2:
            return "approved"
        return "paid"

    # per (township, month): contract-months, in the order the payroll service lists them
    work = defaultdict(list)
    lengths = {}  # the months' days, worked out once (not once per contract)
    for m in months:
        first, last = month_bounds(m)
        lengths[m] = (last - first).days + 1
    for c in h.contracts:
        if c.status not in ("active", "ended", "terminated"):
            continue
        for m in months:
            died = None if c is seed else c.person.death_date
            covered = covered_days(m, c.start, c.last_day, death_date=died)
            if not covered:
                continue
            work[(c.post.township.id, m)].append((c, covered, lengths[m]))
    towns = {t.id: t for t in b.townships}
    second = h.users.get("second", {})
    admin = h.users["admin"]
    failed_left = 2
    for m in months:
        first, last = month_bounds(m)
        year_funds = {}
        for town_id in [t.id for t in b.townships]:
            items = work.get((town_id, m))
            if not items:
                continue
            town = towns[town_id]
            clerk = h.clerk(town)
            st = state(town, m)
            entered = last + timedelta(days=rng.randint(1, 4))
            approved_att = entered + timedelta(days=rng.randint(1, 3))
            prepared = approved_att + timedelta(days=rng.randint(1, 4))
            approved = prepared + timedelta(days=rng.randint(1, 3))
            paid_on = approved + timedelta(days=rng.randint(2, 5))
            if st == "paid" and paid_on > today:
                st = "approved"
            if st == "approved" and approved > today:
                st = "preview"
            if st == "preview" and prepared > today:
                st = "none"
            preparer = second.get(town_id, clerk) if st == "preview" else clerk
            approver = second.get(town_id, admin) if preparer == clerk else clerk
            if approver == preparer:
                approver = admin
            enterer = second.get(
                town_id, admin
            )  # attendance four eyes: the clerk approves what another entered
            run = None
            if st != "none":
                run = {
                    "id": b.new_id("payroll_run"),
                    "township_id": town_id,
                    "month": m,
                    "status": "approved" if st in ("paid", "approved") else "preview",
                    "total_fen": 0,
                    "line_count": 0,
                    "unpaid_count": 0,
                    "prepared_by_id": preparer,
                    "prepared_at": _at(rng, prepared),
                    "approved_by_id": approver if st in ("paid", "approved") else None,
                    "approved_at": _at(rng, approved) if st in ("paid", "approved") else None,
                    "approved_on": approved if st in ("paid", "approved") else None,
                }
                h.rows["payroll_run"].append(run)
            items.sort(key=lambda it: (it[0].post.village.id, it[0].person.name, it[0].id))
            for c, covered, month_days in items:
                std_base = (
                    min(covered, round(c.days * covered / month_days)) if covered < month_days else c.days
                )
                worked, leave, absent, note = _attendance_numbers(rng, c.days, covered, month_days)
                if st == "none":
                    att_status = rng.choices(("approved", "draft", None), weights=(60, 30, 10))[0]
                elif st == "preview":
                    att_status = "approved" if rng.random() < 0.95 else "draft"
                else:
                    att_status = "locked"
                if att_status is None:
                    if run is not None:
                        run["unpaid_count"] += 1
                    continue
                h.rows["attendance_record"].append(
                    {
                        "id": b.new_id("attendance_record"),
                        "contract_id": c.id,
                        "person_id": c.person.id,
                        "month": m,
                        "days_worked": worked,
                        "hours_worked": None,
                        "leave_days": leave,
                        "absent_days": absent,
                        "note": note,
                        "status": att_status,
                        "entered_by_id": enterer,
                        "entered_at": _at(rng, entered),
                        "approved_by_id": clerk if att_status != "draft" else None,
                        "approved_at": _at(rng, approved_att) if att_status != "draft" else None,
                    }
                )
                grade = _month_grade(rng, worked, std_base)
                if st == "none" and rng.random() < 0.3:
                    grade = None
                if grade is not None:
                    h.rows["assessment"].append(
                        {
                            "id": b.new_id("assessment"),
                            "contract_id": c.id,
                            "kind": "monthly",
                            "period": m,
                            "grade": grade,
                            "note": None,
                            "assessed_by_id": clerk,
                            "assessed_at": _at(rng, last + timedelta(days=rng.randint(2, 9))),
                        }
                    )
                if run is None or att_status == "draft":
                    if run is not None:
                        run["unpaid_count"] += 1
                    continue
                line = compute_line(
                    c.allowance, c.days, worked, covered, month_days, grade, c.perf_e, c.perf_p
                )
                if c.post.fund_name not in year_funds:
                    f = h.fund(c.post.fund_name, int(m[:4]))
                    year_funds[c.post.fund_name] = f["id"] if f else c.post.fund_id
                pid = b.new_id("payment")
                p = c.person
                row = {
                    "id": pid,
                    "run_id": run["id"],
                    "contract_id": c.id,
                    "person_id": p.id,
                    "fund_id": year_funds[c.post.fund_name],
                    "month": m,
                    "kind": "regular",
                    "standard_fen": c.allowance,
                    "required_days": c.days,
                    "attended_days": worked,
                    "covered_days": covered,
                    "month_days": month_days,
                    "cap_fen": line.cap_fen,
                    "base_fen": line.base_fen,
                    "grade": grade,
                    "performance_fen": line.performance_fen,
                    "amount_fen": line.amount_fen,
                    "calc_text": line.calc_text,
                    "account_kind": p.account_kind,
                    "account_no": p.account_no,
                    "account_name": p.account_name,
                    "status": "pending",
                    "bank_batch": 1,
                    "bank_ref": None,
                    "failure_reason": None,
                    "paid_on": None,
                    "reason": None,
                    "original_payment_id": None,
                    "created_by_id": preparer,
                    "created_at": run["prepared_at"],
                }
                if st == "paid":
                    row["status"], row["paid_on"], row["bank_ref"] = "paid", paid_on, bank_reference(pid, 1)
                    if m == last_month and failed_left > 0 and rng.random() < 0.05:
                        failed_left -= 1
                        row["status"], row["paid_on"] = "failed", None
                        row["failure_reason"] = rng.choice(BANK_FAILURES)
                    elif rng.random() < 0.004:  # failed in batch 1, paid on retry in batch 2
                        retried = paid_on + timedelta(days=rng.randint(5, 10))
                        if retried <= today:
                            row["bank_batch"], row["paid_on"] = 2, retried
                            row["bank_ref"] = bank_reference(pid, 2)
                            h.counts["payments_retried"] += 1
                h.rows["payment"].append(row)
                run["total_fen"] += line.amount_fen
                run["line_count"] += 1
    _corrections(h, months)


def _corrections(h: _History, months: list[str]) -> None:
    """A couple of 补发 and 扣回 lines with their reasons (the original lines are never changed)."""
    rng, today = h.rng, h.today
    runs = {r["id"]: r for r in h.rows["payroll_run"]}
    early = set(months[:-2])
    paid = [
        p for p in h.rows["payment"] if p["status"] == "paid" and p["month"] in early and p["amount_fen"] > 0
    ]
    if not paid:
        return
    picks = rng.sample(paid, min(len(paid), 4))
    batches = defaultdict(int)
    for p in h.rows["payment"]:
        batches[p["run_id"]] = max(batches[p["run_id"]], p["bank_batch"])
    plan = [
        ("补发", "村委会补报漏记的2天出勤，经乡镇核实后补发"),
        ("补发", "考勤表录入有误，少计出勤天数，核实后补发"),
        ("扣回", "出勤天数多报2天（村委会复核更正），扣回多发补贴"),
        ("扣回", "当月绩效补贴重复计发，予以扣回"),
    ]
    for orig, (kind, reason) in zip(picks, plan, strict=False):
        run = runs[orig["run_id"]]
        day_fen = orig["standard_fen"] * 2 // orig["required_days"]
        if kind == "扣回" and "绩效" in reason:
            amount = orig["performance_fen"] or day_fen
        else:
            amount = day_fen
        amount = (
            max(1, min(amount, correction_limit_fen(kind, orig["amount_fen"])))
            if kind == "扣回"
            else max(1, amount)
        )
        created = min(orig["paid_on"] + timedelta(days=rng.randint(10, 25)), today)
        batch = batches[run["id"]] + 1
        batches[run["id"]] = batch
        pid = h.b.new_id("payment")
        row = dict(orig)
        row.update(
            {
                "id": pid,
                "kind": kind,
                "base_fen": 0,
                "performance_fen": 0,
                "amount_fen": amount if kind == "补发" else -amount,
                "calc_text": f"{kind} {money(amount)}"
                f"（更正第{orig['id']}号明细 {money(orig['amount_fen'])}）：{reason}",
                "status": "pending",
                "bank_batch": batch,
                "bank_ref": None,
                "failure_reason": None,
                "paid_on": None,
                "reason": reason,
                "original_payment_id": orig["id"],
                "created_by_id": run["prepared_by_id"],
                "created_at": _at(rng, created),
            }
        )
        paid_on = created + timedelta(days=rng.randint(2, 5))
        if kind == "补发" and paid_on <= today:
            row["status"], row["paid_on"], row["bank_ref"] = "paid", paid_on, bank_reference(pid, batch)
        h.rows["payment"].append(row)
        h.counts[f"corrections_{kind}"] += 1
