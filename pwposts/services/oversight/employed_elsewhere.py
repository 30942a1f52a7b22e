"""EMPLOYED_ELSEWHERE 吃空饷: paid for a month in which imported social-insurance records show the holder
in full-time employment elsewhere. Part-time records and employment outside the paid months are not flags."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, as_date, make_finding, person_node

RULE = RULES["EMPLOYED_ELSEWHERE"]


FROM_PAYMENTS = """FROM payment p
JOIN person per ON per.id = p.person_id
JOIN employment_record e ON e.id_number = per.id_number AND e.full_time = :t"""
# An approval scan on PostgreSQL starts from the full-time records (a few per township), finds their
# persons by id number and probes the lines of the run's payees among them (LATERAL: one index probe
# each); with the payees' lines as `person_id = ANY(…)` PostgreSQL read every payment line, and with
# `per.id = ANY(…)` every person (see Context.rows_of).
FROM_RECORDS = """FROM (SELECT * FROM employment_record WHERE full_time = :t) e
CROSS JOIN LATERAL (SELECT * FROM person pe WHERE pe.id_number = e.id_number OFFSET 0) per
CROSS JOIN LATERAL (SELECT * FROM payment pl WHERE pl.person_id = per.id OFFSET 0) p"""


# An approval scan on SQLite starts from the run's payees (the order forced by CROSS JOIN) and probes the
# full-time records of each person once, then the lines of the few who have one: from the payees' lines it
# probed the records once per line (1.3 -> 0.4 ms for a 727-line township at 50,000 persons). The persons
# come in the same order, and for each its records and lines in their index orders (record within line
# before, line within record now), so detect() builds the same evidence: jobs in record order, lines
# sorted, the first row's line the person's first line either way.
FROM_PERSONS = """FROM person per
CROSS JOIN employment_record e ON e.id_number = per.id_number AND e.full_time = :t
CROSS JOIN payment p ON p.person_id = per.id"""


def query(ctx: Context) -> str:
    s = ctx.sql
    if ctx.subjects is None:
        source = FROM_PAYMENTS
    else:
        source = FROM_RECORDS if s.pg else FROM_PERSONS
    return f"""
SELECT p.id, p.person_id, p.contract_id, p.run_id, p.month, p.kind, p.amount_fen, p.status, po.village_id,
       e.id AS eid, e.employer, e.start_on, e.end_on, e.source
{source}
JOIN contract c ON c.id = p.contract_id
JOIN post po ON po.id = c.post_id
WHERE p.amount_fen > 0 AND p.status <> 'failed'
  AND {s.month("e.start_on")} <= p.month AND (e.end_on IS NULL OR {s.month("e.end_on")} >= p.month)
  {ctx.only("p.person_id", "persons")}{ctx.only("per.id", "persons")}"""


def detect(ctx: Context) -> list:
    by_person = defaultdict(list)
    for r in ctx.q(query(ctx), t=True):
        by_person[r.person_id].append(r)
    persons = ctx.persons(by_person)
    out = []
    for pid, rows in by_person.items():
        p = persons[pid]
        jobs = {r.eid: r for r in rows}
        seen, lines = set(), []
        for r in sorted(rows, key=lambda r: (r.month, r.id)):
            if r.id not in seen:
                seen.add(r.id)
                lines.append(
                    {
                        "id": r.id,
                        "contract_id": r.contract_id,
                        "run_id": r.run_id,
                        "month": r.month,
                        "kind": r.kind,
                        "amount_fen": int(r.amount_fen),
                        "status": r.status,
                    }
                )
        money = sum(x["amount_fen"] for x in lines)
        facts = [
            f"参保记录：{j.employer}，全日制，{as_date(j.start_on).isoformat()} 至 "
            f"{as_date(j.end_on).isoformat() if j.end_on else '今'}（来源：{j.source or '导入'}）"
            for j in jobs.values()
        ]
        facts += [f"{x['month']} 领取{yuan(x['amount_fen'])}" for x in lines]
        evidence = {
            "summary": (
                f"{p['name']}在{'、'.join(j.employer for j in jobs.values())}"
                f"全日制就业期间领取补贴{len(lines)}笔，合计{yuan(money)}"
            ),
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": facts,
            "payments": lines,
            "employment": [
                {
                    "id": j.eid,
                    "employer": j.employer,
                    "start_on": as_date(j.start_on).isoformat(),
                    "end_on": as_date(j.end_on).isoformat() if j.end_on else None,
                }
                for j in jobs.values()
            ],
            "refs": {"person": [pid], "payment": [x["id"] for x in lines], "employment_record": sorted(jobs)},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"person:{pid}",
                f"{p['name']}在外全职就业期间领取{yuan(money)}",
                [f"employment:{e}" for e in jobs] + [f"payment:{x['id']}:{x['amount_fen']}" for x in lines],
                evidence,
                money_fen=money,
                person_id=pid,
                village_id=rows[0].village_id,
                months=[x["month"] for x in lines],
            )
        )
    return out
