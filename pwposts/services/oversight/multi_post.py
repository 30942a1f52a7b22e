"""MULTI_POST 一人多岗: one ID number holding two posts in overlapping periods.

Today the posts compared are this system's own contracts. IMPORTED ROSTERS JOIN HERE: when other
departments' post rosters are imported (issue 13), add their rows to the `held` CTE below as
(id_number, source, ref_id, title, start_on, last_day) and they are compared with the same query.
"""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import month_of
from ...domain.rules.catalog import RULES
from ._base import Context, as_date, make_finding, person_node, positive

RULE = RULES["MULTI_POST"]

OWN_POSTS = """
  SELECT per.id_number, 'contract' AS source, c.id AS ref_id, po.title, c.start_on,
         COALESCE(c.exit_on, c.end_on) AS last_day
  FROM contract c JOIN person per ON per.id = c.person_id JOIN post po ON po.id = c.post_id
  WHERE c.status NOT IN ('draft', 'void')"""
# IMPORTED ROSTERS JOIN HERE (issue 13): e.g. "UNION ALL SELECT id_number, 'roster', id, department ||
# post_title, start_on, COALESCE(end_on, '9999-12-31') FROM imported_post_roster"
OTHER_ROSTERS = ""

SQL = f"""
WITH held AS ({OWN_POSTS}{OTHER_ROSTERS})
SELECT h1.id_number, h1.source AS s1, h1.ref_id AS r1, h1.title AS t1, h1.start_on AS a1, h1.last_day AS b1,
       h2.source AS s2, h2.ref_id AS r2, h2.title AS t2, h2.start_on AS a2, h2.last_day AS b2,
       per.id AS person_id, per.village_id
FROM held h1
JOIN held h2 ON h2.id_number = h1.id_number AND (h1.source < h2.source OR (h1.source = h2.source
  AND h1.ref_id < h2.ref_id))
JOIN person per ON per.id_number = h1.id_number
WHERE h1.start_on <= h2.last_day AND h2.start_on <= h1.last_day"""


def detect(ctx: Context) -> list:
    pairs = defaultdict(list)
    for r in ctx.q(SQL):
        pairs[r.person_id].append(r)
    persons = ctx.persons(pairs)
    contract_ids = {r.r1 for rows in pairs.values() for r in rows if r.s1 == "contract"} | {
        r.r2 for rows in pairs.values() for r in rows if r.s2 == "contract"
    }
    contracts = ctx.contracts(contract_ids)
    pay = ctx.payments_of(contract_ids=contract_ids)
    out = []
    for pid, rows in pairs.items():
        p = persons[pid]
        held = {}
        for r in rows:
            for s, ref, t, a, b in ((r.s1, r.r1, r.t1, r.a1, r.b1), (r.s2, r.r2, r.t2, r.a2, r.b2)):
                held[(s, ref)] = (t, as_date(a), as_date(b))
        start = max(min(v[1] for v in held.values()), max(v[1] for v in held.values()))
        end = min(v[2] for v in held.values())
        overlap_months = (month_of(start), month_of(max(start, end)))
        lines = [
            x for x in positive(pay.get(pid, [])) if overlap_months[0] <= x["month"] <= overlap_months[1]
        ]
        # money at stake: what the later-starting posts paid during the overlap
        first = min(held, key=lambda k: held[k][1])
        money = sum(x["amount_fen"] for x in lines if ("contract", x["contract_id"]) != first)
        evidence = {
            "summary": f"{p['name']}同时持有{len(held)}个岗位："
            + "；".join(f"{t}（{a.isoformat()} 至 {b.isoformat()}）" for t, a, b in held.values()),
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": [
                f"{'本系统合同' if s == 'contract' else '导入名册'} "
                f"{contracts.get(ref, {}).get('code', ref)}："
                f"{t}，{a.isoformat()} 至 {b.isoformat()}"
                for (s, ref), (t, a, b) in held.items()
            ],
            "contracts": [ref for s, ref in held if s == "contract"],
            "payments": lines,
            "refs": {
                "person": [pid],
                "contract": [ref for s, ref in held if s == "contract"],
                "payment": [x["id"] for x in lines],
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"person:{pid}",
                f"{p['name']}一人持有{len(held)}个岗位",
                sorted(f"{s}:{ref}" for s, ref in held),
                evidence,
                money_fen=money,
                person_id=pid,
                village_id=p["village_id"],
                months=overlap_months,
            )
        )
    return out
