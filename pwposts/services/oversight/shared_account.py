"""SHARED_ACCOUNT 代领/截留: one account on several persons (at least one a holder), or a holder whose
account (on the person or on a payment line) is in another person's name."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.rules.catalog import RULES
from ._base import Context, make_finding, person_node, positive

RULE = RULES["SHARED_ACCOUNT"]

HOLDER = "EXISTS (SELECT 1 FROM contract c WHERE c.person_id = {col} AND c.status NOT IN ('draft', 'void'))"
# The same test as a scalar subquery (never hashed): for the shared accounts' few persons PostgreSQL made
# the EXISTS a hashed subplan over every live contract (a seq scan of 16,882 rows, 4.8 ms a statement at
# 50,000 persons); LIMIT 1 probes ix_contract_person_id once per person
HOLDER_PROBE = (
    "(SELECT 1 FROM contract c WHERE c.person_id = {col} AND c.status NOT IN ('draft', 'void') LIMIT 1)"
    " IS NOT NULL"
)


def query(ctx: Context) -> str:
    """Accounts on several persons and holders paid to another name; in an approval scan, only the run's
    accounts and payees (an account's every person and line is still read)."""
    return SQL.format(
        persons=ctx.rows_of("person", "pa", "account_no", "accounts"),
        payments=ctx.rows_of("payment", "pp", "account_no", "accounts"),
        payees=ctx.rows_of("payment", "p", "person_id", "persons"),
        holders=ctx.rows_of("person", "per", "id", "persons"),
        # on PostgreSQL the probes (rows_of) already keep only the run's accounts and payees: the same set
        # again as `= ANY(…)` filters was a second copy of each array to plan (the 1,000-element arrays,
        # four times: 8.5 of the statement's planning ms at 50,000 persons) and to test on every row
        accounts="" if ctx.probes else ctx.only("account_no", "accounts"),
        person="" if ctx.probes else ctx.only("per.id", "persons"),
        payee="" if ctx.probes else ctx.only("p.person_id", "persons"),
        # the payees' lines are probed by person on PostgreSQL: a second `per.id = ANY(…)` would be an
        # index condition evaluated (the array sorted) once per line, 12 ms a statement at 50,000 persons
        payee_person="" if ctx.probes else ctx.only("per.id", "persons"),
    )


SQL = f"""
WITH acc AS (
  SELECT account_no AS acct, id AS person_id FROM {{persons}}
  WHERE account_no IS NOT NULL AND account_no <> ''{{accounts}}
  UNION
  SELECT account_no, person_id FROM {{payments}} WHERE account_no IS NOT NULL AND amount_fen > 0{{accounts}}
)
SELECT 'shared' AS kind, a.acct, a.person_id, CAST(NULL AS VARCHAR(50)) AS account_name,
       CASE WHEN {HOLDER_PROBE.format(col="a.person_id")} THEN 1 ELSE 0 END AS is_holder
FROM acc a
WHERE a.acct IN (SELECT acct FROM acc GROUP BY acct HAVING COUNT(DISTINCT person_id) > 1)
UNION ALL
SELECT 'name', x.acct, x.person_id, x.account_name, 1 FROM (
  SELECT per.account_no AS acct, per.id AS person_id, per.account_name, per.name
  FROM {{holders}} WHERE per.account_name IS NOT NULL AND {HOLDER.format(col="per.id")}{{person}}
  UNION
  SELECT p.account_no, p.person_id, p.account_name, per.name
  FROM {{payees}} JOIN person per ON per.id = p.person_id
  WHERE p.account_name IS NOT NULL AND p.amount_fen > 0{{payee}}{{payee_person}}
) x
WHERE REPLACE(REPLACE(TRIM(x.account_name), ' ', ''), '　', '') <> x.name"""


def _mask(acct: str | None) -> str:
    return ("****" + acct[-4:]) if acct else ""


def detect(ctx: Context) -> list:
    shared, named = defaultdict(dict), defaultdict(set)
    for r in ctx.q(query(ctx)):
        if r.kind == "shared":
            shared[r.acct][r.person_id] = bool(r.is_holder)
        else:
            named[r.person_id].add((r.acct, r.account_name))
    shared = {a: ps for a, ps in shared.items() if any(ps.values())}
    pids = {pid for ps in shared.values() for pid in ps} | set(named)
    persons = ctx.persons(pids)
    pay = ctx.payments_of(person_ids=pids)
    out = []
    for acct, members in shared.items():
        people = [persons[i] for i in sorted(members)]
        lines = [x for i in members for x in positive(pay.get(i, [])) if x["account_no"] == acct]
        money = sum(x["amount_fen"] for x in lines)
        owner = next(
            (p for p in people if p["account_no"] == acct and (p["account_name"] or "") == p["name"]), None
        )
        nodes = [
            person_node(
                p, ("账户本人" if p is owner else "") + ("岗位人员" if members[p["id"]] else "") or "同一账户"
            )
            for p in people
        ]
        hub = owner or people[0]
        evidence = {
            "summary": f"账户{_mask(acct)}登记或收款于{len(people)}人名下："
            f"{'、'.join(p['name'] for p in people)}，"
            f"经此账户发放{yuan(money)}",
            "persons": nodes,
            "links": [{"a": hub["id"], "b": p["id"], "label": "同一账户"} for p in people if p is not hub],
            "facts": [
                f"{p['name']}（{p['village']}）：登记账户{_mask(p['account_no'])}，"
                f"开户人{p['account_name'] or '—'}"
                for p in people
            ],
            "payments": lines,
            "refs": {"person": [p["id"] for p in people], "payment": [x["id"] for x in lines]},
        }
        holder = next((p for p in people if members[p["id"]]), people[0])
        out.append(
            make_finding(
                ctx,
                RULE,
                f"account:{acct}",
                f"账户{_mask(acct)}收取{len(people)}人补贴（{'、'.join(p['name'] for p in people[:4])}）",
                [f"person:{i}" for i in members] + [f"payment:{x['id']}:{x['amount_fen']}" for x in lines],
                evidence,
                money_fen=money,
                person_id=holder["id"],
                village_id=holder["village_id"],
                months=[x["month"] for x in lines],
            )
        )
    for pid, accounts in named.items():
        p = persons[pid]
        accts = {a for a, _ in accounts}
        lines = [
            x
            for x in positive(pay.get(pid, []))
            if x["account_no"] in accts and (x["account_name"] or "").replace(" ", "") != p["name"]
        ]
        money = sum(x["amount_fen"] for x in lines)
        names = sorted({n for _, n in accounts})
        evidence = {
            "summary": (
                f"岗位人员{p['name']}的账户开户人为“{'、'.join(names)}”，不是本人；经此账户发放{yuan(money)}"
            ),
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": [f"账户{_mask(a)}，开户人“{n}”" for a, n in sorted(accounts, key=str)],
            "payments": lines,
            "refs": {"person": [pid], "payment": [x["id"] for x in lines]},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"account_name:{pid}",
                f"{p['name']}的补贴发放到他人名下账户（{'、'.join(names)}）",
                [f"name:{a}:{n}" for a, n in sorted(accounts, key=str)]
                + [f"payment:{x['id']}:{x['amount_fen']}" for x in lines],
                evidence,
                money_fen=money,
                person_id=pid,
                village_id=p["village_id"],
                months=[x["month"] for x in lines],
            )
        )
    return out
