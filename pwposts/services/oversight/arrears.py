"""ARREARS 拖欠: an approved payroll run with lines still unpaid (pending, or failed and not resent) more
than the county's limit (default 30 days) after approval."""
from __future__ import annotations

from datetime import timedelta

from ...domain.formats import month_heading, yuan
from ...domain.rules.catalog import RULES
from ...services.settings import int_setting
from ._base import Context, as_date, make_finding

RULE = RULES["ARREARS"]

SQL = """
SELECT pr.id, pr.township_id, pr.month, pr.approved_on, pr.line_count,
       SUM(CASE WHEN p.status <> 'paid' THEN 1 ELSE 0 END) AS unpaid,
       SUM(CASE WHEN p.status <> 'paid' THEN p.amount_fen ELSE 0 END) AS unpaid_fen,
       SUM(CASE WHEN p.status = 'failed' THEN 1 ELSE 0 END) AS failed
FROM payroll_run pr JOIN payment p ON p.run_id = pr.id AND p.amount_fen > 0
WHERE pr.status = 'approved' AND pr.approved_on IS NOT NULL AND pr.approved_on < :cutoff
GROUP BY pr.id, pr.township_id, pr.month, pr.approved_on, pr.line_count
HAVING SUM(CASE WHEN p.status <> 'paid' THEN 1 ELSE 0 END) > 0"""


def detect(ctx: Context) -> list:
    county = ctx.county_id()
    if county is None:
        return []
    days = int_setting(ctx.session, county, "arrears_days", ctx.today) or 30
    out = []
    for r in ctx.q(SQL, cutoff=ctx.today - timedelta(days=days)):
        approved = as_date(r.approved_on)
        late = (ctx.today - approved).days
        town = ctx.region_name(r.township_id)
        evidence = {
            "summary": f"{town}{month_heading(r.month)}发放清册（第{r.id}号）于{approved.isoformat()}审批，"
                       f"{late}天后仍有{r.unpaid}笔未发放（其中{r.failed}笔发放失败未重发），金额{yuan(r.unpaid_fen)}",
            "persons": [], "links": [],
            "facts": [f"审批日期{approved.isoformat()}，拖欠认定天数{days}天", f"清册共{r.line_count}笔，未发放{r.unpaid}笔"],
            "refs": {"payroll_run": [r.id]},
        }
        out.append(make_finding(ctx, RULE, f"payroll_run:{r.id}",
                                f"{town}{month_heading(r.month)}审批后{late}天仍有{r.unpaid}笔未发放",
                                [f"run:{r.id}:unpaid:{r.unpaid}:{r.unpaid_fen}"], evidence,
                                money_fen=int(r.unpaid_fen), township_id=r.township_id, months=[r.month]))
    return out
