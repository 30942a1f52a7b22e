"""ARREARS 拖欠: an approved payroll run with lines still unpaid (pending, or failed and not resent) more
than the county's limit (default 30 days) after approval; and a township-month whose first approved run is
older than the limit where fewer people were paid than payable contracts cover the month (roster count ≠
paid count, 嘉禾: 91 listed, 43 paid)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from ...domain.formats import month_heading, yuan
from ...domain.payroll import PAYABLE_CONTRACT_STATES
from ...domain.rules.catalog import RULES
from ...services.settings import int_setting
from ._base import Context, as_date, make_finding, person_node

RULE = RULES["ARREARS"]

SQL = """
SELECT pr.id, pr.township_id, pr.month, pr.approved_on, pr.line_count,
       SUM(CASE WHEN p.status <> 'paid' THEN 1 ELSE 0 END) AS unpaid,
       SUM(CASE WHEN p.status <> 'paid' THEN p.amount_fen ELSE 0 END) AS unpaid_fen,
       SUM(CASE WHEN p.status = 'failed' THEN 1 ELSE 0 END) AS failed
FROM payroll_run pr JOIN payment p ON p.run_id = pr.id AND p.amount_fen > 0
WHERE pr.status = 'approved' AND pr.approved_on IS NOT NULL AND pr.approved_on < :cutoff{runs}
GROUP BY pr.id, pr.township_id, pr.month, pr.approved_on, pr.line_count
HAVING SUM(CASE WHEN p.status <> 'paid' THEN 1 ELSE 0 END) > 0"""


def _town_months(ctx: Context, town: str, month: str) -> str:
    """In an approval scan, the run's township and months (whole township-months are read)."""
    return ctx.only(town, "townships") + ctx.only(month, "months")


def runs_cte(ctx: Context) -> str:
    """The township-months whose first approved run is older than the limit."""
    return f"""
WITH runs AS (
  SELECT township_id, month, MIN(approved_on) AS approved_on, MIN(id) AS run_id
  FROM payroll_run
  WHERE status = 'approved' AND approved_on IS NOT NULL{_town_months(ctx, "township_id", "month")}
  GROUP BY township_id, month HAVING MIN(approved_on) < :cutoff
)"""


def roster_query(ctx: Context) -> str:
    """The roster contracts without a paid line, of township-months where paid people < roster contracts;
    in an approval scan, of the run's township and months only."""
    s = ctx.sql
    states = ", ".join(f"'{x}'" for x in PAYABLE_CONTRACT_STATES)
    return f"""{runs_cte(ctx)},
roster AS (
  SELECT r.township_id, r.month, r.approved_on, r.run_id, c.id AS contract_id, c.person_id, c.code,
         po.village_id, po.title,
         CASE WHEN EXISTS (SELECT 1 FROM payment p WHERE p.contract_id = c.id AND p.month = r.month
                           AND p.status = 'paid' AND p.amount_fen > 0) THEN 1 ELSE 0 END AS paid
  FROM runs r JOIN post po ON po.township_id = r.township_id JOIN contract c ON c.post_id = po.id
  WHERE c.status IN ({states}) AND {s.month("c.start_on")} <= r.month
    AND {s.month("COALESCE(c.exit_on, c.end_on)")} >= r.month
),
listed AS (SELECT township_id, month, COUNT(*) AS roster_n FROM roster GROUP BY township_id, month),
paid AS (
  SELECT po.township_id, p.month, COUNT(DISTINCT p.person_id) AS paid_n
  FROM payment p JOIN contract c ON c.id = p.contract_id JOIN post po ON po.id = c.post_id
  WHERE p.status = 'paid' AND p.amount_fen > 0{_town_months(ctx, "po.township_id", "p.month")}
  GROUP BY po.township_id, p.month
)
SELECT ro.township_id, ro.month, ro.approved_on, ro.run_id, ro.contract_id, ro.person_id, ro.code,
  ro.village_id,
       ro.title, l.roster_n, COALESCE(pd.paid_n, 0) AS paid_n
FROM roster ro JOIN listed l ON l.township_id = ro.township_id AND l.month = ro.month
LEFT JOIN paid pd ON pd.township_id = ro.township_id AND pd.month = ro.month
WHERE ro.paid = 0 AND COALESCE(pd.paid_n, 0) < l.roster_n
ORDER BY ro.township_id, ro.month, ro.code"""


def detect(ctx: Context) -> list:
    county = ctx.county_id()
    if county is None:
        return []
    days = int_setting(ctx.session, county, "arrears_days", ctx.today) or 30
    return _unpaid_lines(ctx, days) + _roster_gap(ctx, days)


def _unpaid_lines(ctx: Context, days: int) -> list:
    out = []
    sql = SQL.replace("{runs}", ctx.only("pr.id", "runs"))
    for r in ctx.q(sql, cutoff=ctx.today - timedelta(days=days)):
        approved = as_date(r.approved_on)
        late = (ctx.today - approved).days
        town = ctx.region_name(r.township_id)
        evidence = {
            "summary": f"{town}{month_heading(r.month)}发放清册（第{r.id}号）于{approved.isoformat()}审批，"
            f"{late}天后仍有{r.unpaid}笔未发放（其中{r.failed}笔发放失败未重发），金额{yuan(r.unpaid_fen)}",
            "persons": [],
            "links": [],
            "facts": [
                f"审批日期{approved.isoformat()}，拖欠认定天数{days}天",
                f"清册共{r.line_count}笔，未发放{r.unpaid}笔",
            ],
            "refs": {"payroll_run": [r.id]},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"payroll_run:{r.id}",
                f"{town}{month_heading(r.month)}审批后{late}天仍有{r.unpaid}笔未发放",
                [f"run:{r.id}:unpaid:{r.unpaid}:{r.unpaid_fen}"],
                evidence,
                money_fen=int(r.unpaid_fen),
                township_id=r.township_id,
                months=[r.month],
            )
        )
    return out


def _roster_gap(ctx: Context, days: int) -> list:
    """花名册人数与实发人数不符: one finding per township-month, the unpaid roster contracts as evidence."""
    groups: dict[tuple, list] = defaultdict(list)
    cutoff = ctx.today - timedelta(days=days)
    if ctx.subjects is not None and not ctx.q(runs_cte(ctx) + " SELECT 1 FROM runs", cutoff=cutoff):
        return []  # the run's township-months were first approved within the limit (a fresh approval)
    for r in ctx.q(roster_query(ctx), cutoff=cutoff):
        groups[(r.township_id, r.month)].append(r)
    persons = ctx.persons({r.person_id for rows in groups.values() for r in rows})
    out = []
    for (town_id, month), rows in groups.items():
        r0 = rows[0]
        approved = as_date(r0.approved_on)
        town = ctx.region_name(town_id)
        missing = [
            {
                "contract_id": r.contract_id,
                "code": r.code,
                "name": persons[r.person_id]["name"],
                "person_id": r.person_id,
                "post": r.title,
                "village": ctx.region_name(r.village_id),
            }
            for r in rows
        ]
        evidence = {
            "summary": f"{town}{month_heading(month)}发放清册于{approved.isoformat()}审批，超过{days}天后，"
            f"花名册在册{r0.roster_n}人（合同覆盖当月），实发{r0.paid_n}人，{len(rows)}份合同没有已发放的补贴",
            "persons": [person_node(persons[r.person_id], "未发放的在册人员") for r in rows],
            "links": [],
            "facts": [
                f"审批日期{approved.isoformat()}，拖欠认定天数{days}天",
                f"花名册人数{r0.roster_n}，实发人数{r0.paid_n}",
            ]
            + [f"{m['name']}（合同{m['code']}，{m['village']}{m['post']}）当月无已发放记录" for m in missing],
            "roster_count": r0.roster_n,
            "paid_count": r0.paid_n,
            "unpaid_contracts": missing,
            "contracts": [m["contract_id"] for m in missing],
            "refs": {
                "payroll_run": [r0.run_id],
                "contract": [m["contract_id"] for m in missing],
                "person": [m["person_id"] for m in missing],
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"roster:{town_id}:{month}",
                f"{town}{month_heading(month)}在册{r0.roster_n}人、实发{r0.paid_n}人",
                [f"roster:{town_id}:{month}:{r0.roster_n}:{r0.paid_n}"]
                + [f"contract:{m['contract_id']}" for m in missing],
                evidence,
                township_id=town_id,
                months=[month],
            )
        )
    return out
