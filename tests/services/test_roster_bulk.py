"""The roster import's set-based path: the cell checks that answer once per distinct value, the ID number's
fast path, the rows written as plain tuples (services/bulk.py) and the audit `after` made canonical once."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from pwposts.domain.errors import DomainError
from pwposts.domain.people import parse_id_number
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Household, Person
from pwposts.services import audit, bulk
from pwposts.services.roster_cells import _Bad, parse_id_cell
from tests.builders import make_id_number
from tests.conftest import NOW
from tests.services.test_roster import person_row, run

TODAY = date(2026, 11, 25)


def _answer(fn, value):
    try:
        return fn(value)
    except (DomainError, _Bad) as err:
        return str(getattr(err, "message", err))


@pytest.mark.parametrize(
    "text",
    [
        make_id_number(date(1980, 1, 2), "M"),
        make_id_number(date(1975, 12, 31), "F"),
        make_id_number(date(1980, 1, 2), "M")[:17] + "0",  # check digit wrong (or right: both compared)
        make_id_number(date(1980, 1, 2), "M")[:17] + "1",
        "52279919800230001X",  # 30 February
        "522799203001010011",  # born after today
        "522799189901010011",  # before 1900
        "52279919800102001x",  # lower-case x: the slow path folds it
        "５２２７９９１９８００１０２００１Ｘ",  # full-width: the slow path folds it
        "52279919800102001",  # 17 characters
    ],
)
def test_the_id_number_fast_path_answers_as_the_rule(text):
    def rule(v):
        return parse_id_number(v, today=TODAY)

    assert _answer(lambda v: parse_id_cell(v, TODAY), text) == _answer(rule, text)


def test_a_repeated_bad_value_is_refused_on_every_row_that_holds_it(session, county):
    admin = county.users["admin"]
    rows = [
        person_row("张三", make_id_number(date(1980, 1, 2), "M"), village="无此村", categories="外星人"),
        person_row("李四", make_id_number(date(1981, 1, 2), "F"), village="无此村", categories="外星人"),
    ]
    result = run(session, admin, rows, apply=False)
    assert sorted((e.row, e.column) for e in result.errors) == [
        (2, "人员类别"),
        (2, "所在村组"),
        (3, "人员类别"),
        (3, "所在村组"),
    ]
    reasons = {(e.row, e.column): e.reason for e in result.errors}
    assert reasons[2, "所在村组"] == reasons[3, "所在村组"] and "无此村" in reasons[2, "所在村组"]


def test_created_persons_are_stamped_with_the_bound_now_and_audited_in_canonical_form(session, county):
    admin = county.users["admin"]
    numbers = [make_id_number(date(1980, 1, 2), "M"), make_id_number(date(1981, 3, 4), "F")]
    rows = [
        person_row(
            "张三", numbers[0], household="HH-BULK-1", categories="低保户、脱贫户", phone="13900000001"
        ),
        person_row("李四", numbers[1], household="HH-BULK-1"),
    ]
    result = run(session, admin, rows)
    assert result.created == 2 and len(result.new_households) == 1
    persons = session.scalars(select(Person).where(Person.id_number.in_(numbers)).order_by(Person.id)).all()
    assert [p.created_at for p in persons] == [NOW, NOW] and [p.birth_date for p in persons][1] == date(
        1981, 3, 4
    )
    assert persons[0].household_id == persons[1].household_id is not None
    assert sorted(c.category for c in persons[0].categories) == sorted(["农村低收入人口", "脱贫人口"])
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "create_person").order_by(AuditEntry.id)
    ).all()[-2:]
    after = json.loads(entries[0].after_json)
    assert entries[0].after_json == audit.canonical(after)  # stored as canonical() gives it
    assert after["categories"] == ["脱贫人口", "农村低收入人口"] and after["household"] == "HH-BULK-1"
    assert after["birth_date"] == "1980-01-02" and "（" in after["village"]  # the village's label with code
    assert [e.object_id for e in entries] == [str(p.id) for p in persons]
    assert audit.verify_chain(session).ok


def test_insert_tuples_keeps_the_list_order_and_canonical_passes_through(session, county):
    village = county.villages[0] if hasattr(county, "villages") else None
    village_id = village.id if village is not None else session.scalar(select(Person.village_id).limit(1))
    codes = [f"BULK-{i:03d}" for i in (5, 1, 9, 3)]
    bulk.insert_tuples(session, Household.__table__, ("code", "village_id"), [(c, village_id) for c in codes])
    got = session.scalars(select(Household.code).where(Household.code.like("BULK-%")).order_by(Household.id))
    assert list(got) == codes
    assert audit.canonical(audit.Canonical('{"b":1,"a":2}')) == '{"b":1,"a":2}'
    assert audit.canonical({"b": 1, "a": [2, None]}) == '{"a":[2,null],"b":1}'
