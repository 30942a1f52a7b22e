"""FUND_OVERRUN 挤占挪用: payments charged to a fund beyond its allocation, or by a fund restricted to some
categories (光伏收益) to a person not in them in the paid month."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["FUND_OVERRUN"]


# An upper bound of a fund's use, summed from ix_payment_fund_run alone (no payment rows read): a fund
# whose positive lines stay within its allocation cannot be over it, and its lines are not read (an
# approval scan would otherwise read every line of the run's funds).
MAY_OVERRUN = """
  AND (SELECT SUM(CASE WHEN x.amount_fen > 0 THEN x.amount_fen ELSE 0 END) FROM payment x
       WHERE x.fund_id = f.id) > f.allocation_fen"""


def query(ctx: Context) -> str:
    """Funds over their allocation and lines outside a restricted fund's categories; in an approval scan,
    the run's funds (a fund's every line is summed) and its payees' lines by those funds (+p.fund_id:
    SQLite then starts from the payees' lines, not from every line of the funds)."""
    s = ctx.sql
    return f"""
SELECT 'overrun' AS kind, f.id AS fund_id, f.name, f.year, f.allocation_fen, SUM(p.amount_fen) AS amount_fen,
       CAST(NULL AS INTEGER) AS person_id, CAST(NULL AS INTEGER) AS payment_id,
         CAST(NULL AS VARCHAR(7)) AS month,
       CAST(NULL AS INTEGER) AS village_id
FROM fund f JOIN payment p ON p.fund_id = f.id AND p.status <> 'failed'
WHERE 1 = 1{ctx.only("f.id", "funds")}{MAY_OVERRUN}
GROUP BY f.id, f.name, f.year, f.allocation_fen
HAVING SUM(p.amount_fen) > f.allocation_fen
UNION ALL
SELECT 'category', f.id, f.name, f.year, f.allocation_fen, p.amount_fen, p.person_id, p.id, p.month,
  po.village_id
FROM {ctx.rows_of("payment", "p", "person_id", "persons")}
JOIN fund f ON f.id = p.fund_id AND f.restricts_categories = :t
JOIN contract c ON c.id = p.contract_id JOIN post po ON po.id = c.post_id
WHERE p.amount_fen > 0 AND p.status <> 'failed'{ctx.only("+p.fund_id", "funds")}
  {"" if ctx.probes else ctx.only("p.person_id", "persons")}
  AND NOT EXISTS (SELECT 1 FROM person_category pc JOIN fund_category fc ON fc.fund_id = f.id
    AND fc.category = pc.category
                  WHERE pc.person_id = p.person_id AND {s.month("pc.start_on")} <= p.month
                    AND (pc.end_on IS NULL OR {s.month("pc.end_on")} >= p.month))"""


def detect(ctx: Context) -> list:
    rows = ctx.q(query(ctx), t=True)
    out = []
    wrong = defaultdict(list)
    for r in rows:
        if r.kind == "overrun":
            over = int(r.amount_fen) - int(r.allocation_fen)
            evidence = {
                "summary": f"资金“{r.name}”（{r.year}年）拨款{yuan(r.allocation_fen)}，"
                f"已计入发放{yuan(r.amount_fen)}，"
                f"超出{yuan(over)}",
                "persons": [],
                "links": [],
                "facts": [f"年度拨款{yuan(r.allocation_fen)}", f"已发放合计{yuan(r.amount_fen)}"],
                "refs": {"fund": [r.fund_id]},
            }
            out.append(
                make_finding(
                    ctx,
                    RULE,
                    f"fund:{r.fund_id}",
                    f"资金“{r.name}”{r.year}年超拨款额度{yuan(over)}",
                    [f"fund:{r.fund_id}:{r.allocation_fen}:{r.amount_fen}"],
                    evidence,
                    money_fen=over,
                    months=[f"{r.year}-01", f"{r.year}-12"],
                )
            )
        else:
            wrong[(r.fund_id, r.person_id)].append(r)
    persons = ctx.persons({pid for _, pid in wrong})
    for (fund_id, pid), lines in wrong.items():
        p, r0 = persons[pid], lines[0]
        money = sum(int(x.amount_fen) for x in lines)
        evidence = {
            "summary": (
                f"限定类别的资金“{r0.name}”向{p['name']}支付{len(lines)}笔共{yuan(money)}，"
                "本人在发放月份不属于该资金可支付的类别"
            ),
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": [f"{x.month} 由“{x.name}”支付{yuan(x.amount_fen)}" for x in lines],
            "payments": [
                {
                    "id": x.payment_id,
                    "month": x.month,
                    "amount_fen": int(x.amount_fen),
                    "kind": "",
                    "status": "",
                }
                for x in lines
            ],
            "refs": {"person": [pid], "fund": [fund_id], "payment": [x.payment_id for x in lines]},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"fund:{fund_id}:person:{pid}",
                f"资金“{r0.name}”超范围支付给{p['name']}{yuan(money)}",
                [f"payment:{x.payment_id}:{x.amount_fen}" for x in lines],
                evidence,
                money_fen=money,
                person_id=pid,
                village_id=r0.village_id,
                months=[x.month for x in lines],
            )
        )
    return out
