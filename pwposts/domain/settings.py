"""County settings: every number DOMAIN.md leaves to the county, with its default and validation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .errors import DomainError
from .people import CATEGORIES


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    default: str
    kind: str  # "int", "optional_int", "choice"
    help: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "parity_tolerance_pct",
        "同类岗位补贴偏离容差（%）",
        "10",
        "int",
        "岗位补贴或出勤天数偏离县定标准超过此比例，须书面说明理由并经县级批准",
        0,
        100,
    ),
    SettingSpec(
        "publicity_working_days", "公示期（工作日）", "5", "int", "拟聘人员名单公示的工作日天数", 1, 30
    ),
    SettingSpec(
        "household_post_limit", "每户在岗人数上限", "1", "int", "同一户籍家庭同时在岗的最多人数", 1, 10
    ),
    SettingSpec(
        "age_cap",
        "聘用年龄上限（岁，留空为不设）",
        "",
        "optional_int",
        "聘用时年龄上限；年龄或残疾本身不得作为拒绝理由",
        16,
        80,
    ),
    SettingSpec("arrears_days", "拖欠认定天数", "30", "int", "审批后超过此天数未发放即认定为拖欠", 1, 365),
    SettingSpec(
        "pay_frequency", "发放周期", "monthly", "choice", "按月或按季度发放", choices=("monthly", "quarterly")
    ),
    SettingSpec(
        "assessment_due_day",
        "月度考核截止日（次月几日）",
        "10",
        "int",
        "月度考核结果须在次月此日前录入",
        1,
        28,
    ),
    SettingSpec(
        "eligible_categories",
        "安置对象人员类别",
        "、".join(CATEGORIES),
        "categories",
        "持有其中任一类别的人员才可聘用到公益性岗位（多个类别用“、”分隔）",
    ),
    SettingSpec("exit_report_days", "退岗报告时限（天）", "5", "int", "退岗须在此天数内报告", 1, 30),
    SettingSpec(
        "attendance_four_eyes",
        "考勤录入与审核须为不同人员",
        "on",
        "choice",
        "开启时，录入（或最后修改）某条考勤的人员不能审核该条考勤，须由另一名乡镇经办人或县级管理员审核",
        choices=("on", "off"),
    ),
    SettingSpec(
        "colour_idle_days",
        "四色预警：退岗后未就业天数",
        "30",
        "int",
        "退岗后未就业未上岗满此天数，零就业或监测对象家庭为红色，311服务落后为橙色",
        1,
        365,
    ),
)
SETTING_KEYS = tuple(s.key for s in SPECS)
BY_KEY = {s.key: s for s in SPECS}
CHOICE_LABELS = {"monthly": "按月", "quarterly": "按季度", "on": "开启", "off": "关闭"}


def validate_setting(key: str, raw: str) -> str:
    """Return the canonical stored value, or raise DomainError naming the setting and value."""
    spec = BY_KEY.get(key)
    if spec is None:
        raise DomainError("setting_unknown", f"未知的县级设置项：{key}")
    value = (raw or "").strip()
    if spec.kind == "optional_int" and value == "":
        return ""
    if spec.kind in ("int", "optional_int"):
        if not value.lstrip("-").isdigit():
            raise DomainError("setting_not_integer", f"“{spec.label}”须为整数，收到“{value}”")
        n = int(value)
        if (spec.minimum is not None and n < spec.minimum) or (spec.maximum is not None and n > spec.maximum):
            raise DomainError(
                "setting_out_of_range", f"“{spec.label}”须在{spec.minimum}至{spec.maximum}之间，收到{n}"
            )
        return str(n)
    if spec.kind == "categories":
        parts = [p for p in re.split(r"[、,，;；\s]+", value) if p]
        bad = [p for p in parts if p not in CATEGORIES]
        if bad or not parts:
            raise DomainError(
                "setting_bad_choice",
                f"“{spec.label}”须为以下类别中的一个或多个：{'、'.join(CATEGORIES)}，"
                f"收到“{'、'.join(bad) or value}”",
            )
        return "、".join(c for c in CATEGORIES if c in parts)
    if value not in spec.choices:
        raise DomainError(
            "setting_bad_choice", f"“{spec.label}”只能为{'、'.join(spec.choices)}，收到“{value}”"
        )
    return value


def value_on(history, key: str, on: date) -> str:
    """The value in force on `on` from (key, value, effective_from) rows; the default if none."""
    best = None
    for k, v, since in history:
        if k == key and since <= on and (best is None or since > best[1]):
            best = (v, since)
    return best[0] if best else BY_KEY[key].default


WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def check_calendar_day(day: date, name: str, is_workday: bool, today: date) -> str:
    """A county calendar entry: a named holiday, or a make-up working day (调休上班) on a weekend.
    Not for a day before today — working-day counts already made are never rewritten. Returns the name."""
    label = (name or "").strip()
    if not label:
        raise DomainError(
            "holiday_name_required", f"{day.isoformat()}须填写名称（如 国庆节、国庆节调休上班）"
        )
    if len(label) > 50:
        raise DomainError("holiday_name_too_long", f"{day.isoformat()}的名称过长（最多50个字）")
    if day < today:
        raise DomainError(
            "holiday_backdated",
            f"{day.isoformat()}早于今天{today.isoformat()}：已过去的日期不得登记或更改，以免改变已计算的工作日",
        )
    if is_workday and day.weekday() < 5:
        raise DomainError(
            "makeup_not_weekend",
            f"{day.isoformat()}是{WEEKDAY_NAMES[day.weekday()]}：调休上班日只能是周六或周日",
        )
    return label
