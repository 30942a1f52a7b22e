"""IMPOSSIBLE_ATTENDANCE 虚假考勤: a dated day outside the contract or outside its record's month, one
person's same day worked under two records, more days than the month has, or a month outside the contract."""
from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["IMPOSSIBLE_ATTENDANCE"]
WHY = {"day_outside_contract": "考勤日期不在合同期内", "day_outside_month": "考勤日期不在所属月份",
       "duplicate_day": "同一天在两份考勤中重复计算", "too_many_days": "出勤、请假、缺勤合计超过当月天数",
       "month_outside_contract": "考勤月份不在合同期内"}


def query(ctx: Context) -> str:
    s = ctx.sql
    last = "COALESCE(c.exit_on, c.end_on)"
    return f"""
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code,
       CASE WHEN {s.month('d.day')} <> a.month THEN 'day_outside_month' ELSE 'day_outside_contract' END AS why,
       CAST(d.day AS VARCHAR(10)) AS detail
FROM attendance_day d JOIN attendance_record a ON a.id = d.record_id
JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE d.day < c.start_on OR d.day > {last} OR {s.month('d.day')} <> a.month
UNION ALL
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code, 'duplicate_day',
       CAST(d.day AS VARCHAR(10))
FROM attendance_day d JOIN attendance_record a ON a.id = d.record_id
JOIN attendance_day d2 ON d2.day = d.day AND d2.record_id <> d.record_id AND d2.kind = 'work'
JOIN attendance_record a2 ON a2.id = d2.record_id AND a2.person_id = a.person_id
JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE d.kind = 'work'
UNION ALL
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code, 'too_many_days',
       CAST(a.days_worked + a.leave_days + a.absent_days AS VARCHAR(10))
FROM attendance_record a JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE a.days_worked + a.leave_days + a.absent_days > {s.month_days('a.month')}
UNION ALL
SELECT a.id, a.contract_id, a.person_id, a.month, a.days_worked, a.status, po.village_id, c.code,
       'month_outside_contract', a.month
FROM attendance_record a JOIN contract c ON c.id = a.contract_id JOIN post po ON po.id = c.post_id
WHERE a.days_worked > 0 AND (a.month < {s.month('c.start_on')} OR a.month > {s.month(last)})"""


def detect(ctx: Context) -> list:
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
        facts = sorted({f"{r.month}（考勤第{r.id}号，出勤{r.days_worked}天）：{WHY[r.why]}：{r.detail}" for r in rows})
        lines = [x for x in pay.get(p["id"], []) if x["contract_id"] == cid and x["month"] in months
                 and x["amount_fen"] > 0 and x["status"] != "failed"]
        money = sum(x["amount_fen"] for x in lines)
        evidence = {
            "summary": f"{p['name']}（合同{r0.code}）{len(months)}个月的考勤不可能成立（{'；'.join(sorted({WHY[r.why] for r in rows}))}），"
                       f"据此发放{yuan(money)}",
            "persons": [person_node(p, "岗位人员")], "links": [], "facts": facts, "payments": lines,
            "attendance": [{"id": r.id, "month": r.month, "days_worked": r.days_worked, "status": r.status,
                            "note": WHY[r.why] + "：" + r.detail} for r in rows],
            "contracts": [cid], "refs": {"person": [p["id"]], "contract": [cid],
                                         "attendance_record": sorted({r.id for r in rows}),
                                         "payment": [x["id"] for x in lines]},
        }
        out.append(make_finding(ctx, RULE, f"contract:{cid}", f"{p['name']}考勤异常（{WHY[r0.why]}）",
                                sorted({f"attendance:{r.id}:{r.why}:{r.detail}" for r in rows}), evidence,
                                money_fen=money, person_id=p["id"], village_id=r0.village_id, months=months))
    return out
