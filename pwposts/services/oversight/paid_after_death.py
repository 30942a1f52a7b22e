"""PAID_AFTER_DEATH 死亡仍领: every payment for a month after the payee's death (the death month pro rata)."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import month_of, yuan
from ...domain.rules import share_at_stake
from ...domain.rules.catalog import RULES
from ._base import Context, as_date, make_finding, person_node

RULE = RULES["PAID_AFTER_DEATH"]


def query(ctx: Context) -> str:
    s = ctx.sql
    # an approval scan on PostgreSQL starts from the run's payees and probes their lines (Context.probes)
    source = (
        f"FROM {ctx.rows_of('person', 'per', 'id', 'persons')}\n" + ctx.lines_of("p", "person_id", "per.id")
        if ctx.probes
        else "FROM payment p\nJOIN person per ON per.id = p.person_id"
    )
    return f"""
SELECT p.id, p.person_id, p.contract_id, p.run_id, p.month, p.kind, p.amount_fen, p.status, p.covered_days,
       p.month_days, per.death_date, po.village_id
{source}
JOIN contract c ON c.id = p.contract_id
JOIN post po ON po.id = c.post_id
WHERE per.death_date IS NOT NULL AND p.status <> 'failed' AND p.amount_fen <> 0
  AND (p.month > {s.month("per.death_date")}
       OR (p.month = {s.month("per.death_date")} AND p.covered_days > {s.day("per.death_date")}))
  {"" if ctx.probes else ctx.only("p.person_id", "persons") + ctx.only("per.id", "persons")}"""


def detect(ctx: Context) -> list:
    by_person = defaultdict(list)
    for r in ctx.q(query(ctx)):
        by_person[r.person_id].append(r)
    persons = ctx.persons(by_person)
    out = []
    for pid, rows in by_person.items():
        p = persons[pid]
        died = as_date(rows[0].death_date)
        lines, key, money = [], [], 0
        for r in sorted(rows, key=lambda r: (r.month, r.id)):
            if r.month == month_of(died):
                stake = (
                    share_at_stake(int(r.amount_fen), r.month_days - died.day, r.month_days)
                    if r.amount_fen > 0
                    else int(r.amount_fen)
                )
            else:
                stake = int(r.amount_fen)
            money += stake
            key.append(f"payment:{r.id}:{r.amount_fen}")
            lines.append(
                {
                    "id": r.id,
                    "contract_id": r.contract_id,
                    "run_id": r.run_id,
                    "month": r.month,
                    "kind": r.kind,
                    "amount_fen": int(r.amount_fen),
                    "status": r.status,
                    "at_stake_fen": stake,
                }
            )
        village = rows[0].village_id
        months = [x["month"] for x in lines]
        evidence = {
            "summary": f"{p['name']}于{died.isoformat()}死亡，"
            f"其后仍有{len(lines)}笔发放（{'、'.join(sorted(set(months)))}），"
            f"涉及金额{yuan(money)}",
            "persons": [person_node(p, "死亡后仍领取补贴")],
            "links": [],
            "facts": [f"死亡日期：{died.isoformat()}"]
            + [
                f"{x['month']} {x['kind']} {yuan(x['amount_fen'])}（{x['status']}），"
                f"死亡后部分{yuan(x['at_stake_fen'])}"
                for x in lines
            ],
            "payments": lines,
            "contracts": sorted({x["contract_id"] for x in lines}),
            "refs": {
                "person": [pid],
                "payment": [x["id"] for x in lines],
                "contract": sorted({x["contract_id"] for x in lines}),
                "payroll_run": sorted({x["run_id"] for x in lines if x["run_id"]}),
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"person:{pid}",
                f"{p['name']}死亡（{died.isoformat()}）后仍发放{yuan(money)}",
                key,
                evidence,
                money_fen=money,
                person_id=pid,
                village_id=village,
                months=months,
            )
        )
    return out
