"""按需设岗 rules: post states and their transitions, wage parity (DOMAIN.md §2)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .errors import DomainError

POST_STATES = (
    "draft",
    "submitted",
    "approved",
    "rejected",
    "recruiting",
    "partly_filled",
    "filled",
    "closed",
)
POST_STATE_LABELS = {
    "draft": "草稿",
    "submitted": "待县级审批",
    "approved": "已批准",
    "rejected": "已退回",
    "recruiting": "招聘中",
    "partly_filled": "部分在岗",
    "filled": "满员",
    "closed": "已撤销",
}
DEVIATION_STATES = ("none", "pending", "approved", "rejected")
DEVIATION_LABELS = {
    "none": "无偏离",
    "pending": "偏离待审批",
    "approved": "偏离已批准",
    "rejected": "偏离未获批准",
}

# The one transition table: state → the states a post may move to from it.
# approved → partly_filled/filled covers a holder placed on an approved post before any notice
# (mark_staffing always follows the count of active contracts).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted", "closed"),
    "submitted": ("approved", "rejected"),
    "rejected": ("draft", "closed"),
    "approved": ("recruiting", "partly_filled", "filled", "closed"),
    "recruiting": ("partly_filled", "filled", "closed"),
    "partly_filled": ("recruiting", "filled", "closed"),
    "filled": ("recruiting", "partly_filled", "closed"),
    "closed": (),
}
# States in which a post exists for recruiting or holding people (approved by the county).
LIVE_STATES = ("approved", "recruiting", "partly_filled", "filled")
# States whose posts may have vacancies to fill (有岗无人 worklist).
VACANCY_STATES = ("approved", "recruiting", "partly_filled")

NEED_MIN_CHARS = 10  # the database says the same: length(need_text) >= 10
DEVIATION_REASON_MIN_CHARS = 10


def state_label(state: str) -> str:
    return POST_STATE_LABELS.get(state, state)


def check_transition(current: str, target: str) -> None:
    """Refuse a move the transition table does not allow, naming both states."""
    if current not in TRANSITIONS:
        raise DomainError("post_state_unknown", f"未知的岗位状态“{current}”")
    if target not in TRANSITIONS.get(current, ()):
        allowed = "、".join(f"“{state_label(s)}”" for s in TRANSITIONS[current]) or "无（已是终态）"
        raise DomainError(
            "post_bad_transition",
            f"岗位当前状态为“{state_label(current)}”，不能变为“{state_label(target)}”；此状态下可变为：{allowed}",
        )


def staffing_state(active: int, headcount: int) -> str:
    """recruiting / partly_filled / filled from the count of active contracts against the headcount."""
    if active <= 0:
        return "recruiting"
    if active < headcount:
        return "partly_filled"
    return "filled"


def _pct(diff: int, base: int) -> Decimal:
    """diff/base as a percentage rounded half-up to 0.01 (for showing; the test for 'exceeds' is exact)."""
    return (Decimal(diff) * 100 / Decimal(base)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parity_deviation(
    post_allowance_fen: int, post_days: int, std_allowance_fen: int, std_days: int, tolerance_pct
) -> tuple[Decimal, Decimal, bool]:
    """Wage parity (hard): how far a post's allowance and required days lie from the county standard.

    Returns (allowance_pct, days_pct, exceeds): signed percentages (post − standard) ÷ standard × 100,
    rounded to 0.01 for showing, and whether either deviation is strictly beyond ±tolerance_pct.
    `exceeds` is decided exactly in integers: |post − std| × 100 > tolerance × std — so exactly 10%
    is within a 10% tolerance and 10.01% is not.
    """
    if std_allowance_fen <= 0 or std_days <= 0:
        raise DomainError("standard_invalid", "县定标准的补贴和出勤天数须大于0")
    tol = Decimal(str(tolerance_pct))
    if tol < 0:
        raise DomainError("tolerance_invalid", f"偏离容差不得为负数，收到{tolerance_pct}")
    a_diff = post_allowance_fen - std_allowance_fen
    d_diff = post_days - std_days
    exceeds = (abs(a_diff) * 100 > tol * std_allowance_fen) or (abs(d_diff) * 100 > tol * std_days)
    return _pct(a_diff, std_allowance_fen), _pct(d_diff, std_days), exceeds


def _fen_text(fen: int) -> str:
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}元"


def _signed(p: Decimal) -> str:
    return f"{'+' if p > 0 else ''}{p}%"


def parity_message(
    post_allowance_fen: int, post_days: int, std_allowance_fen: int, std_days: int, tolerance_pct
) -> str:
    """The Chinese explanation of a deviation: both amounts, both day counts, the tolerance."""
    a_pct, d_pct, _ = parity_deviation(
        post_allowance_fen, post_days, std_allowance_fen, std_days, tolerance_pct
    )
    return (
        f"岗位月补贴{_fen_text(post_allowance_fen)}、规定出勤{post_days}天，县定标准为月补贴"
        f"{_fen_text(std_allowance_fen)}、{std_days}天（补贴偏离{_signed(a_pct)}，天数偏离{_signed(d_pct)}），"
        f"超出县定容差±{tolerance_pct}%"
    )


def check_parity_for_submit(
    post_allowance_fen: int,
    post_days: int,
    std_allowance_fen: int,
    std_days: int,
    tolerance_pct,
    deviation_reason: str | None,
) -> str:
    """The deviation status a post is submitted with: 'none' inside the band, 'pending' beyond it with a
    written reason; beyond it without one, refused (同类岗位补贴标准一致, hard)."""
    _, _, exceeds = parity_deviation(
        post_allowance_fen, post_days, std_allowance_fen, std_days, tolerance_pct
    )
    if not exceeds:
        return "none"
    reason = (deviation_reason or "").strip()
    if len(reason) < DEVIATION_REASON_MIN_CHARS:
        raise DomainError(
            "parity_reason_required",
            parity_message(post_allowance_fen, post_days, std_allowance_fen, std_days, tolerance_pct)
            + f"：须填写不少于{DEVIATION_REASON_MIN_CHARS}个字的书面偏离理由，并经县级批准后方可执行",
        )
    return "pending"


def check_need(need_text: str | None, headcount: int, eligible_pool: int | None) -> None:
    """按需设岗: a post exists only for a written need."""
    text = (need_text or "").strip()
    if len(text) < NEED_MIN_CHARS:
        raise DomainError(
            "need_required",
            f"须书面说明设岗需求（做什么工作、为何现在需要、有多少无法离乡的符合条件人员），"
            f"不少于{NEED_MIN_CHARS}个字；当前{len(text)}个字",
        )
    if headcount < 1:
        raise DomainError("headcount_invalid", f"岗位人数须至少为1，收到{headcount}")
    if eligible_pool is not None and eligible_pool < 0:
        raise DomainError("eligible_pool_invalid", f"无法离乡的符合条件人数不得为负数，收到{eligible_pool}")


def check_terms(allowance_fen: int, required_days: int) -> None:
    if allowance_fen <= 0:
        raise DomainError("allowance_invalid", "岗位月补贴须大于0")
    if not 1 <= required_days <= 31:
        raise DomainError("required_days_invalid", f"规定出勤天数须在1至31之间，收到{required_days}")


def median_fen(values: list[int]) -> int:
    """Median of allowances in 分; for an even count the mean of the middle two, half-up to the 分."""
    if not values:
        raise ValueError("median of nothing")
    s = sorted(values)
    n = len(s)
    if n % 2:
        return s[n // 2]
    total = s[n // 2 - 1] + s[n // 2]
    return int((Decimal(total) / 2).quantize(Decimal(1), rounding=ROUND_HALF_UP))
