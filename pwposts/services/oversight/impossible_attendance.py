"""IMPOSSIBLE_ATTENDANCE 虚假考勤: a dated day outside the contract or outside its record's month, one
person's same day worked under two records, more days than the month has, or a month outside the contract.
The weak variant (low severity, supporting evidence only): every attendance record of a village's holders
full and identical — days worked = required days, no leave, no absence — for 3 or more consecutive months,
with at least 3 holders."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.payroll import PAYABLE_CONTRACT_STATES
from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["IMPOSSIBLE_ATTENDANCE"]
WHY = {
    "day_outside_contract": "考勤日期不在合同期内",
    "day_outside_month": "考勤日期不在所属月份",
    "duplicate_day": "同一天在两份考勤中重复计算",
    "too_many_days": "出勤、请假、缺勤合计超过当月天数",
    "month_outside_contract": "考勤月份不在合同期内",
}

UNIFORM_MIN_MONTHS = 3
UNIFORM_MIN_HOLDERS = 3
# the records of village-months where every holder's record is full attendance and nothing else
UNIFORM_SQL = """
WITH rec AS (
  SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id,
         CASE WHEN a.days_worked = c.required_days AND a.leave_days = 0 AND a.absent_days = 0 THEN 1
           ELSE 0 END AS is_full
  FROM attendance_record a JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
  WHERE c.status IN ({states})
),
vm AS (
  SELECT village_id, month, COUNT(*) AS records, COUNT(DISTINCT contract_id) AS holders,
    SUM(is_full) AS full_n
  FROM rec GROUP BY village_id, month
)
SELECT rec.id, rec.contract_id, rec.person_id, rec.month, rec.days_worked, rec.status,
  rec.village_id, vm.holders
FROM rec JOIN vm ON vm.village_id = rec.village_id AND vm.month = rec.month
WHERE vm.holders >= {n} AND vm.records = vm.holders AND vm.full_n = vm.records
ORDER BY rec.village_id, rec.month, rec.contract_id""".format(
    states=", ".join(f"'{x}'" for x in PAYABLE_CONTRACT_STATES), n=UNIFORM_MIN_HOLDERS
)


def query(ctx: Context) -> str:
    s = ctx.sql
    last = "COALESCE(c.exit_on, c.end_on)"
    return f"""
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code,
       CASE WHEN {s.month("d.day")} <> a.month THEN 'day_outside_month'
         ELSE 'day_outside_contract' END AS why,
       CAST(d.day AS VARCHAR(10)) AS detail
FROM attendance_day d JOIN attendance_record a ON a.id = d.record_id
JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE d.day < c.start_on OR d.day > {last} OR {s.month("d.day")} <> a.month
UNION ALL
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code,
  'duplicate_day',
       CAST(d.day AS VARCHAR(10))
FROM attendance_day d JOIN attendance_record a ON a.id = d.record_id
JOIN attendance_day d2 ON d2.day = d.day AND d2.record_id <> d.record_id AND d2.kind = 'work'
JOIN attendance_record a2 ON a2.id = d2.record_id AND a2.person_id = a.person_id
JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE d.kind = 'work'
UNION ALL
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code,
  'too_many_days',
       CAST(a.days_worked + a.leave_days + a.absent_days AS VARCHAR(10))
FROM attendance_record a JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE a.days_worked + a.leave_days + a.absent_days > {s.month_days("a.month")}
UNION ALL
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code,
       'month_outside_contract', a.month
FROM attendance_record a JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE a.days_worked > 0 AND (a.month < {s.month("c.start_on")} OR a.month > {s.month(last)})"""


def detect(ctx: Context) -> list:
    return _impossible(ctx) + _uniform_villages(ctx)


def _month_no(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def consecutive_runs(months: list[str], at_least: int) -> list[list[str]]:
    """Runs of consecutive YYYY-MM months (sorted input) at least `at_least` long."""
    runs: list[list[str]] = []
    for m in months:
        if runs and _month_no(m) == _month_no(runs[-1][-1]) + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return [r for r in runs if len(r) >= at_least]


def _uniform_villages(ctx: Context) -> list:
    """The weak variant: a whole village at full attendance, identically, month after month."""
    by_village: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in ctx.q(UNIFORM_SQL):
        by_village[r.village_id][r.month].append(r)
    persons = ctx.persons(
        {r.person_id for months in by_village.values() for rows in months.values() for r in rows}
    )
    out = []
    for vid, months in by_village.items():
        for run in consecutive_runs(sorted(months), UNIFORM_MIN_MONTHS):
            rows = [r for m in run for r in months[m]]
            holders = sorted({r.person_id for r in rows}, key=lambda i: persons[i]["name"])
            place = ctx.region_name(vid)
            evidence = {
                "summary": f"{place}{run[0]}至{run[-1]}连续{len(run)}个月，"
                f"全部{max(r.holders for r in rows)}名岗位人员的"
                f"考勤都是满勤（出勤天数等于规定天数，无请假、缺勤），各月完全相同。此信号较弱，只作佐证，"
                f"须与现场核查、工作记录等其他证据一并核实",
                "persons": [person_node(persons[i], "岗位人员") for i in holders],
                "links": [],
                "facts": [f"{m}：{len(months[m])}名岗位人员全部满勤" for m in run],
                "attendance": [
                    {
                        "id": r.id,
                        "month": r.month,
                        "days_worked": r.days_worked,
                        "status": r.status,
                        "note": f"{persons[r.person_id]['name']}满勤",
                    }
                    for r in rows
                ],
                "contracts": sorted({r.contract_id for r in rows}),
                "refs": {
                    "person": holders,
                    "contract": sorted({r.contract_id for r in rows}),
                    "attendance_record": sorted(r.id for r in rows),
                },
            }
            out.append(
                make_finding(
                    ctx,
                    RULE,
                    f"village:{vid}:{run[0]}",
                    f"{place}连续{len(run)}个月全员满勤且完全相同（弱信号）",
                    sorted(f"attendance:{r.id}:{r.days_worked}" for r in rows),
                    evidence,
                    village_id=vid,
                    months=run,
                    severity="low",
                )
            )
    return out


def _impossible(ctx: Context) -> list:
    by_contract = defaultdict(list)
    for r in ctx.q(query(ctx)):
        by_contract[r.contract_id].append(r)
    persons = ctx.persons({rows[0].person_id for rows in by_contract.values()})
    pay = ctx.payments_of(contract_ids=by_contract)
    out = []
    for cid, rows in by_contract.items():
        r0 = rows[0]
        p = persons[r0.person_id]
        months = sorted({r.month for r in rows})
        facts = sorted(
            {f"{r.month}（考勤第{r.id}号，出勤{r.days_worked}天）：{WHY[r.why]}：{r.detail}" for r in rows}
        )
        lines = [
            x
            for x in pay.get(p["id"], [])
            if x["contract_id"] == cid
            and x["month"] in months
            and x["amount_fen"] > 0
            and x["status"] != "failed"
        ]
        money = sum(x["amount_fen"] for x in lines)
        evidence = {
            "summary": f"{p['name']}（合同{r0.code}）"
            f"{len(months)}个月的考勤不可能成立（{'；'.join(sorted({WHY[r.why] for r in rows}))}），"
            f"据此发放{yuan(money)}",
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": facts,
            "payments": lines,
            "attendance": [
                {
                    "id": r.id,
                    "month": r.month,
                    "days_worked": r.days_worked,
                    "status": r.status,
                    "note": WHY[r.why] + "：" + r.detail,
                }
                for r in rows
            ],
            "contracts": [cid],
            "refs": {
                "person": [p["id"]],
                "contract": [cid],
                "attendance_record": sorted({r.id for r in rows}),
                "payment": [x["id"] for x in lines],
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"contract:{cid}",
                f"{p['name']}考勤异常（{WHY[r0.why]}）",
                sorted({f"attendance:{r.id}:{r.why}:{r.detail}" for r in rows}),
                evidence,
                money_fen=money,
                person_id=p["id"],
                village_id=r0.village_id,
                months=months,
            )
        )
    return out
