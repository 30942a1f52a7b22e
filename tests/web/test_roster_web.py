"""花名册 pages: upload → check → 确认导入, refusals, template, export, permissions."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from pwposts.models.audit import AuditEntry
from pwposts.models.people import Person
from tests.builders import make_id_number
from tests.services.test_roster import HEADERS, person_row, workbook


def counts(session):
    session.expire_all()
    return session.scalar(select(func.count(Person.id))), session.scalar(select(func.count(AuditEntry.id)))


def upload(client, rows=None, *, data: io.BytesIO | None = None, name="花名册.xlsx"):
    body = data if data is not None else workbook(rows)
    return client.post(
        "/people/roster/import", data={"file": (body, name)}, content_type="multipart/form-data"
    )


def token_of(response) -> str:
    m = re.search(r'name="token" value="([0-9a-f]{32})"', response.get_data(as_text=True))
    assert m, response.get_data(as_text=True)[:2000]
    return m.group(1)


def bad_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize(
    "user, form, post, export",
    [
        ("admin", 200, 422, 200),
        ("town", 200, 422, 200),
        ("village", 200, 422, 200),
        ("inspector", 403, 403, 200),
        ("holder", 403, 403, 403),
    ],
)
def test_role_matrix(login_as, user, form, post, export):
    client = login_as(user)
    assert client.get("/people/roster/import").status_code == form
    assert client.post("/people/roster/import", data={}).status_code == post
    assert client.get("/people/roster/template").status_code == form
    assert client.get("/people/roster/export").status_code == export


def test_anonymous_is_sent_to_login(client, county):
    r = client.get("/people/roster/export")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_inspector_cannot_upload_a_file(login_as, session):
    client = login_as("inspector")
    before = counts(session)
    r = upload(client, [person_row("甲", make_id_number(date(1980, 1, 1), "M"))])
    assert r.status_code == 403
    assert counts(session) == before


def test_refused_file_shows_one_line_per_problem_and_changes_nothing(login_as, session):
    client = login_as("admin")
    dup = make_id_number(date(1979, 4, 5), "F")
    bad = bad_check_digit(make_id_number(date(1990, 6, 7), "M"))
    rows = [
        person_row("陈一", make_id_number(date(1980, 1, 2), "M")),
        person_row("陈二", bad),
        person_row("陈三", make_id_number(date(1982, 3, 3), "M"), "522701999999"),
        person_row("陈四", dup),
        person_row("陈四", dup),
    ]
    before = counts(session)
    r = upload(client, rows)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == 3
    assert "校验位错误" in body and "522701999999" in body and "与第5行重复" in body
    assert "整个文件均未导入" in html
    assert counts(session) == before

    report = re.search(r'href="(/people/roster/import/errors/[0-9a-f]{32}\.xlsx)"', html).group(1)
    x = client.get(report)
    assert x.status_code == 200 and "filename*=UTF-8''" in x.headers["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(x.data)).active
    lines = [row for row in ws.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert [(r[0], r[1]) for r in lines] == [(3, "身份证号"), (4, "所在村组"), (6, "身份证号")]
    # another user cannot fetch it
    assert login_as("town").get(report).status_code == 404


def test_upload_preview_confirm_then_reimport_is_no_change(login_as, session, app):
    client = login_as("town")
    rows = [
        person_row(
            "吴一",
            make_id_number(date(1970, 1, 1), "M"),
            "东坪二村1组",
            household="DP2-01",
            categories="脱贫人口",
        ),
        person_row("吴二", make_id_number(date(1972, 2, 2), "F"), "东坪二村1组", household="DP2-01"),
    ]
    before = counts(session)
    r = upload(client, rows)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "确认导入" in html and "data-confirm=" in html
    assert counts(session) == before  # checking writes nothing
    token = token_of(r)
    assert (Path(app.instance_path) / "roster_uploads" / f"{token}.rows.json.gz").exists()

    r = client.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 200 and "导入完成" in r.get_data(as_text=True)
    assert counts(session) == (before[0] + 2, before[1] + 3)
    assert not (Path(app.instance_path) / "roster_uploads" / f"{token}.rows.json.gz").exists()

    # confirming twice does nothing
    r = client.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 302
    assert counts(session) == (before[0] + 2, before[1] + 3)

    # the same file again: 无变更, nothing written, no audit entry
    r = upload(client, rows)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "无变更" in html and "0 新增，0 更新" in html
    assert counts(session) == (before[0] + 2, before[1] + 3)


def test_confirm_token_belongs_to_its_uploader(login_as, session):
    client = login_as("admin")
    r = upload(client, [person_row("甲", make_id_number(date(1980, 1, 1), "M"))])
    token = token_of(r)
    other = login_as("town")
    r = other.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 302
    assert other.post("/people/roster/import/confirm", data={"token": "../../etc/passwd"}).status_code == 302
    assert session.scalar(select(func.count(Person.id)).where(Person.name == "甲")) == 0


def test_village_clerk_row_outside_village_refused(login_as, session):
    client = login_as("village")
    before = counts(session)
    r = upload(
        client,
        [
            person_row("本村人", make_id_number(date(1980, 1, 1), "M"), "东坪一村"),
            person_row("外村人", make_id_number(date(1981, 1, 1), "M"), "西岭一村"),
        ],
    )
    assert r.status_code == 422
    assert "不在您的管辖范围" in r.get_data(as_text=True)
    assert counts(session) == before


def test_unreadable_and_headerless_files_are_refused(login_as):
    client = login_as("admin")
    r = upload(client, data=io.BytesIO(b"not an excel file"), name="a.xlsx")
    assert r.status_code == 422 and "无法读取" in r.get_data(as_text=True)
    r = upload(client, data=io.BytesIO(b"x"), name="old.xls")
    assert r.status_code == 422 and "另存为" in r.get_data(as_text=True)
    r = upload(client, data=workbook([], headers=["姓名", "身份证号"]))
    assert r.status_code == 422 and "所在村组" in r.get_data(as_text=True)
    r = client.post("/people/roster/import", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "请选择" in r.get_data(as_text=True)


def test_template_download(login_as):
    r = login_as("village").get("/people/roster/template")
    assert r.status_code == 200
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["花名册", "填写说明"]
    assert [c.value for c in wb["花名册"][1]] == HEADERS
    assert wb["花名册"]["G2"].value == "东坪一村3组"


def test_export_round_trips_through_import_with_zero_changes(login_as, session):
    client = login_as("admin")
    r = client.get("/people/roster/export")
    assert r.status_code == 200
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment") and "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C" in cd
    assert r.headers["Cache-Control"] == "no-store"
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 6  # header + 5 persons of the county
    before = counts(session)
    r = upload(client, data=io.BytesIO(r.data), name="花名册_青山县.xlsx")
    assert r.status_code == 200 and "0 新增，0 更新" in r.get_data(as_text=True)
    assert counts(session) == before


def test_export_honours_list_filters_and_scope(login_as, county):
    client = login_as("admin")
    r = client.get(f"/people/roster/export?village={county.villages[2].id}")
    names = [
        row[1]
        for row in openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert names == ["赵喆"]
    r = login_as("otherTown").get("/people/roster/export?q=王秀英")
    assert openpyxl.load_workbook(io.BytesIO(r.data)).active.max_row == 1  # outside 西岭乡: header only


def test_export_masks_ids_for_inspector(login_as, county):
    r = login_as("inspector").get("/people/roster/export?q=赵喆")
    row = list(openpyxl.load_workbook(io.BytesIO(r.data)).active.iter_rows(min_row=2, values_only=True))[0]
    assert "********" in row[2] and county.persons["zhao"].id_number not in row


def test_people_list_links_to_import_and_export(login_as):
    html = login_as("admin").get("/people/").get_data(as_text=True)
    assert "/people/roster/export" in html and "/people/roster/import" in html
    html = login_as("inspector").get("/people/").get_data(as_text=True)
    assert "/people/roster/export" in html and "/people/roster/import" not in html


def _big_rows(n: int, start: date = date(1960, 1, 1)):
    from datetime import timedelta

    return [
        person_row(
            "批量" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "一二三四五六七八九十"[i // 10 % 10],
            make_id_number(start + timedelta(days=i), "M" if i % 2 else "F"),
            f"东坪二村{i % 5 + 1}组",
            household=f"DPB-{i // 3:03d}",
            categories="脱贫人口" if i % 4 == 0 else "",
        )
        for i in range(n)
    ]


def test_confirm_writes_the_checked_rows_and_the_audit_chain_verifies(login_as, session, app):
    """Set-based write: 60 persons, their categories, 61 audit entries — `pwposts audit verify` passes."""
    client = login_as("town")
    before = counts(session)
    r = upload(client, _big_rows(60))
    token = token_of(r)
    r = client.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 200 and "导入完成" in r.get_data(as_text=True)
    assert counts(session) == (before[0] + 60, before[1] + 61)
    p = session.scalar(select(Person).where(Person.name == "批量甲一"))
    assert p.household is not None and p.household.code == "DPB-000" and p.group_name == "1组"
    assert [c.category for c in p.categories] == ["脱贫人口"]
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(61)).all()[::-1]
    assert [e.action for e in entries] == ["create_person"] * 60 + ["import_roster"]
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[0].object_id == str(p.id)
    ok = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "审计链完整" in ok.output, ok.output

    # an update through the same path: the changed fields only, chained on
    rows = [
        person_row(
            "批量甲一",
            p.id_number,
            "东坪二村1组",
            household="DPB-000",
            phone="13812345678",
        )
    ]
    token = token_of(upload(client, rows))
    r = client.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 200 and "导入完成" in r.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Person.phone).where(Person.name == "批量甲一")) == "13812345678"
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
    assert [e.action for e in last] == ["import_roster", "update_person"] and '"phone"' in last[1].after_json
    ok = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output


def test_two_clicks_on_confirm_one_wins_the_other_is_refused_with_409(login_as, session, app, monkeypatch):
    """The second click arrives while the first is still writing: it finds the token claimed."""
    from pwposts.services import roster as roster_service

    client = login_as("town")
    before = counts(session)
    token = token_of(upload(client, _big_rows(3)))
    second = {}
    real = roster_service.apply_import

    def slow_apply(*a, **k):  # the other clerk's click, arriving mid-write
        second["response"] = client.post("/people/roster/import/confirm", data={"token": token})
        return real(*a, **k)

    monkeypatch.setattr(roster_service, "apply_import", slow_apply)
    r = client.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 200 and "导入完成" in r.get_data(as_text=True)
    refused = second["response"]
    assert refused.status_code == 409 and "请勿重复提交" in refused.get_data(as_text=True)
    assert counts(session) == (before[0] + 3, before[1] + 4)


def test_rows_kept_at_the_check_that_were_altered_are_refused(login_as, session, app):
    client = login_as("town")
    before = counts(session)
    token = token_of(upload(client, _big_rows(2)))
    kept = Path(app.instance_path) / "roster_uploads" / f"{token}.rows.json.gz"
    import gzip

    kept.write_bytes(
        gzip.compress(gzip.decompress(kept.read_bytes()).replace("批量".encode(), "篡改".encode()))
    )
    r = client.post("/people/roster/import/confirm", data={"token": token})
    assert r.status_code == 422 and "被改动" in r.get_data(as_text=True)
    assert counts(session) == before


def test_a_duplicate_written_between_check_and_confirm_is_caught_at_confirm(login_as, session):
    """Two clerks check files with the same new person; the first confirms; the second's confirm re-checks
    the ID numbers against the database and finds the person now registered under another name."""
    rows = _big_rows(1)
    first, second = login_as("town"), login_as("admin")
    t1 = token_of(upload(first, rows))
    other = [person_row("别名", rows[0]["id_number"], "东坪二村1组")]
    t2 = token_of(upload(second, other))
    assert first.post("/people/roster/import/confirm", data={"token": t1}).status_code == 200
    before = counts(session)
    r = second.post("/people/roster/import/confirm", data={"token": t2})
    assert r.status_code == 422 and "登记的姓名为“批量甲一”" in r.get_data(as_text=True)
    assert counts(session) == before
