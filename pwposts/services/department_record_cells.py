"""Cells of a department's record file: read one value (date, text, category, employment form, cadre
office) and parse a row's values for its kind; a bad cell raises _Bad with the plain message shown to the
clerk. Used by department_records.import_records."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.errors import DomainError
from ..domain.formats import parse_date
from ..domain.people import CADRE_OFFICES, CATEGORIES
from .roster_cells import CATEGORY_ALIASES, cell_text

CATEGORY_EXTRA_ALIASES = {
    "边缘易致贫户": "边缘易致贫人员",
    "边缘户": "边缘易致贫人员",
    "边缘易致贫": "边缘易致贫人员",
    "突发严重困难户": "防止返贫监测对象",
    "脱贫不稳定户": "防止返贫监测对象",
}


class _Bad(Exception):
    pass


# ---------------------------------------------------------------- cells


def _date(value: Any, label: str, *, required: bool = True) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Bad(f"{label}不能为空")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = cell_text(value)
        if len(text) == 8 and text.isdigit():
            value = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    elif isinstance(value, str) and len(value.strip()) == 8 and value.strip().isdigit():
        t = value.strip()
        value = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    try:
        return parse_date(value, label)
    except DomainError as err:
        raise _Bad(err.message) from None


def _text(value: Any, label: str, max_len: int, *, required: bool = True) -> str | None:
    text = cell_text(value)
    if not text:
        if required:
            raise _Bad(f"{label}不能为空")
        return None
    if len(text) > max_len:
        raise _Bad(f"{label}过长（最多{max_len}个字）")
    return text


def _category(value: Any) -> str:
    text = cell_text(value).replace(" ", "")
    cat = CATEGORY_EXTRA_ALIASES.get(text, CATEGORY_ALIASES.get(text, text))
    if cat not in CATEGORIES:
        raise _Bad(f"人员类别“{text}”不是可选值，可选：{'、'.join(CATEGORIES)}")
    return cat


def _full_time(value: Any) -> bool:
    text = cell_text(value)
    if text in ("", "全日制", "是", "全职"):
        return True
    if text in ("非全日制", "否", "兼职", "灵活就业"):
        return False
    raise _Bad(f"用工形式“{text}”只能为 全日制 或 非全日制")


def _office(value: Any) -> str:
    text = cell_text(value).replace(" ", "")
    aliases = {
        "党支部书记": "党组织书记",
        "村党支部书记": "党组织书记",
        "支书": "党组织书记",
        "书记": "党组织书记",
        "村主任": "村委会主任",
        "主任": "村委会主任",
        "副主任": "村委会副主任",
        "文书": "村文书",
        "监委会主任": "村务监督委员会主任",
        "副书记": "党组织副书记",
    }
    office = aliases.get(text, text)
    if office not in CADRE_OFFICES:
        raise _Bad(f"职务“{text}”不是可选值，可选：{'、'.join(CADRE_OFFICES)}")
    return office


def _parse(kind: str, values: dict, today: date) -> dict:
    out: dict = {}
    if kind == "deaths":
        out["death_date"] = _date(values.get("death_date"), "死亡日期")
        if out["death_date"] > today:
            raise _Bad(f"死亡日期{out['death_date'].isoformat()}晚于今天")
    elif kind == "employment":
        out["employer"] = _text(values.get("employer"), "单位名称", 200)
        out["start_on"] = _date(values.get("start_on"), "参保开始日期")
        out["end_on"] = _date(values.get("end_on"), "参保结束日期", required=False)
        out["full_time"] = _full_time(values.get("full_time"))
    elif kind == "external_posts":
        out["department"] = _text(values.get("department"), "主管部门", 50, required=False)
        out["post_name"] = _text(values.get("post_name"), "岗位名称", 100)
        out["start_on"] = _date(values.get("start_on"), "上岗日期")
        out["end_on"] = _date(values.get("end_on"), "离岗日期", required=False)
    elif kind == "cadres":
        out["village"] = _text(values.get("village"), "村区划代码", 12, required=False)
        out["office"] = _office(values.get("office"))
        out["start_on"] = _date(values.get("term_start"), "任期开始")
        out["end_on"] = _date(values.get("term_end"), "任期结束", required=False)
    elif kind == "categories":
        out["category"] = _category(values.get("category"))
        out["start_on"] = _date(values.get("start_on"), "认定日期")
        out["end_on"] = _date(values.get("end_on"), "退出日期", required=False)
    if out.get("end_on") and out.get("start_on") and out["end_on"] < out["start_on"]:
        raise _Bad(f"结束日期{out['end_on'].isoformat()}早于开始日期{out['start_on'].isoformat()}")
    return out
