"""ABOVE_STANDARD 超标准发放: a regular line above min(cap, standard ÷ required × attended) plus the grade's
performance, a month whose lines together (补发 included) exceed cap + performance, or a line whose
standard is above the contract's allowance. A 补发 that stays within the cap is no overpayment.
Also a post with paid lines whose allowance or required days lie outside the county's parity band
(parity_tolerance_pct around the standard of its category in force today) without an approved deviation."""

from __future__ import annotations

from collections import defaultdict

from ...domain.formats import yuan
from ...domain.posts import DEVIATION_LABELS, parity_deviation, parity_message
from ...domain.rules.catalog import RULES
from ...services.settings import int_setting
from ._base import Context, make_finding, person_node

RULE = RULES["ABOVE_STANDARD"]
TOLERANCE_FEN = 1


def query(ctx: Context) -> str:
    """The lines above the formula or the cap; limited to the run's contracts in an approval scan (a
    contract's every line and month total are still read).

    One statement for every scan and both databases: each line's month total is a window over its
    contract's lines (partitioned by contract and month), not a second read of them. In an approval scan on
    PostgreSQL the run's contracts and their lines are found by one index probe each (rows_of, lines_of):
    a probe per line for its month total read the contract's lines again for each of its lines (10,416
    buffers, 40 % of the statement at 50,000 persons), and a GROUP BY over the probed lines has no
    statistics (PostgreSQL estimated 3 groups and joined them by nested loop: 126 ms). The formula's
    divisions are guarded (NULLIF): the window's rows include lines the formula does not apply to, filtered
    out after it."""
    if ctx.probes:
        contracts = ctx.rows_of("contract", "c", "id", "contracts")
        lines = ctx.lines_of("p", "contract_id", "c.id", where=" AND p_l.status <> 'failed'")
        where = ""
    else:
        contracts = "contract c"
        lines = "JOIN payment p ON p.contract_id = c.id AND p.status <> 'failed'"
        where = " WHERE 1 = 1" + ctx.only("c.id", "contracts")
    return SQL.format(contracts=contracts, lines=lines, where=where, tol=TOLERANCE_FEN)


SQL = """
WITH pl AS (
  SELECT p.id, p.contract_id, p.person_id, p.run_id, p.month, p.kind, p.grade, p.amount_fen, p.standard_fen,
         p.covered_days, p.month_days, p.attended_days, p.required_days, c.allowance_fen,
         c.perf_excellent_fen, c.perf_pass_fen, po.village_id, c.code,
         SUM(p.amount_fen) OVER w AS total_fen, COUNT(*) OVER w AS lines
  FROM {contracts} JOIN post po ON po.id = c.post_id {lines}{where}
  WINDOW w AS (PARTITION BY p.contract_id, p.month)
),
line AS (
  SELECT p.id, p.contract_id, p.person_id, p.run_id, p.month, p.amount_fen, p.standard_fen, p.allowance_fen,
         (2 * p.standard_fen * p.covered_days + p.month_days) / NULLIF(2 * p.month_days, 0) AS cap_fen,
         (2 * p.standard_fen * p.attended_days + p.required_days)
           / NULLIF(2 * p.required_days, 0) AS rate_fen,
         CASE p.grade WHEN '优秀' THEN p.perf_excellent_fen WHEN '合格' THEN p.perf_pass_fen
           ELSE 0 END AS perf_fen,
         p.village_id, p.code, p.total_fen, p.lines
  FROM pl p
  WHERE p.kind = 'regular' AND p.required_days > 0 AND p.month_days > 0
)
SELECT l.*,
       CASE WHEN l.cap_fen < l.rate_fen THEN l.cap_fen ELSE l.rate_fen END + l.perf_fen AS formula_fen,
       l.cap_fen + l.perf_fen AS ceiling_fen
FROM line l
WHERE l.amount_fen > CASE WHEN l.cap_fen < l.rate_fen THEN l.cap_fen ELSE l.rate_fen END + l.perf_fen + {tol}
   OR l.total_fen > l.cap_fen + l.perf_fen + {tol}
   OR l.standard_fen > l.allowance_fen"""


# posts outside the parity band (the exact integer test of domain.posts.parity_deviation) with paid lines
PARITY_SQL = """
WITH std AS (
  SELECT s.county_id, s.category_id, s.monthly_allowance_fen, s.required_days
  FROM standard s
  WHERE s.effective_from <= :today AND (s.effective_to IS NULL OR s.effective_to >= :today)
    AND NOT EXISTS (SELECT 1 FROM standard s2 WHERE s2.county_id = s.county_id
      AND s2.category_id = s.category_id
                    AND s2.effective_from > s.effective_from AND s2.effective_from <= :today
                    AND (s2.effective_to IS NULL OR s2.effective_to >= :today))
)
SELECT po.id, po.code, po.title, po.village_id, po.allowance_fen, po.required_days, po.deviation_status,
       po.deviation_reason, pc.name AS category, st.monthly_allowance_fen AS std_fen,
         st.required_days AS std_days,
       COUNT(p.id) AS lines, SUM(p.amount_fen) AS paid_fen, MIN(p.month) AS first_month,
         MAX(p.month) AS last_month,
       SUM(CASE WHEN p.kind = 'regular' AND p.standard_fen > st.monthly_allowance_fen THEN
             CASE WHEN p.standard_fen - st.monthly_allowance_fen < p.amount_fen
                  THEN p.standard_fen - st.monthly_allowance_fen ELSE p.amount_fen END
           ELSE 0 END) AS over_fen
FROM post po JOIN region t ON t.id = po.township_id
JOIN std st ON st.county_id = t.parent_id AND st.category_id = po.category_id
JOIN post_category pc ON pc.id = po.category_id
JOIN contract c ON c.post_id = po.id
JOIN payment p ON p.contract_id = c.id AND p.status = 'paid' AND p.amount_fen > 0
WHERE po.deviation_status <> 'approved'{posts}
  AND (ABS(po.allowance_fen - st.monthly_allowance_fen) * 100 > :tol * st.monthly_allowance_fen
       OR ABS(po.required_days - st.required_days) * 100 > :tol * st.required_days)
GROUP BY po.id, po.code, po.title, po.village_id, po.allowance_fen, po.required_days, po.deviation_status,
         po.deviation_reason, pc.name, st.monthly_allowance_fen, st.required_days"""


def detect(ctx: Context) -> list:
    return _above_formula(ctx) + _outside_parity(ctx)


def _outside_parity(ctx: Context) -> list:
    """同类岗位补贴标准一致: a deviating standard paid out without the county's approval."""
    county = ctx.county_id()
    if county is None:
        return []
    tol = int_setting(ctx.session, county, "parity_tolerance_pct", ctx.today) or 0
    out = []
    if ctx.probes:
        # an approval scan on PostgreSQL: the run's posts with their county, fenced (OFFSET 0) before the
        # standards are joined — else PostgreSQL ordered every region by parent for a merge join with the
        # standards and matched each to every post (82,560 comparisons, 12 ms of 13 at 50,000 persons)
        sql = PARITY_SQL.replace(
            "FROM post po JOIN region t ON t.id = po.township_id\nJOIN std st ON st.county_id = t.parent_id",
            "FROM (SELECT po_r.*, t.parent_id AS county_id FROM post po_r"
            " JOIN region t ON t.id = po_r.township_id WHERE po_r.id = ANY(:scope_posts) OFFSET 0) po"
            "\nJOIN std st ON st.county_id = po.county_id",
        ).replace("{posts}", "")
        assert "OFFSET 0) po" in sql
    else:
        sql = PARITY_SQL.replace("{posts}", ctx.only("po.id", "posts"))
    for r in ctx.q(sql, today=ctx.today, tol=tol):
        if not parity_deviation(r.allowance_fen, r.required_days, r.std_fen, r.std_days, tol)[2]:
            continue
        why = parity_message(r.allowance_fen, r.required_days, r.std_fen, r.std_days, tol)
        status = DEVIATION_LABELS.get(r.deviation_status, r.deviation_status)
        place = ctx.region_name(r.village_id)
        evidence = {
            "summary": f"{place}岗位{r.code}“{r.title}”（{r.category}）：{why}，偏离状态为“{status}”，"
            f"已按此标准发放{r.lines}笔共{yuan(r.paid_fen)}（{r.first_month}至{r.last_month}）",
            "persons": [],
            "links": [],
            "facts": [
                why,
                f"偏离审批状态：{status}；偏离理由：{r.deviation_reason or '未填写'}",
                f"县定偏离容差±{tol}%，标准取{ctx.today.isoformat()}有效的县定标准",
                f"已发放{r.lines}笔，合计{yuan(r.paid_fen)}，其中按高出标准部分计{yuan(r.over_fen or 0)}",
            ],
            "post": {
                "id": r.id,
                "code": r.code,
                "title": r.title,
                "allowance_fen": r.allowance_fen,
                "required_days": r.required_days,
                "standard_fen": r.std_fen,
                "standard_days": r.std_days,
                "deviation_status": r.deviation_status,
            },
            "refs": {"post": [r.id]},
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"post:{r.id}",
                f"岗位{r.code}标准偏离未获批准仍发放",
                [
                    f"parity:{r.id}:{r.allowance_fen}:{r.required_days}:{r.std_fen}:{r.std_days}:{tol}:{r.deviation_status}"
                ],
                evidence,
                money_fen=int(r.over_fen or 0),
                village_id=r.village_id,
                months=[r.first_month, r.last_month],
            )
        )
    return out


def _above_formula(ctx: Context) -> list:
    by_contract = defaultdict(list)
    for r in ctx.q(query(ctx)):
        by_contract[r.contract_id].append(r)
    persons = ctx.persons({rows[0].person_id for rows in by_contract.values()})
    pay = ctx.payments_of(contract_ids=by_contract)
    out = []
    for cid, rows in by_contract.items():
        r0 = rows[0]
        p = persons[r0.person_id]
        facts, money, key, months = [], 0, [], []
        for r in sorted(rows, key=lambda r: r.month):
            excess = max(int(r.amount_fen) - int(r.formula_fen), int(r.total_fen) - int(r.ceiling_fen), 0)
            if r.standard_fen > r.allowance_fen:
                facts.append(f"{r.month}：按{yuan(r.standard_fen)}计发，高于合同标准{yuan(r.allowance_fen)}")
            facts.append(
                f"{r.month}：应发上限{yuan(r.formula_fen)}（封顶{yuan(r.ceiling_fen)}），本行{yuan(r.amount_fen)}，"
                f"当月合计{r.lines}笔{yuan(r.total_fen)}，超出{yuan(excess)}"
            )
            money += excess
            months.append(r.month)
            key.append(f"month:{cid}:{r.month}:{r.amount_fen}:{r.total_fen}:{r.standard_fen}")
        lines = [x for x in pay.get(p["id"], []) if x["contract_id"] == cid and x["month"] in months]
        evidence = {
            "summary": (
                f"{p['name']}（合同{r0.code}）在{'、'.join(months)}的发放超过按标准计算的金额，"
                f"合计超发{yuan(money)}"
            ),
            "persons": [person_node(p, "岗位人员")],
            "links": [],
            "facts": facts,
            "payments": lines,
            "contracts": [cid],
            "refs": {
                "person": [p["id"]],
                "contract": [cid],
                "payment": [x["id"] for x in lines],
                "payroll_run": sorted({x["run_id"] for x in lines if x["run_id"]}),
            },
        }
        out.append(
            make_finding(
                ctx,
                RULE,
                f"contract:{cid}",
                f"{p['name']}超标准发放{yuan(money)}",
                key,
                evidence,
                money_fen=money,
                person_id=p["id"],
                village_id=r0.village_id,
                months=months,
            )
        )
    return out
