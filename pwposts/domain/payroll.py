"""在岗领补 step 3: the amount of one payment line (DOMAIN.md §2), as a pure function.

The rule
--------
For a holder whose contract pays ``standard`` 元 a month for ``required`` days:

    amount = standard ÷ required × attended, capped at the standard,
             plus the grade's performance component.

**Proration.** When the contract covers only ``c`` of the month's ``d`` calendar days (it starts
or ends inside the month, or the holder left — the exit date is the last day paid), the cap
becomes ``standard × c ÷ d``:

    base = min(standard × c ÷ d, standard ÷ required × attended)

``c`` counts the calendar days from max(contract start, first of month) to min(last day paid,
last of month), both included; ``d`` is the number of calendar days of the month (28–31). In a
month the contract covers entirely, c = d and the cap is the standard itself. Example: 600 元,
20 required days, contract from the 16th of a 30-day month (c = 15): cap 600 × 15 ÷ 30 = 300.00;
10 days attended → min(300.00, 300.00) = 300.00; 8 days → 240.00; all 15 remaining days → 450.00
by the formula, so the cap 300.00 is paid.

**Performance.** The component of the month's grade is added in full — 优秀 and 合格 their
amounts from the contract, 不合格 or a month without a grade nothing. It is not prorated.

**Rounding.** Everything above is exact (fractions of a 分); the result is rounded once per
payment line to the 分, half-up (四舍五入), by formats.round_fen. Performance components are
whole 分 already, so rounding the base or the sum gives the same line amount.

calc_text spells the computation out for the holder, e.g. ``600 ÷ 20 × 15 = 450.00`` or, for a
prorated month, ``上限 600 × 15 ÷ 30 = 300.00；600 ÷ 20 × 10 = 300.00；取较小者 300.00``, followed by
``+ 绩效（合格）40.00 = 340.00`` when a component is paid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from .contracts import ASSESSMENT_GRADES
from .errors import DomainError
from .formats import month_bounds, round_fen, yuan

PAYING_GRADES = ("优秀", "合格")


_bounds = lru_cache(maxsize=256)(month_bounds)


def last_paid_day(end_on: date, exit_on: date | None = None, death_date: date | None = None) -> date:
    """The last day a contract pays: the exit date when the holder left early (退岗), else the contract's
    end; the day of death when earlier (the day of death itself still counts)."""
    last = exit_on or end_on
    return death_date if death_date is not None and death_date < last else last


def covered_days(
    month: str, start_on: date, end_on: date, exit_on: date | None = None, death_date: date | None = None
) -> int:
    """c: the calendar days of `month` from max(contract start, first of month) to min(last day paid
    (exit, end or death — last_paid_day), last of month), both included; 0 when the month has none.
    The one definition: attendance limits, the payroll's lines and the demo all call it; the staleness
    SQL (services.pay.staleness.covered_days_sql) is tested against it on the demo county."""
    first, last = _bounds(month)
    lo = start_on if start_on > first else first
    hi = last_paid_day(end_on, exit_on, death_date)
    if hi > last:
        hi = last
    return (hi - lo).days + 1 if lo <= hi else 0


def month_days(month: str) -> int:
    """d: the calendar days of the month."""
    first, last = _bounds(month)
    return (last - first).days + 1


def pays_performance(grade: str | None) -> bool:
    """The performance component is paid in full for 优秀/合格, not at all for 不合格 or no grade."""
    return grade in PAYING_GRADES


def performance_fen(grade: str | None, perf_excellent_fen: int, perf_pass_fen: int) -> int:
    """The month's performance component: the contract's amount for 优秀 or 合格, else 0 (not prorated).
    The one definition (compute_line uses it; the staleness SQL is tested against it)."""
    if grade == "优秀":
        return perf_excellent_fen
    if grade == "合格":
        return perf_pass_fen
    return 0


@dataclass(frozen=True)
class Line:
    """One computed payment line, all in 分."""

    base_fen: int  # min(cap, formula), rounded once
    cap_fen: int  # standard × c ÷ d (the standard itself in a whole month), rounded for display
    performance_fen: int
    amount_fen: int  # base + performance
    calc_text: str


def half_up(value: Fraction) -> int:
    """An exact, non-negative amount of 分 rounded to a whole 分, half-up (formats.round_fen).

    floor(2x) ÷ 2 keeps exactly what half-up rounding looks at — whether the fraction reaches one
    half — and is a finite decimal, so round_fen sees an exact value, never an approximation.
    """
    if value < 0:
        raise ValueError("half_up expects a non-negative amount")
    return round_fen(Decimal(math.floor(2 * value)) / 2)


def _half_up_ratio(numerator: int, denominator: int) -> int:
    """half_up(Fraction(numerator, denominator)) for numerator ≥ 0, denominator > 0, in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def money(fen: int) -> str:
    """450.00 — a result in 元 with two decimals (no separators: it is part of a formula)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def standard_text(fen: int) -> str:
    """600 for a whole number of 元, 612.50 otherwise — the standard as written in the formula."""
    return str(fen // 100) if fen % 100 == 0 else money(fen)


def check_inputs(
    standard_fen: int,
    required_days: int,
    attended_days: int,
    covered_days: int,
    month_days: int,
    grade: str | None,
) -> None:
    if standard_fen <= 0:
        raise ValueError(f"月补贴标准须大于0，收到{standard_fen}分")
    if required_days < 1:
        raise ValueError(f"规定出勤天数须至少为1，收到{required_days}")
    if not 0 <= attended_days <= 31:
        raise ValueError(f"出勤天数须在0至31之间，收到{attended_days}")
    if not 28 <= month_days <= 31:
        raise ValueError(f"当月天数须在28至31之间，收到{month_days}")
    if not 1 <= covered_days <= month_days:
        raise ValueError(f"协议覆盖天数须在1至{month_days}之间，收到{covered_days}")
    if grade is not None and grade not in ASSESSMENT_GRADES:
        raise ValueError(f"考核等次无效：{grade}")


@lru_cache(maxsize=65536)
def compute_line(
    standard_fen: int,
    required_days: int,
    attended_days: int,
    covered_days: int,
    month_days: int,
    grade: str | None,
    perf_excellent_fen: int,
    perf_pass_fen: int,
) -> Line:
    """The payment line for one holder-month under the rule in this module's docstring.

    standard_fen        the contract's monthly allowance in 分
    required_days       规定出勤天数 per month
    attended_days       approved days worked in the month
    covered_days        c — calendar days of the month inside the contract (and before any exit)
    month_days          d — calendar days of the month
    grade               the month's grade 优秀/合格/不合格, or None when ungraded
    perf_*_fen          the contract's performance components for 优秀 and 合格

    Pure and cached: a county's holders share few distinct combinations of these values.
    """
    check_inputs(standard_fen, required_days, attended_days, covered_days, month_days, grade)
    # Exact in integers (a county's first run meets hundreds of distinct inputs; Fraction and Decimal
    # cost ten times more): half_up(n / m) = (2n + m) // 2m for n ≥ 0, m > 0 — the same value as
    # half_up(Fraction(n, m)). half_up is monotonic, so rounding the smaller of cap and formula is the
    # smaller of the rounded ones.
    cap_fen = _half_up_ratio(standard_fen * covered_days, month_days)  # = std when the month is covered
    formula_fen = _half_up_ratio(standard_fen * attended_days, required_days)
    base_fen = min(cap_fen, formula_fen)

    s = standard_text(standard_fen)
    formula_text = f"{s} ÷ {required_days} × {attended_days} = {money(formula_fen)}"
    if covered_days == month_days:
        text = formula_text
        if attended_days > required_days:  # the formula exceeds the standard
            text += f"，超过月补贴标准，按标准 {money(base_fen)}"
    else:
        text = (
            f"上限 {s} × {covered_days} ÷ {month_days} = {money(cap_fen)}；{formula_text}；"
            f"取较小者 {money(base_fen)}"
        )

    performance_fen = performance_fen_of(grade, perf_excellent_fen, perf_pass_fen)
    if performance_fen:
        text += f" + 绩效（{grade}）{money(performance_fen)} = {money(base_fen + performance_fen)}"
    elif perf_excellent_fen or perf_pass_fen:
        if grade == "不合格":
            text += "；考核不合格，无绩效"
        elif grade is None:
            text += "；本月未考核，无绩效"
    return Line(
        base_fen=base_fen,
        cap_fen=cap_fen,
        performance_fen=performance_fen,
        amount_fen=base_fen + performance_fen,
        calc_text=text,
    )


performance_fen_of = performance_fen  # compute_line's local name `performance_fen` shadows it


# ---- corrections (补发/扣回) ----

CORRECTION_KINDS = ("补发", "扣回")
MIN_CORRECTION_REASON = 4  # characters: the holder reads it


def check_correction(kind: str, amount_fen: int, reason: str) -> str:
    """The form of a 补发/扣回: its kind, a reason of at least 4 characters, an amount above 0 分.
    Returns the stripped reason."""
    if kind not in CORRECTION_KINDS:
        raise DomainError("correction_kind", f"更正类型只能为“补发”或“扣回”，收到“{kind}”")
    reason = (reason or "").strip()
    if len(reason) < MIN_CORRECTION_REASON:
        raise DomainError("reason_required", "请写明补发或扣回的原因（至少4个字），发放对象可以看到")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError("correction_amount", "补发或扣回金额须大于0")
    return reason


def correction_limit_fen(kind: str, net_fen: int, fund_left_fen: int | None = None) -> int | None:
    """The most a 补发/扣回 against a line may be: a 扣回 at most the line's net amount (original plus
    earlier corrections); a 补发 at most what the line's fund has left of its allocation (None: the line
    has no fund, no limit)."""
    return net_fen if kind == "扣回" else fund_left_fen


def recovery_problem(amount_fen: int, original_fen: int, corrected_fen: int) -> str | None:
    """Why a 扣回 of amount_fen is refused (it exceeds the net paid), or None."""
    net = original_fen + corrected_fen
    if amount_fen <= correction_limit_fen("扣回", net):
        return None
    return (
        f"扣回金额{yuan(amount_fen)}超过该笔已发放净额{yuan(net)}（原发{yuan(original_fen)}，"
        f"此前更正{yuan(corrected_fen)}）"
    )


# ---- quarterly pay ----

QUARTER_END_MONTHS = (3, 6, 9, 12)


def run_months(month: str, frequency: str) -> list[str]:
    """The months a township's run for `month` covers: the month itself when paid monthly; when
    the county pays quarterly (setting pay_frequency = quarterly), a run is made for the
    quarter's last month and covers its three months (each still its own payment line)."""
    if frequency != "quarterly":
        return [month]
    y, m = (int(x) for x in month.split("-"))
    if m not in QUARTER_END_MONTHS:
        raise ValueError(m)
    return [f"{y:04d}-{mm:02d}" for mm in (m - 2, m - 1, m)]


# ---- bank references ----


def bank_reference(payment_id: int, batch: int) -> str:
    """业务参考号 of a payment line in a bank batch: PW<payment id>-<batch>."""
    return f"PW{payment_id}-{batch}"


def parse_bank_reference(text: str) -> tuple[int, int] | None:
    """(payment id, batch) from 'PW123-1', or None when it is not one of ours."""
    t = (text or "").strip().upper()
    if not t.startswith("PW") or "-" not in t:
        return None
    left, _, right = t[2:].partition("-")
    if not (left.isdigit() and right.isdigit()):
        return None
    return int(left), int(right)


BANK_SUCCESS = ("成功", "已成功", "success", "SUCCESS", "Success")
BANK_FAILURE = ("失败", "已失败", "failed", "FAILED", "Failed", "fail", "FAIL")


def bank_status(text: str) -> str | None:
    """'paid' for 成功, 'failed' for 失败, None for anything else."""
    t = (text or "").strip()
    if t in BANK_SUCCESS:
        return "paid"
    if t in BANK_FAILURE:
        return "failed"
    return None


# Contract states that pay for the days they cover (a draft has not taken effect; a void one never did).
PAYABLE_CONTRACT_STATES = ("active", "ended", "terminated")
