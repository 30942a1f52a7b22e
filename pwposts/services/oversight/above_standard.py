"""ABOVE_STANDARD 超标准发放: a regular line above min(cap, standard ÷ required × attended) plus the grade's
performance, a month whose lines together (补发 included) exceed cap + performance, or a line whose
standard is above the contract's allowance. A 补发 that stays within the cap is no overpayment."""
from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["ABOVE_STANDARD"]
TOLERANCE_FEN = 1

SQL = """
WITH line AS (
  SELECT p.id, p.contract_id, p.person_id, p.run_id, p.month, p.amount_fen, p.standard_fen, c.allowance_fen,
         (2 * p.standard_fen * p.covered_days + p.month_days) / (2 * p.month_days) AS cap_fen,
         (2 * p.standard_fen * p.attended_days + p.required_days) / (2 * p.required_days) AS rate_fen,
         CASE p.grade WHEN '优秀' THEN c.perf_excellent_fen WHEN '合格' THEN c.perf_pass_fen ELSE 0 END AS perf_fen,
         po.village_id, c.code
  FROM payment p JOIN contract c ON c.id = p.contract_id JOIN post po ON po.id = c.post_id
  WHERE p.kind = 'regular' AND p.status <> 'failed' AND p.required_days > 0 AND p.month_days > 0
),
month_total AS (
  SELECT p.contract_id, p.month, SUM(p.amount_fen) AS total_fen, COUNT(*) AS lines
  FROM payment p WHERE p.status <> 'failed' GROUP BY p.contract_id, p.month
)
SELECT l.*, m.total_fen, m.lines,
       CASE WHEN l.cap_fen < l.rate_fen THEN l.cap_fen ELSE l.rate_fen END + l.perf_fen AS formula_fen,
       l.cap_fen + l.perf_fen AS ceiling_fen
FROM line l JOIN month_total m ON m.contract_id = l.contract_id AND m.month = l.month
WHERE l.amount_fen > CASE WHEN l.cap_fen < l.rate_fen THEN l.cap_fen ELSE l.rate_fen END + l.perf_fen + {tol}
   OR m.total_fen > l.cap_fen + l.perf_fen + {tol}
   OR l.standard_fen > l.allowance_fen""".format(tol=TOLERANCE_FEN)


def detect(ctx: Context) -> list:
    by_contract = defaultdict(list)
    for r in ctx.q(SQL):
        by_contract[r.contract_id].append(r)
    persons = ctx.persons({rows[0].person_id for rows in by_contract.values()})
    pay = ctx.payments_of(contract_ids=by_contract)
    out = []
    for cid, rows in by_contract.items():
        r0 = rows[0]
        p = persons[r0.person_id]
        facts, money, key, months = [], 0, [], []
        for r in sorted(rows, key=lambda r: r.month):
            excess = max(int(r.amount_fen) - int(r.formula_fen), int(r.total_fen) - int(r.ceiling_fen), 0)
            if r.standard_fen > r.allowance_fen:
                facts.append(f"{r.month}：按{yuan(r.standard_fen)}计发，高于合同标准{yuan(r.allowance_fen)}")
            facts.append(f"{r.month}：应发上限{yuan(r.formula_fen)}（封顶{yuan(r.ceiling_fen)}），本行{yuan(r.amount_fen)}，"
                         f"当月合计{r.lines}笔{yuan(r.total_fen)}，超出{yuan(excess)}")
            money += excess
            months.append(r.month)
            key.append(f"month:{cid}:{r.month}:{r.amount_fen}:{r.total_fen}:{r.standard_fen}")
        lines = [x for x in pay.get(p["id"], []) if x["contract_id"] == cid and x["month"] in months]
        evidence = {
            "summary": f"{p['name']}（合同{r0.code}）在{'、'.join(months)}的发放超过按标准计算的金额，合计超发{yuan(money)}",
            "persons": [person_node(p, "岗位人员")], "links": [], "facts": facts, "payments": lines, "contracts": [cid],
            "refs": {"person": [p["id"]], "contract": [cid], "payment": [x["id"] for x in lines],
                     "payroll_run": sorted({x["run_id"] for x in lines if x["run_id"]})},
        }
        out.append(make_finding(ctx, RULE, f"contract:{cid}", f"{p['name']}超标准发放{yuan(money)}", key, evidence,
                                money_fen=money, person_id=p["id"], village_id=r0.village_id, months=months))
    return out
