"""PAID_OUTSIDE_CONTRACT 有岗无人/虚报冒领: a payment for a month the contract does not cover, or on a
draft or void contract."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, as_date, make_finding, person_node

RULE = RULES["PAID_OUTSIDE_CONTRACT"]
STATUS_LABELS = {
    "draft": "草稿",
    "void": "已作废",
    "active": "生效",
    "ended": "已终止",
    "terminated": "已解除",
}


def query(ctx: Context) -> str:
    s = ctx.sql
    # an approval scan on PostgreSQL starts from the run's contracts and probes their lines (Context.probes)
    source = (
        f"FROM {ctx.rows_of('contract', 'c', 'id', 'contracts')}\nJOIN post po ON po.id = c.post_id\n"
        + ctx.lines_of("p", "contract_id", "c.id")
        if ctx.probes
        else "FROM payment p\nJOIN contract c ON c.id = p.contract_id\nJOIN post po ON po.id = c.post_id"
    )
    return f"""
SELECT p.id, p.person_id, p.contract_id, p.run_id, p.month, p.kind, p.amount_fen, p.status,
       c.code, c.status AS contract_status, c.start_on, c.end_on, c.exit_on, po.village_id, po.title
{source}
WHERE p.status <> 'failed' AND p.amount_fen > 0
  AND (c.status IN ('draft', 'void') OR p.month < {s.month("c.start_on")}
       OR p.month > {s.month("COALESCE(c.exit_on, c.end_on)")})
  {"" if ctx.probes else ctx.only("p.contract_id", "contracts") + ctx.only("c.id", "contracts")}"""


def detect(ctx: Context) -> list:
    by_contract = defaultdict(list)
    for r in ctx.q(query(ctx)):
        by_contract[r.contract_id].append(r)
    persons = ctx.persons({rows[0].person_id for rows in by_contract.values()})
    out = []
    for cid, rows in by_contract.items():
        r0 = rows[0]
        p = persons[r0.person_id]
        last = as_date(r0.exit_on) or as_date(r0.end_on)
        span = f"{as_date(r0.start_on).isoformat()} 至 {last.isoformat()}"
        money = sum(int(r.amount_fen) for r in rows)
        lines = [
            {
                "id": r.id,
                "contract_id": cid,
                "run_id": r.run_id,
                "month": r.month,
                "kind": r.kind,
                "amount_fen": int(r.amount_fen),
                "status": r.status,
            }
            for r in rows
        ]
        months = [r.month for r in rows]
        state = STATUS_LABELS.get(r0.contract_status, r0.contract_status)
        evidence = {
            "summary": f"{p['name']}的合同{r0.code}（{r0.title}，{span}，{state}）之外的月份"
            f"{'、'.join(sorted(set(months)))}仍发放{yuan(money)}",
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": [f"合同{r0.code}：{span}，状态{state}"]
            + [f"{x['month']} {x['kind']} {yuan(x['amount_fen'])}" for x in lines],
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
                f"{p['name']}合同期外领取{yuan(money)}",
                [f"payment:{r.id}:{r.amount_fen}" for r in rows],
                evidence,
                money_fen=money,
                person_id=p["id"],
                village_id=r0.village_id,
                months=months,
            )
        )
    return out
