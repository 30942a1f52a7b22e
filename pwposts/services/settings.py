"""County settings in force on a date, and changing them (audited, from an effective date)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain import settings as spec
from ..domain.errors import DomainError
from ..models.people import Region
from ..models.policy import CountySetting, Holiday
from . import audit


def county_of(session: Session, region: Region) -> Region:
    """The county a region belongs to."""
    r = region
    while r.level != "county":
        r = r.parent
    return r


def setting(session: Session, county_id: int, key: str, on: date) -> str:
    """The raw value of `key` in force on `on` (the DOMAIN.md default when never set)."""
    rows = session.execute(
        select(CountySetting.key, CountySetting.value, CountySetting.effective_from).where(
            CountySetting.county_id == county_id, CountySetting.key == key
        )
    ).all()
    return spec.value_on(rows, key, on)


def int_setting(session: Session, county_id: int, key: str, on: date) -> int | None:
    value = setting(session, county_id, key, on)
    return int(value) if value != "" else None


def all_settings(session: Session, county_id: int, on: date) -> dict[str, str]:
    rows = session.execute(
        select(CountySetting.key, CountySetting.value, CountySetting.effective_from).where(
            CountySetting.county_id == county_id
        )
    ).all()
    return {s.key: spec.value_on(rows, s.key, on) for s in spec.SPECS}


def change_setting(
    session: Session,
    actor,
    county: Region,
    key: str,
    raw_value: str,
    effective_from: date,
    note: str | None,
    today: date,
) -> CountySetting:
    """Record a new value from `effective_from` (not in the past, so history is never rewritten)."""
    if county.level != "county":
        raise DomainError("setting_scope", "县级设置只能在县一级修改")
    value = spec.validate_setting(key, raw_value)
    if effective_from < today:
        raise DomainError(
            "setting_backdated",
            f"生效日期{effective_from.isoformat()}早于今天{today.isoformat()}：设置不得追溯生效，请选择今天或以后的日期",
        )
    actor_id = getattr(
        actor, "id", None
    )  # read before a pending row exists: an expired actor refreshes (autoflush)
    before = setting(session, county.id, key, effective_from)
    row = session.scalar(
        select(CountySetting).where(
            CountySetting.county_id == county.id,
            CountySetting.key == key,
            CountySetting.effective_from == effective_from,
        )
    )
    if row is None:
        row = CountySetting(county_id=county.id, key=key, effective_from=effective_from)
        session.add(row)
    row.value, row.note, row.changed_by_id = value, note, actor_id
    session.flush()
    audit.record(
        session,
        actor,
        "change_setting",
        "county_setting",
        row.id,
        before={"key": key, "value": before},
        after={"key": key, "value": value, "effective_from": effective_from},
        summary=(
            f"{spec.BY_KEY[key].label}：{before or '（不设）'} → {value or '（不设）'}，"
            f"自{effective_from.isoformat()}起"
        ),
    )
    return row


def calendar_exceptions(session: Session, county_id: int, start: date, end: date) -> dict[date, bool]:
    """{day: is_workday} for holidays and make-up working days between start and end: the national
    calendar (domain/national_calendar, from the chinesecalendar package) with the county's own days
    on top of it."""
    from ..domain.national_calendar import national_exceptions

    out = national_exceptions(start, end)
    rows = session.execute(
        select(Holiday.day, Holiday.is_workday).where(
            Holiday.county_id == county_id, Holiday.day >= start, Holiday.day <= end
        )
    ).all()
    out.update({d: w for d, w in rows})
    return out


def add_holiday(
    session: Session, actor, county: Region, day: date, name: str, is_workday: bool, today: date
) -> Holiday:
    """Put one day on the county calendar: a holiday, or a make-up working day on a weekend."""
    label = spec.check_calendar_day(day, name, is_workday, today)
    if session.scalar(select(Holiday.id).where(Holiday.county_id == county.id, Holiday.day == day)):
        raise DomainError(
            "holiday_exists", f"{day.isoformat()}已在日历中登记；如需更改请用导入（同日期覆盖）"
        )
    row = Holiday(county_id=county.id, day=day, name=label, is_workday=is_workday)
    session.add(row)
    session.flush()
    kind = "调休上班" if is_workday else "节假日"
    audit.record(
        session,
        actor,
        "add_holiday",
        "holiday",
        row.id,
        after={"day": day, "name": label, "is_workday": is_workday},
        summary=f"登记{kind}：{day.isoformat()} {label}",
    )
    return row


def import_holidays(
    session: Session,
    actor,
    county: Region,
    rows: list[tuple[int, date, str, bool]],
    today: date,
    read_errors: list[str] = (),
) -> dict[str, int]:
    """Import (row number, day, name, is_workday) rows, all or nothing: every row's error is listed
    (DomainError.details) and nothing is written unless all rows pass. A day already on the calendar
    is overwritten; an identical row is left alone. `read_errors` are the rows the file reader could
    not read, reported together with these. Returns counts of added / changed / unchanged."""
    existing = {
        h.day: h for h in session.scalars(select(Holiday).where(Holiday.county_id == county.id)).all()
    }
    errors, seen, plan = list(read_errors), {}, []
    for line, day, name, is_workday in rows:
        if day in seen:
            errors.append(f"第{line}行：日期{day.isoformat()}与第{seen[day]}行重复")
            continue
        seen[day] = line
        old = existing.get(day)
        if old is not None and old.name == (name or "").strip() and old.is_workday == is_workday:
            plan.append((None, day, name, is_workday))
            continue
        try:
            label = spec.check_calendar_day(day, name, is_workday, today)
        except DomainError as err:
            errors.append(f"第{line}行：{err.message}")
            continue
        plan.append((old if old is not None else "new", day, label, is_workday))
    if not rows and not errors:
        raise DomainError("import_empty", "文件中没有节假日数据行")
    if errors:
        raise DomainError(
            "import_rows_invalid",
            f"节假日导入未执行：{len(errors)}行有错误，请改正后重新导入",
            details=errors,
        )
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    for target, day, label, is_workday in plan:
        if target is None:
            counts["unchanged"] += 1
        elif target == "new":
            session.add(Holiday(county_id=county.id, day=day, name=label, is_workday=is_workday))
            counts["added"] += 1
        else:
            target.name, target.is_workday = label, is_workday
            counts["changed"] += 1
    session.flush()
    audit.record(
        session,
        actor,
        "import_holidays",
        "holiday",
        None,
        after={"days": [(d, label, w) for t, d, label, w in plan if t is not None], **counts},
        summary=f"导入节假日日历：新增{counts['added']}天，更改{counts['changed']}天，"
        f"未变{counts['unchanged']}天",
    )
    return counts
