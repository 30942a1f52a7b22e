"""PAID_NO_ATTENDANCE 在岗领补: a regular payment line without an approved (or locked) attendance record."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["PAID_NO_ATTENDANCE"]

SQL = """
SELECT p.id, p.person_id, p.contract_id, p.run_id, p.month, p.amount_fen, p.status, p.attended_days,
       c.code, po.village_id,
       (SELECT a.status FROM attendance_record a WHERE a.contract_id = p.contract_id AND a.month = p.month)
         AS attendance_status
{source}
WHERE p.kind = 'regular' AND p.amount_fen > 0 AND p.status <> 'failed'
  AND NOT_EXISTS"""
NO_ATTENDANCE = """NOT EXISTS (SELECT 1 FROM attendance_record a WHERE a.contract_id = p.contract_id
                  AND a.month = p.month AND a.status IN ('approved', 'locked'))"""
FROM_LINES = """FROM payment p
JOIN contract c ON c.id = p.contract_id
JOIN post po ON po.id = c.post_id"""


def detect(ctx: Context) -> list:
    by_contract = defaultdict(list)
    # an approval scan on PostgreSQL starts from the run's contracts and probes their lines (Context.probes)
    if ctx.probes:
        source = (
            f"FROM {ctx.rows_of('contract', 'c', 'id', 'contracts')}\nJOIN post po ON po.id = c.post_id\n"
            # the attendance test inside the probe: outside it, PostgreSQL hashed every attendance record
            + ctx.lines_of("p", "contract_id", "c.id", where=" AND " + NO_ATTENDANCE.replace("p.", "p_l."))
        )
        # (no `c.id = ANY(…)` after it: the probes read the run's contracts only)
        sql = SQL.replace("{source}", source).replace("\n  AND NOT_EXISTS", "")
    else:
        # the run's contracts on both sides of the join (the same set): SQLite probes both by index
        sql = SQL.replace("{source}", FROM_LINES).replace("NOT_EXISTS", NO_ATTENDANCE)
        sql += ctx.only("p.contract_id", "contracts")
        sql += ctx.only("c.id", "contracts")
    for r in ctx.q(sql):
        by_contract[r.contract_id].append(r)
    persons = ctx.persons({rows[0].person_id for rows in by_contract.values()})
    out = []
    for cid, rows in by_contract.items():
        r0 = rows[0]
        p = persons[r0.person_id]
        money = sum(int(r.amount_fen) for r in rows)
        months = [r.month for r in rows]
        lines = [
            {
                "id": r.id,
                "contract_id": cid,
                "run_id": r.run_id,
                "month": r.month,
                "kind": "regular",
                "amount_fen": int(r.amount_fen),
                "status": r.status,
                "note": "考勤记录：" + ({"draft": "待审核"}.get(r.attendance_status, "无")),
            }
            for r in rows
        ]
        evidence = {
            "summary": (
                f"{p['name']}（合同{r0.code}）在{'、'.join(months)}没有已审核的考勤，仍发放{yuan(money)}"
            ),
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": [f"{x['month']}：{x['note']}，发放{yuan(x['amount_fen'])}" for x in lines],
            "payments": lines,
            "contracts": [cid],
            "refs": {
                "person": [p["id"]],
                "contract": [cid],
                "payment": [x["id"] for x in lines],
                "payroll_run": sorted({x["run_id"] for x in lines if x["run_id"]}),
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"contract:{cid}",
                f"{p['name']}无考勤领取{yuan(money)}",
                [f"payment:{r.id}:{r.amount_fen}" for r in rows],
                evidence,
                money_fen=money,
                person_id=p["id"],
                village_id=r0.village_id,
                months=months,
            )
        )
    return out
