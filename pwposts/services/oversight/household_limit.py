"""HOUSEHOLD_LIMIT 一户多岗: on a hire date, more holders in the household than the county allows."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ...domain.formats import month_of
from ...domain.rules.catalog import RULES
from ...domain.settings import value_on
from ...models.policy import CountySetting
from ._base import Context, as_date, make_finding, person_node

RULE = RULES["HOUSEHOLD_LIMIT"]

SQL = """
SELECT c.id AS cid, c.person_id, c.start_on, per.household_id, c2.id AS other_cid, c2.person_id AS other_pid,
       po.village_id
FROM contract c
JOIN person per ON per.id = c.person_id
JOIN post po ON po.id = c.post_id
JOIN person per2 ON per2.household_id = per.household_id AND per2.id <> per.id
JOIN contract c2 ON c2.person_id = per2.id AND c2.status NOT IN ('draft', 'void')
                AND c2.start_on <= c.start_on AND COALESCE(c2.exit_on, c2.end_on) >= c.start_on
WHERE c.status NOT IN ('draft', 'void') AND per.household_id IS NOT NULL"""


def detect(ctx: Context) -> list:
    rows = ctx.q(SQL)
    if not rows:
        return []
    settings = ctx.session.execute(
        select(CountySetting.key, CountySetting.value, CountySetting.effective_from).where(
            CountySetting.key == "household_post_limit"
        )
    ).all()
    at_start = defaultdict(lambda: {"others": set(), "contracts": set()})
    for r in rows:
        e = at_start[(r.household_id, r.cid)]
        e.update(person=r.person_id, start=as_date(r.start_on), village=r.village_id)
        e["others"].add(r.other_pid)
        e["contracts"].add(r.other_cid)
    by_household = defaultdict(list)
    for (hh, cid), e in at_start.items():
        limit = int(value_on(settings, "household_post_limit", e["start"]))
        if 1 + len(e["others"]) > limit:
            by_household[hh].append((cid, e, limit))
    pids = {e["person"] for v in by_household.values() for _, e, _ in v} | {
        o for v in by_household.values() for _, e, _ in v for o in e["others"]
    }
    persons = ctx.persons(pids)
    contracts = ctx.contracts(
        {cid for v in by_household.values() for cid, e, _ in v}
        | {c for v in by_household.values() for _, e, _ in v for c in e["contracts"]}
    )
    out = []
    for hh, cases in by_household.items():
        members = sorted(
            {cases[0][1]["person"]}
            | {e["person"] for _, e, _ in cases}
            | {o for _, e, _ in cases for o in e["others"]}
        )
        people = [persons[i] for i in members]
        cids = sorted({cid for cid, _, _ in cases} | {c for _, e, _ in cases for c in e["contracts"]})
        limit = cases[0][2]
        evidence = {
            "summary": f"同一户（户编号ID {hh}）"
            f"{len(people)}人同时在岗（{'、'.join(p['name'] for p in people)}），"
            f"超过每户{limit}人的上限",
            "persons": [person_node(p, "岗位人员") for p in people],
            "links": [{"a": people[0]["id"], "b": p["id"], "label": "同户"} for p in people[1:]],
            "facts": [
                f"{contracts[c]['code']} {persons[contracts[c]['person_id']]['name']}："
                f"{contracts[c]['post']}，"
                f"{contracts[c]['start_on']} 至 {contracts[c]['exit_on'] or contracts[c]['end_on']}"
                for c in cids
            ],
            "contracts": cids,
            "refs": {"person": members, "contract": cids},
        }
        starts = [month_of(e["start"]) for _, e, _ in cases]
        out.append(
            make_finding(
                ctx,
                RULE,
                f"household:{hh}",
                f"一户{len(people)}人同时在岗（{'、'.join(p['name'] for p in people)}）",
                [f"contract:{c}" for c in cids],
                evidence,
                person_id=cases[0][1]["person"],
                village_id=cases[0][1]["village"],
                months=starts,
            )
        )
    return out
