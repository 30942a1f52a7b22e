"""花名册 import/export service: whole-file validation, all-or-nothing upsert, audit, round trip."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from pwposts.documents import roster_xlsx
from pwposts.documents.roster_xlsx import COLUMNS, read_roster
from pwposts.domain.errors import DomainError
from pwposts.models.audit import AuditEntry
from pwposts.models.people import Household, Person
from pwposts.services import roster
from pwposts.services.people import PersonFilter
from tests.builders import make_id_number

TODAY = date(2026, 11, 25)
HEADERS = [h for _, h in COLUMNS]
KEY = {h: k for k, h in COLUMNS}


def workbook(rows: list[dict], headers=HEADERS, *, title: str | None = None) -> io.BytesIO:
    """A roster .xlsx built the way a user would: optional title row, header row, data rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    if title:
        ws.append([title])
    ws.append(list(headers))
    for r in rows:
        ws.append([r.get(KEY.get(h, h)) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def sheet(rows, **kw):
    return read_roster(workbook(rows, **kw))


def person_row(name, id_number, village="东坪一村", **extra):
    return {"name": name, "id_number": id_number, "village": village, **extra}


def counts(session):
    return (
        session.scalar(select(func.count(Person.id))),
        session.scalar(select(func.count(AuditEntry.id))),
        session.scalar(select(func.count(Household.id))),
    )


def run(session, actor, rows, *, apply=True, **kw):
    result = roster.import_roster(session, actor, sheet(rows, **kw), TODAY, filename="测试.xlsx", apply=apply)
    session.commit()
    return result


def new_id(birth=date(1980, 1, 2), sex="M"):
    return make_id_number(birth, sex)


# ---------------------------------------------------------------- refusal


def test_file_with_bad_check_digit_unknown_village_and_duplicate_is_refused_whole(session, county):
    admin = county.users["admin"]
    good = new_id()
    dup = new_id(date(1979, 4, 5), "F")
    bad = new_id(date(1990, 6, 7))
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    before = counts(session)
    rows = [
        person_row("陈一", good),  # row 2: fine
        person_row("陈二", bad),  # row 3: check digit
        person_row("陈三", new_id(date(1982, 3, 3)), "522701999999"),  # row 4: unknown village code
        person_row("陈四", dup),  # row 5
        person_row("陈四", dup),  # row 6: duplicate of row 5
    ]
    result = run(session, admin, rows)
    assert not result.ok and not result.applied
    assert [(e.row, e.column) for e in result.errors] == [(3, "身份证号"), (4, "所在村组"), (6, "身份证号")]
    assert "校验位错误" in result.errors[0].reason
    assert "522701999999" in result.errors[1].reason
    assert "第5行" in result.errors[2].reason and "重复" in result.errors[2].reason
    assert counts(session) == before


@pytest.mark.parametrize(
    "raw, code_word",
    [
        ("52270119800102001", "18位"),
        ("52270119800102001A", "非法字符"),
        ("522701198002300011", "不是有效日期"),
    ],
)
def test_each_kind_of_bad_id_number_has_its_reason(session, county, raw, code_word):
    result = run(session, county.users["admin"], [person_row("某人", raw)])
    assert len(result.errors) == 1
    assert code_word in result.errors[0].reason


def test_id_number_stored_as_number_is_explained(session, county):
    result = run(session, county.users["admin"], [person_row("某人", 5.22701198001020e17)])
    assert len(result.errors) == 1
    assert "文本" in result.errors[0].reason and "E+17" in result.errors[0].reason


def test_other_row_errors_each_named(session, county):
    rows = [
        person_row("", new_id()),
        person_row("甲", new_id(), categories="脱贫人口、贫困户"),
        person_row("乙", new_id(), work_capacity="强劳力"),
        person_row("丙", new_id(), phone="12345"),
        person_row("丁", new_id(), account_no="6217 0000 abcd"),
        person_row("戊", new_id(), village="不存在村"),
        person_row("己", new_id(), village="东坪一村张家寨"),
    ]
    result = run(session, county.users["admin"], rows)
    got = [(e.row, e.column) for e in result.errors]
    assert got == [
        (2, "姓名"),
        (3, "人员类别"),
        (4, "劳动能力"),
        (5, "联系电话"),
        (6, "银行/社保卡账号"),
        (7, "所在村组"),
        (8, "所在村组"),
    ]
    assert "贫困户" in result.errors[1].reason
    assert "不存在村" in result.errors[5].reason


def test_missing_required_header_names_it(session, county):
    headers = [h for h in HEADERS if h != "所在村组"]
    with pytest.raises(DomainError) as err:
        sheet([person_row("甲", new_id())], headers=headers)
    assert "所在村组" in err.value.message


def test_headers_found_despite_title_row_spacing_fullwidth_and_order(session, county):
    headers = ["身 份 证 号码", "＊姓名", "所在村组 ", "联系电话（手机）", "备注", "银行／社保卡账号"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["青山县乡村公益性岗位人员花名册"])
    ws.append(headers)
    idn = new_id()
    ws.append([idn, " 孙 悟 ", "东坪一村 3组", "138 0013 8000", "x", "6217000011112222333"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    s = read_roster(buf)
    assert s.header_row == 2 and s.unknown_headers == ["备注"]
    result = roster.import_roster(session, county.users["admin"], s, TODAY, apply=True)
    session.commit()
    assert result.ok and result.created == 1
    p = session.scalar(select(Person).where(Person.id_number == idn))
    assert (p.name, p.group_name, p.phone, p.account_no) == (
        "孙悟",
        "3组",
        "13800138000",
        "6217000011112222333",
    )


# ---------------------------------------------------------------- import


def test_valid_file_imports_then_reimport_changes_nothing(session, county):
    admin = county.users["admin"]
    wang = county.persons["wang"]
    v1 = county.villages[1]
    a, b = new_id(date(1966, 7, 1), "F"), new_id(date(1990, 2, 3), "M")
    rows = [
        person_row(
            "周一",
            a,
            f"{v1.code}",
            household="H-NEW-1",
            categories="脱贫人口，大龄",
            work_capacity="",
            phone="0851-12345678",
            account_no="6217000000000000001",
            account_name="周一",
            account_kind="银行卡",
        ),
        person_row("周二", b, "东坪二村2组", household="H-NEW-1", categories="低保"),
        person_row(
            "王秀英", wang.id_number, "东坪一村", categories="脱贫人口、持证残疾人", phone="13900000000"
        ),
    ]
    audit_before = counts(session)[1]
    result = run(session, admin, rows)
    assert result.ok and result.applied
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)

    p = session.scalar(select(Person).where(Person.id_number == a))
    assert (p.birth_date, p.sex, p.work_capacity, p.village_id) == (date(1966, 7, 1), "F", "全劳力", v1.id)
    assert p.phone == "0851-12345678" and p.account_kind == "银行卡"
    assert sorted((c.category, c.start_on) for c in p.categories) == [("大龄", TODAY), ("脱贫人口", TODAY)]
    q = session.scalar(select(Person).where(Person.id_number == b))
    assert q.household_id == p.household_id and p.household.village_id == v1.id and q.group_name == "2组"
    assert [c.category for c in q.categories] == ["农村低收入人口"]

    session.refresh(wang)
    assert wang.phone == "13900000000"
    assert wang.work_capacity == "弱劳力"  # blank cell: unchanged
    cats = {c.category: c.start_on for c in wang.categories}
    assert cats == {"脱贫人口": date(2020, 1, 1), "持证残疾人": TODAY}

    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[audit_before:]
    assert [e.action for e in entries] == ["create_person", "create_person", "update_person", "import_roster"]
    upd = entries[2]
    assert (
        '"phone"' in upd.before_json and "持证残疾人" in upd.after_json and "birth_date" not in upd.after_json
    )
    assert '"created":2' in entries[3].after_json

    # the same file again: nothing to do, nothing written
    before = counts(session)
    again = run(session, admin, rows)
    assert again.ok and not again.applied
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts(session) == before


def test_existing_id_number_with_another_name_is_refused(session, county):
    li = county.persons["li"]
    result = run(session, county.users["admin"], [person_row("李建军", li.id_number, phone="13911112222")])
    assert [(e.row, e.column) for e in result.errors] == [(2, "姓名")]
    assert "李建国" in result.errors[0].reason
    session.refresh(li)
    assert li.phone != "13911112222"


def test_categories_missing_from_row_are_not_ended(session, county):
    li = county.persons["li"]
    result = run(
        session, county.users["admin"], [person_row("李建国", li.id_number, categories="持证残疾人")]
    )
    assert result.updated == 1
    session.refresh(li)
    assert {c.category: c.end_on for c in li.categories} == {"脱贫人口": None, "持证残疾人": None}


def test_person_outside_scope_and_household_in_other_village_are_errors(session, county):
    town = county.users["town"]  # township 东坪镇: villages[0] and [1]
    zhao = county.persons["zhao"]  # lives in 西岭一村
    wang = county.persons["wang"]
    rows = [
        person_row("赵喆", zhao.id_number, "东坪一村"),
        person_row("新人", new_id(), "东坪二村", household=wang.household.code),
        person_row("西岭人", new_id(), "西岭一村"),
    ]
    result = run(session, town, rows)
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号"), (3, "户编号"), (4, "所在村组")]
    assert "管辖范围以外" in result.errors[0].reason
    assert "东坪一村" in result.errors[1].reason
    assert "不在您的管辖范围" in result.errors[2].reason


def test_village_clerk_may_import_only_own_village(session, county):
    clerk = county.users["village"]  # 东坪一村
    before = counts(session)
    rows = [person_row("本村人", new_id(), "东坪一村"), person_row("邻村人", new_id(), "东坪二村")]
    result = run(session, clerk, rows)
    assert [(e.row, e.column) for e in result.errors] == [(3, "所在村组")]
    assert "东坪一村" in result.errors[0].reason
    assert counts(session) == before
    ok = run(session, clerk, rows[:1])
    assert ok.applied and ok.created == 1


def test_moving_village_requires_new_household(session, county):
    li = county.persons["li"]
    result = run(session, county.users["admin"], [person_row("李建国", li.id_number, "东坪二村")])
    assert [(e.row, e.column) for e in result.errors] == [(2, "户编号")]
    result = run(
        session, county.users["admin"], [person_row("李建国", li.id_number, "东坪二村", household="HH-9")]
    )
    assert result.ok and result.updated == 1
    session.refresh(li)
    assert li.village_id == county.villages[1].id and li.household.code == "HH-9"


def test_inspector_cannot_import(session, county):
    with pytest.raises(DomainError) as err:
        roster.import_roster(session, county.users["inspector"], sheet([person_row("甲", new_id())]), TODAY)
    assert err.value.status == 403


# ---------------------------------------------------------------- export


def export_bytes(session, actor, f=None) -> io.BytesIO:
    buf = io.BytesIO()
    roster_xlsx.write_roster(buf, roster.export_rows(session, actor, f or PersonFilter(), TODAY))
    buf.seek(0)
    return buf


def test_export_then_reimport_round_trips_with_zero_changes(session, county):
    admin = county.users["admin"]
    county.persons["wang"].group_name = "3组"
    session.commit()
    run(
        session,
        admin,
        [person_row("新户人", new_id(), "西岭二村5组", household="XL-1", categories="零就业家庭")],
    )
    before = counts(session)
    buf = export_bytes(session, admin)

    ws = openpyxl.load_workbook(buf).active
    assert [c.value for c in ws[1]] == HEADERS
    ids = [r[2] for r in ws.iter_rows(min_row=2)]
    assert len(ids) == 6 and all(c.data_type == "s" and c.number_format == "@" for c in ids)
    assert any(r[6].value == "东坪一村3组" for r in ws.iter_rows(min_row=2))
    buf.seek(0)
    result = roster.import_roster(session, admin, read_roster(buf), TODAY, apply=True)
    session.commit()
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert counts(session) == before


def test_export_masks_ids_for_inspector_and_honours_filters(session, county):
    buf = export_bytes(session, county.users["inspector"], PersonFilter(village_id=county.villages[2].id))
    rows = list(openpyxl.load_workbook(buf).active.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1 and rows[0][1] == "赵喆"
    assert (
        rows[0][2]
        == county.persons["zhao"].id_number[:6] + "********" + county.persons["zhao"].id_number[-4:]
    )
    assert rows[0][8].startswith("****")


def test_export_refuses_more_than_limit(session, county):
    with pytest.raises(DomainError) as err:
        roster.export_rows(session, county.users["admin"], PersonFilter(), TODAY, limit=3)
    assert "上限" in err.value.message


def test_template_has_example_row_that_import_skips(session, county):
    buf = io.BytesIO()
    roster_xlsx.write_template(buf, roster.template_example(session, county.users["village"]))
    buf.seek(0)
    wb = openpyxl.load_workbook(buf)
    assert wb.sheetnames == ["花名册", "填写说明"]
    assert [c.value for c in wb["花名册"][1]] == HEADERS
    assert wb["花名册"]["C2"].value == roster.EXAMPLE_ID_NUMBER
    help_text = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "脱贫人口" in help_text and "不会被结束" in help_text and "暂不读取" in help_text
    buf.seek(0)
    s = read_roster(buf)
    assert s.rows == []
