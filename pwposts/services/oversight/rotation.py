"""ROTATION 轮流坐庄: in a village, two or more households each hold a post, lose it and get it back in a
later year — the posts go round the same families. One household returning once is not a cycle."""

from __future__ import annotations

from collections import defaultdict

from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["ROTATION"]
MIN_HOUSEHOLDS = 2


def query(ctx: Context) -> str:
    s = ctx.sql
    return f"""
SELECT po.village_id, per.household_id, c.id AS cid, c.person_id, {s.year("c.start_on")} AS y1,
       {s.year("COALESCE(c.exit_on, c.end_on)")} AS y2
FROM contract c
JOIN post po ON po.id = c.post_id
JOIN person per ON per.id = c.person_id
WHERE c.status NOT IN ('draft', 'void') AND per.household_id IS NOT NULL"""


def returning(years: set[int]) -> list[int]:
    """The years a household was without a post between two years with one."""
    return [y for y in range(min(years), max(years) + 1) if y not in years]


def detect(ctx: Context) -> list:
    held = defaultdict(lambda: defaultdict(set))  # village -> household -> years
    people = defaultdict(set)
    contracts = defaultdict(set)
    for r in ctx.q(query(ctx)):
        held[r.village_id][r.household_id].update(range(int(r.y1), int(r.y2) + 1))
        people[(r.village_id, r.household_id)].add(r.person_id)
        contracts[(r.village_id, r.household_id)].add(r.cid)
    cases = {}
    for village, households in held.items():
        cycling = {hh: years for hh, years in households.items() if returning(years)}
        if len(cycling) >= MIN_HOUSEHOLDS:
            cases[village] = cycling
    persons = ctx.persons({p for v, cyc in cases.items() for hh in cyc for p in people[(v, hh)]})
    out = []
    for village, cycling in cases.items():
        nodes, facts, key, months = [], [], [], []
        for hh, years in sorted(cycling.items()):
            members = [persons[p] for p in sorted(people[(village, hh)])]
            gaps = returning(years)
            nodes += [person_node(m, "岗位人员") for m in members]
            facts.append(
                f"{'、'.join(m['name'] for m in members)}一户：在岗年份{'、'.join(map(str, sorted(years)))}，"
                f"{'、'.join(map(str, gaps))}年离岗后又返岗"
            )
            key.append(f"household:{hh}:" + ",".join(map(str, sorted(years))))
            months += [f"{min(years)}-01", f"{max(years)}-12"]
        links = []
        for hh in cycling:
            ms = [persons[p] for p in sorted(people[(village, hh)])]
            links += [{"a": ms[0]["id"], "b": m["id"], "label": "同户"} for m in ms[1:]]
        evidence = {
            "summary": (
                f"{ctx.region_name(village)}有{len(cycling)}户岗位人员逐年离岗又返岗，岗位在这几户间轮换"
            ),
            "persons": nodes,
            "links": links,
            "facts": facts,
            "contracts": sorted(c for hh in cycling for c in contracts[(village, hh)]),
            "refs": {
                "person": [n["id"] for n in nodes],
                "contract": sorted(c for hh in cycling for c in contracts[(village, hh)]),
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"village:{village}",
                f"{ctx.region_name(village)}：{len(cycling)}户轮流在岗",
                key,
                evidence,
                village_id=village,
                months=months,
            )
        )
    return out
