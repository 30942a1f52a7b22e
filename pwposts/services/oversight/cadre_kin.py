"""CADRE_KIN 优亲厚友: a holder who is a serving cadre, lives in a serving cadre's household, or is the
cadre's spouse, parent, child, sibling or in-law (儿媳/女婿、公婆/岳父母) while the term overlaps the
contract; also a holder related in the same way to the staff user who signed the contract or approved
a payroll run that paid them (a staff account linked to a person)."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import month_of, yuan
from ...domain.rules import CLOSE_KIN
from ...domain.rules.catalog import RULES
from ._base import Context, as_date, make_finding, person_node, positive

RULE = RULES["CADRE_KIN"]
KINDS = ", ".join(f"'{k}'" for k in CLOSE_KIN)
# Relation stores "relative is the `kind` of person"; read from the holder's side both ways.
INVERSE = {"父母": "子女", "子女": "父母", "儿媳女婿": "公婆岳父母", "公婆岳父母": "儿媳女婿"}

H = "hc.cid, hc.pid, hc.s, hc.e, hc.signed_by_id, hc.village_id"
# rel carries the contract's columns, so the three branches below join it only to indexed tables
# (joining a CTE back to a CTE is a nested loop over two scans on PostgreSQL)
SQL = f"""
WITH hc AS (
  SELECT c.id AS cid, c.person_id AS pid, c.start_on AS s, COALESCE(c.exit_on, c.end_on) AS e,
         c.signed_by_id, po.village_id
  FROM contract c JOIN post po ON po.id = c.post_id
  WHERE c.status NOT IN ('draft', 'void')
),
rel AS (
  SELECT {H}, hc.pid AS kid, '本人' AS kind, 0 AS dir FROM hc
  UNION ALL
  SELECT {H}, pk.id, '同户', 0 FROM hc JOIN person ph ON ph.id = hc.pid
    JOIN person pk ON pk.household_id = ph.household_id AND pk.id <> ph.id
  UNION ALL
  SELECT {H}, r.relative_id, r.kind, 1 FROM hc JOIN relation r ON r.person_id = hc.pid
    WHERE r.kind IN ({KINDS})
  UNION ALL
  SELECT {H}, r.person_id, r.kind, 2 FROM hc JOIN relation r ON r.relative_id = hc.pid
    WHERE r.kind IN ({KINDS})
)
SELECT rel.cid, rel.pid, rel.s, rel.e, rel.village_id, rel.kid, rel.kind, rel.dir, 'cadre' AS src,
  k.id AS ref_id,
       k.office AS label, k.term_start, k.term_end, k.village_id AS official_village
FROM rel
JOIN cadre k ON k.person_id = rel.kid AND k.term_start <= rel.e
  AND (k.term_end IS NULL OR k.term_end >= rel.s)
UNION ALL
SELECT rel.cid, rel.pid, rel.s, rel.e, rel.village_id, rel.kid, rel.kind, rel.dir, 'signer', u.id,
  u.display_name,
       CAST(NULL AS DATE), CAST(NULL AS DATE), u.region_id
FROM rel JOIN user_account u ON u.person_id = rel.kid AND u.id = rel.signed_by_id
UNION ALL
SELECT DISTINCT rel.cid, rel.pid, rel.s, rel.e, rel.village_id, rel.kid, rel.kind, rel.dir, 'approver', u.id,
       u.display_name, CAST(NULL AS DATE), CAST(NULL AS DATE), u.region_id
FROM rel JOIN user_account u ON u.person_id = rel.kid
JOIN payroll_run pr ON pr.approved_by_id = u.id
JOIN payment p ON p.run_id = pr.id AND p.contract_id = rel.cid"""

SRC_LABELS = {"cadre": "村干部", "signer": "签订其合同的工作人员", "approver": "审批其补贴发放的工作人员"}


def _kin_label(kind: str, direction: int) -> str:
    """The official's relation to the holder, in words."""
    k = INVERSE.get(kind, kind) if direction == 2 else kind
    return {"儿媳女婿": "儿媳/女婿", "公婆岳父母": "公婆/岳父母"}.get(k, k)


def detect(ctx: Context) -> list:
    by_holder = defaultdict(list)
    for r in ctx.q(SQL):
        by_holder[r.pid].append(r)
    pids = set(by_holder) | {r.kid for rows in by_holder.values() for r in rows}
    persons = ctx.persons(pids)
    cids = {r.cid for rows in by_holder.values() for r in rows}
    contracts = ctx.contracts(cids)
    pay = ctx.payments_of(contract_ids=cids)
    out = []
    for pid, rows in by_holder.items():
        p = persons[pid]
        named = {(r.src, r.ref_id, r.kid, r.cid) for r in rows if r.kind != "同户"}
        rows = [r for r in rows if r.kind != "同户" or (r.src, r.ref_id, r.kid, r.cid) not in named]
        nodes = {pid: person_node(p, "岗位人员")}
        links, facts, terms, key, windows = [], [], [], [], []
        for r in sorted(rows, key=lambda r: (r.src, r.ref_id, r.cid)):
            official = persons[r.kid]
            rel = _kin_label(r.kind, r.dir)
            role = (
                f"{r.label}（{SRC_LABELS[r.src]}）" if r.src == "cadre" else f"{SRC_LABELS[r.src]}：{r.label}"
            )
            if r.kid != pid:
                nodes.setdefault(r.kid, person_node(official, role))
                links.append(
                    {
                        "a": r.kid,
                        "b": pid,
                        "label": "同户" if r.kind == "同户" else f"{official['name']}是其{rel}",
                    }
                )
            c = contracts[r.cid]
            s, e = as_date(r.s), as_date(r.e)
            if r.src == "cadre":
                ts, te = as_date(r.term_start), as_date(r.term_end)
                terms.append(
                    {
                        "id": r.ref_id,
                        "person_id": r.kid,
                        "name": official["name"],
                        "office": r.label,
                        "village": ctx.region_name(r.official_village),
                        "term_start": ts.isoformat(),
                        "term_end": te.isoformat() if te else None,
                    }
                )
                who = "本人" if r.kind == "本人" else f"其{rel}{official['name']}"
                facts.append(
                    f"{who}任{ctx.region_name(r.official_village)}{r.label}（{ts.isoformat()} 至 "
                    f"{te.isoformat() if te else '今'}），与合同{c['code']}（{c['start_on']} 至 {r.e}）重叠"
                )
                windows.append((r.cid, month_of(max(s, ts)), month_of(min(e, te or e))))
            else:
                facts.append(
                    f"{SRC_LABELS[r.src]}{r.label}（关联人员{official['name']}）是其"
                    f"{'本人' if r.kind == '本人' else rel}，涉及合同{c['code']}"
                )
                windows.append((r.cid, month_of(s), month_of(e)))
            key.append(f"{r.src}:{r.ref_id}:{r.kid}:{r.kind}:contract:{r.cid}")
        lines = [
            x
            for x in positive(pay.get(pid, []))
            if any(x["contract_id"] == cid and a <= x["month"] <= b for cid, a, b in windows)
        ]
        money = sum(x["amount_fen"] for x in lines)
        names = "、".join(sorted({n["name"] for i, n in nodes.items() if i != pid})) or "本人"
        evidence = {
            "summary": f"{p['name']}在岗期间，{names}为在任村干部或审批人员，且为其本人或家庭成员；"
            f"重叠期间领取补贴{yuan(money)}",
            "persons": list(nodes.values()),
            "links": links,
            "facts": facts,
            "cadre_terms": terms,
            "contracts": sorted(cids & {r.cid for r in rows}),
            "payments": lines,
            "refs": {
                "person": sorted(nodes),
                "contract": sorted({r.cid for r in rows}),
                "cadre": sorted({t["id"] for t in terms}),
                "payment": [x["id"] for x in lines],
            },
        }
        village = rows[0].village_id
        months = [w[1] for w in windows] + [w[2] for w in windows]
        title = (
            f"{p['name']}与在任村干部/审批人员{names}为家庭成员"
            if names != "本人"
            else f"{p['name']}本人任村干部或审批人员期间在岗"
        )
        out.append(
            make_finding(
                ctx,
                RULE,
                f"person:{pid}",
                title,
                key,
                evidence,
                money_fen=money,
                person_id=pid,
                village_id=village,
                months=months,
            )
        )
    return out
