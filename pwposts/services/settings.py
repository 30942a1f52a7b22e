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
        select(CountySetting.key, CountySetting.value, CountySetting.effective_from)
        .where(CountySetting.county_id == county_id, CountySetting.key == key)
    ).all()
    return spec.value_on(rows, key, on)


def int_setting(session: Session, county_id: int, key: str, on: date) -> int | None:
    value = setting(session, county_id, key, on)
    return int(value) if value != "" else None


def all_settings(session: Session, county_id: int, on: date) -> dict[str, str]:
    rows = session.execute(
        select(CountySetting.key, CountySetting.value, CountySetting.effective_from)
        .where(CountySetting.county_id == county_id)
    ).all()
    return {s.key: spec.value_on(rows, s.key, on) for s in spec.SPECS}


def change_setting(session: Session, actor, county: Region, key: str, raw_value: str, effective_from: date,
                   note: str | None, today: date) -> CountySetting:
    """Record a new value from `effective_from` (not in the past, so history is never rewritten)."""
    if county.level != "county":
        raise DomainError("setting_scope", "县级设置只能在县一级修改")
    value = spec.validate_setting(key, raw_value)
    if effective_from < today:
        raise DomainError("setting_backdated",
                          f"生效日期{effective_from.isoformat()}早于今天{today.isoformat()}：设置不得追溯生效，请选择今天或以后的日期")
    before = setting(session, county.id, key, effective_from)
    row = session.scalar(select(CountySetting).where(CountySetting.county_id == county.id, CountySetting.key == key,
                                                     CountySetting.effective_from == effective_from))
    if row is None:
        row = CountySetting(county_id=county.id, key=key, effective_from=effective_from)
        session.add(row)
    row.value, row.note, row.changed_by_id = value, note, getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "change_setting", "county_setting", row.id,
                 before={"key": key, "value": before}, after={"key": key, "value": value,
                                                              "effective_from": effective_from},
                 summary=f"{spec.BY_KEY[key].label}：{before or '（不设）'} → {value or '（不设）'}，自{effective_from.isoformat()}起")
    return row


def calendar_exceptions(session: Session, county_id: int, start: date, end: date) -> dict[date, bool]:
    """{day: is_workday} for holidays and make-up working days between start and end."""
    rows = session.execute(select(Holiday.day, Holiday.is_workday).where(
        Holiday.county_id == county_id, Holiday.day >= start, Holiday.day <= end)).all()
    return {d: w for d, w in rows}
