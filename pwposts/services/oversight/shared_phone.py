"""SHARED_PHONE 代管 (weak): one phone number on persons of two or more households, at least one a holder.
A couple of one household sharing a phone is one household and never a flag."""

from __future__ import annotations

from collections import defaultdict

from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node

RULE = RULES["SHARED_PHONE"]

SQL = """
SELECT per.phone, per.id AS person_id, per.household_id,
       EXISTS (SELECT 1 FROM contract c WHERE c.person_id = per.id AND c.status NOT IN ('draft',
         'void')) AS is_holder,
       EXISTS (SELECT 1 FROM cadre k WHERE k.person_id = per.id) AS is_cadre
FROM person per
WHERE per.phone IN (SELECT phone FROM person WHERE phone IS NOT NULL AND phone <> '' GROUP BY phone
                    HAVING COUNT(DISTINCT COALESCE(household_id, -id)) > 1)"""


def detect(ctx: Context) -> list:
    groups = defaultdict(list)
    for r in ctx.q(SQL):
        groups[r.phone].append(r)
    groups = {ph: rows for ph, rows in groups.items() if any(r.is_holder for r in rows)}
    persons = ctx.persons({r.person_id for rows in groups.values() for r in rows})
    out = []
    for phone, rows in groups.items():
        people = [persons[r.person_id] for r in rows]
        role = {
            r.person_id: "村干部" if r.is_cadre else ("岗位人员" if r.is_holder else "同号人员") for r in rows
        }
        households = {r.household_id or -r.person_id for r in rows}
        hub = next((p for p in people if role[p["id"]] == "村干部"), people[0])
        holder = persons[min(r.person_id for r in rows if r.is_holder)]
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else phone
        evidence = {
            "summary": (
                f"手机号{masked}登记在{len(households)}户{len(people)}人名下"
                f"（{'、'.join(p['name'] for p in people)}）。此规则仅作佐证，须结合账户、考勤等证据核实。"
            ),
            "persons": [person_node(p, role[p["id"]]) for p in people],
            "links": [{"a": hub["id"], "b": p["id"], "label": "同一电话"} for p in people if p is not hub],
            "facts": [f"{p['name']}（{p['village']}，{role[p['id']]}）" for p in people],
            "refs": {"person": [p["id"] for p in people]},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"phone:{phone}",
                f"手机号{masked}共用于{len(households)}户{len(people)}人",
                [f"person:{p['id']}" for p in people],
                evidence,
                person_id=holder["id"],
                village_id=holder["village_id"],
            )
        )
    return out
