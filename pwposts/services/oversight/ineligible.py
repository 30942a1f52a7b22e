"""INELIGIBLE 人岗不符: on the contract's start date the holder was in no eligible category (大龄 judged
from the birth date), under 16, over the county's age cap,
or outside the categories the post's fund may pay."""

from __future__ import annotations

from sqlalchemy import select

from ...domain.formats import month_of, yuan
from ...domain.people import is_older_worker
from ...domain.rules.catalog import RULES
from ...domain.settings import value_on
from ...models.policy import CountySetting
from ._base import Context, as_date, make_finding, person_node, positive

RULE = RULES["INELIGIBLE"]
MIN_AGE = 16


def query(ctx: Context) -> str:
    s = ctx.sql
    covering = (
        "pc.person_id = c.person_id AND pc.start_on <= c.start_on "
        "AND (pc.end_on IS NULL OR pc.end_on >= c.start_on)"
    )
    return f"""
SELECT * FROM (
  SELECT c.id AS cid, c.code, c.person_id, c.start_on, per.birth_date, per.sex, po.village_id, po.title,
         f.name AS fund_name, f.restricts_categories,
         ({s.ymd("c.start_on")} - {s.ymd("per.birth_date")}) / 10000 AS age,
         (SELECT COUNT(*) FROM person_category pc WHERE {covering} AND pc.category <> '大龄') AS cats,
         (SELECT COUNT(*) FROM person_category pc JOIN fund_category fc ON fc.fund_id = po.fund_id
            AND fc.category = pc.category WHERE {covering}) AS fund_cats,
         (SELECT COUNT(*) FROM fund_category fc WHERE fc.fund_id = po.fund_id
           AND fc.category = '大龄') AS fund_older
  FROM contract c JOIN person per ON per.id = c.person_id JOIN post po ON po.id = c.post_id
  JOIN fund f ON f.id = po.fund_id
  WHERE c.status NOT IN ('draft', 'void')
) x
WHERE x.cats = 0 OR x.age < {MIN_AGE} OR x.age > :cap OR (x.restricts_categories = :t AND x.fund_cats = 0)"""


def detect(ctx: Context) -> list:
    settings = ctx.session.execute(
        select(CountySetting.key, CountySetting.value, CountySetting.effective_from).where(
            CountySetting.key == "age_cap"
        )
    ).all()
    caps = [int(v) for _, v, _ in settings if v] + [int(value_on(settings, "age_cap", ctx.today) or 200)]
    rows = ctx.q(query(ctx), cap=min(caps), t=True)
    persons = ctx.persons({r.person_id for r in rows})
    pay = ctx.payments_of(contract_ids={r.cid for r in rows})
    out = []
    for r in rows:
        start, born = as_date(r.start_on), as_date(r.birth_date)
        cap = value_on(settings, "age_cap", start)
        older = is_older_worker(r.sex, born, start)
        reasons = []
        if r.cats == 0 and not older:
            reasons.append(f"聘用日{start.isoformat()}不属于任何帮扶类别")
        if r.age < MIN_AGE:
            reasons.append(f"聘用日未满{MIN_AGE}周岁（{r.age}岁）")
        if cap and r.age > int(cap):
            reasons.append(f"聘用日{r.age}岁，超过县定年龄上限{cap}岁")
        if r.restricts_categories and r.fund_cats == 0 and not (older and r.fund_older):
            reasons.append(f"资金“{r.fund_name}”限定支付类别，本人聘用日不属于该类别")
        if not reasons:
            continue
        p = persons[r.person_id]
        lines = [x for x in positive(pay.get(r.person_id, [])) if x["contract_id"] == r.cid]
        money = sum(x["amount_fen"] for x in lines)
        evidence = {
            "summary": f"{p['name']}（合同{r.code}，{r.title}）："
            + "；".join(reasons)
            + f"；已领取{yuan(money)}",
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": reasons,
            "payments": lines,
            "contracts": [r.cid],
            "refs": {"person": [p["id"]], "contract": [r.cid], "payment": [x["id"] for x in lines]},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"contract:{r.cid}",
                f"{p['name']}不符合聘用条件：{reasons[0]}",
                [f"contract:{r.cid}"] + reasons,
                evidence,
                money_fen=money,
                person_id=p["id"],
                village_id=r.village_id,
                months=[month_of(start)] + [x["month"] for x in lines],
            )
        )
    return out
