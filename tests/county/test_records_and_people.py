"""Records from other departments, keeping persons by hand,
and their effects on eligibility and HR's dashboard."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from pwposts.models.audit import AuditEntry
from pwposts.models.people import Cadre, EmploymentRecord, Person, PersonCategory, Relation
from pwposts.models.registry import ExternalPostRecord, ImportBatch
from pwposts.services.hiring import eligibility_for
from tests.hiring_support import make_contract, make_post


def post_file(client, kind, text, name="file.csv", department=None):
    data = {"file": (io.BytesIO(text.encode("utf-8")), name)}
    if department:
        data["department"] = department
    return client.post(
        f"/records/{kind}/import", data=data, content_type="multipart/form-data", follow_redirects=True
    )


def test_death_import_shows_on_person_page_eligibility_and_dashboard(client, session, county, login_as):
    wang = county.persons["wang"]
    post = make_post(session, county)
    make_contract(session, wang, post)
    session.commit()
    login_as("admin")
    csv = f"身份证号,姓名,死亡日期\n{wang.id_number},王秀英,2026-11-10\n"
    r = post_file(client, "deaths", csv, "民政死亡名单.csv", department="民政局")
    assert "新增1条" in r.data.decode(), r.data.decode()[-2000:]
    session.expire_all()
    wang = session.get(Person, wang.id)
    assert wang.death_date == date(2026, 11, 10) and "民政死亡名单.csv" in wang.death_source
    page = client.get(f"/people/{wang.id}").data.decode()
    assert "已于2026-11-10死亡" in page and "民政死亡名单.csv" in page
    failures = eligibility_for(session, wang, post, date(2026, 11, 25))
    dead = [f for f in failures if f.code == "dead"]
    assert dead and "民政死亡名单.csv" in dead[0].message
    assert "在岗但不再符合条件" in client.get("/").data.decode()
    affected = client.get("/people/affected").data.decode()
    assert "王秀英" in affected and "民政死亡名单.csv" in affected
    # the same file again: nothing changes, no audit entry
    audits = session.scalar(select(func.count(AuditEntry.id)))
    again = post_file(client, "deaths", csv, "民政死亡名单.csv", department="民政局")
    assert "此前已导入" in again.data.decode()
    # the same rows in another file: nothing new either
    post_file(client, "deaths", csv + "\n", "另一份.csv", department="公安局")
    assert session.scalar(select(func.count(AuditEntry.id))) == audits
    assert session.scalar(select(func.count(ImportBatch.id))) == 1


def test_death_file_with_unknown_id_or_bad_date_is_refused_whole(client, session, county, login_as):
    from tests.builders import make_id_number

    login_as("admin")
    wang, li = county.persons["wang"], county.persons["li"]
    stranger = make_id_number(date(1980, 1, 1), "M", seq=777)
    csv = (
        f"身份证号,死亡日期\n{wang.id_number},2026-11-01\n{stranger},2026-11-02\n{li.id_number},2026-02-30\n"
        f"{li.id_number[:-1]}{'1' if li.id_number[-1] == '0' else '0'},2026-11-01\n"
    )  # a wrong check digit
    r = post_file(client, "deaths", csv)
    text = r.data.decode()
    assert "整份文件未写入" in text
    assert "第3行" in text and "没有此身份证号" in text
    assert "第4行" in text and "死亡日期" in text and "2026-02-30" in text
    assert "第5行" in text and "校验位" in text
    session.expire_all()
    assert session.get(Person, wang.id).death_date is None
    assert session.scalar(select(func.count(ImportBatch.id))) == 0


def test_name_never_matches_alone_and_a_wrong_name_refuses(client, session, county, login_as):
    login_as("admin")
    wang = county.persons["wang"]
    r = post_file(client, "deaths", f"身份证号,姓名,死亡日期\n{wang.id_number},王秀兰,2026-11-01\n")
    assert "与该身份证号登记的姓名“王秀英”不符" in r.data.decode()


def test_external_roster_refuses_one_post_naming_department_and_file(client, session, county, login_as):
    li = county.persons["li"]
    post = make_post(session, county)
    session.commit()
    login_as("admin")
    csv = f"身份证号,主管部门,岗位名称,上岗日期,离岗日期\n{li.id_number},林业局,生态护林员,2026-01-01,\n"
    r = post_file(client, "external_posts", csv, "护林员花名册.csv", department="林业局")
    assert "新增1条" in r.data.decode()
    failures = [
        f for f in eligibility_for(session, li, post, date(2026, 11, 25)) if f.code == "one_person_one_post"
    ]
    assert failures and "林业局" in failures[0].message and "护林员花名册.csv" in failures[0].message
    rec = session.scalar(select(ExternalPostRecord))
    assert rec.person_id == li.id and rec.batch.source_department == "林业局"


def test_employment_import_makes_employed_elsewhere_fire(client, session, county, login_as):
    li = county.persons["li"]
    post = make_post(session, county)
    session.commit()
    login_as("admin")
    csv = (
        f"身份证号,单位名称,参保开始日期,参保结束日期,用工形式\n{li.id_number},某建材公司,20260601,,全日制\n"
    )
    assert "新增1条" in post_file(client, "employment", csv, "参保.csv").data.decode()
    failures = [
        f for f in eligibility_for(session, li, post, date(2026, 11, 25)) if f.code == "employed_elsewhere"
    ]
    assert failures and "某建材公司" in failures[0].message and "参保.csv" in failures[0].message
    # the end of the job arrives in a later file: the record changes, nothing is added
    later = csv.replace(",,全日制", ",2026-10-31,全日制")
    assert "更改1条" in post_file(client, "employment", later, "参保2.csv").data.decode()
    assert session.scalar(select(func.count(EmploymentRecord.id))) == 1
    assert not [
        f for f in eligibility_for(session, li, post, date(2026, 11, 25)) if f.code == "employed_elsewhere"
    ]


def test_category_and_cadre_lists(client, session, county, login_as):
    zhao, li = county.persons["zhao"], county.persons["li"]
    login_as("admin")
    csv = (
        f"身份证号,人员类别,认定日期,退出日期\n{zhao.id_number},监测对象,2025-03-01,\n"
        f"{li.id_number},边缘易致贫户,2025-05-01,2026-06-30\n"
    )
    assert "新增2条" in post_file(client, "categories", csv, "监测.csv").data.decode()
    assert (
        session.scalar(
            select(PersonCategory.category).where(
                PersonCategory.person_id == li.id, PersonCategory.batch_id.is_not(None)
            )
        )
        == "边缘易致贫人员"
    )
    cad = (
        "身份证号,村区划代码,职务,任期开始,任期结束\n"
        f"{li.id_number},{county.villages[0].code},文书,2024-01-01,\n"
    )
    assert "新增1条" in post_file(client, "cadres", cad, "干部.csv").data.decode()
    assert session.scalar(select(Cadre.office).where(Cadre.person_id == li.id)) == "村文书"
    for kind in ("deaths", "employment", "external_posts", "cadres", "categories"):
        assert client.get(f"/records/{kind}/template.xlsx").status_code == 200
    assert "干部.csv" in client.get("/records/").data.decode()


def test_ending_the_only_category_makes_a_later_application_ineligible(client, session, county, login_as):
    li = county.persons["li"]  # holds 脱贫人口 from 2020-01-01 only
    post = make_post(session, county)
    session.commit()
    login_as("village")
    pc = li.categories[0]
    r = client.post(
        f"/people/{li.id}/categories/{pc.id}/end",
        data={"end_on": "2026-11-30", "reason": "收入超线"},
        follow_redirects=True,
    )
    assert "已结束人员类别" in r.data.decode()
    session.expire_all()
    li = session.get(Person, li.id)
    assert not eligibility_for(session, li, post, date(2026, 11, 30))
    after = eligibility_for(session, li, post, date(2026, 12, 1))
    assert [f.code for f in after] == ["no_eligible_category"]
    assert "脱贫人口已于2026-11-30结束" in after[0].message


def test_eligible_categories_setting_narrows_who_may_be_hired(client, session, county, login_as):
    from pwposts.models.policy import CountySetting

    li = county.persons["li"]
    post = make_post(session, county)
    session.add(
        CountySetting(
            county_id=county.county.id,
            key="eligible_categories",
            value="防止返贫监测对象",
            effective_from=date(2026, 1, 1),
        )
    )
    session.commit()
    failures = eligibility_for(session, li, post, date(2026, 11, 25))
    assert [f.code for f in failures] == ["no_eligible_category"] and "防止返贫监测对象" in failures[
        0
    ].message


def test_clerk_creates_edits_and_relates_persons_within_scope(client, session, county, login_as):
    from tests.builders import make_id_number

    login_as("village")
    v0 = county.villages[0]
    number = make_id_number(date(1990, 4, 5), "F", seq=501)
    r = client.post(
        "/people/new",
        data={
            "village_id": str(v0.id),
            "id_number": number,
            "name": "陈小花",
            "phone": "13800001111",
            "household_code": "HH-NEW-1",
            "work_capacity": "半劳力",
            "cannot_leave_home": "1",
            "categories": ["脱贫人口"],
            "category_start": "2026-01-01",
        },
        follow_redirects=True,
    )
    assert "已新增人员" in r.data.decode(), r.data.decode()[-1500:]
    chen = session.scalar(select(Person).where(Person.id_number == number))
    assert chen.birth_date == date(1990, 4, 5) and chen.sex == "F" and chen.cannot_leave_home
    bad = client.post(
        "/people/new",
        data={"village_id": str(v0.id), "id_number": number[:-1] + "0", "name": "错号"},
        follow_redirects=True,
    )
    assert "校验位" in bad.data.decode()
    other_village = county.villages[2]
    assert (
        client.post(
            "/people/new", data={"village_id": str(other_village.id), "id_number": number, "name": "越权"}
        ).status_code
        == 404
    )
    r = client.post(
        f"/people/{chen.id}/edit",
        data={"name": "陈小花", "phone": "12", "work_capacity": "全劳力"},
        follow_redirects=True,
    )
    assert "联系电话" in r.data.decode()
    r = client.post(
        f"/people/{chen.id}/relations",
        data={"relative": county.persons["li"].id_number, "kind": "父母"},
        follow_redirects=True,
    )
    assert "已登记亲属关系" in r.data.decode()
    assert session.scalar(select(func.count(Relation.id))) == 2
    li_page = client.get(f"/people/{county.persons['li'].id}").data.decode()
    assert "子女" in li_page and "陈小花" in li_page  # entered once, read both ways
    r = client.post(
        f"/people/{chen.id}/household",
        data={"household_code": county.persons["li"].household.code},
        follow_redirects=True,
    )
    assert "已变更户籍" in r.data.decode()
    r = client.post(
        f"/people/{chen.id}/death",
        data={"death_date": "2026-11-20", "source": "村委会证明"},
        follow_redirects=True,
    )
    assert "已登记死亡" in r.data.decode()
    assert client.get(f"/people/{chen.id}/record").status_code == 200
    assert (
        client.post(
            f"/people/{county.persons['zhao'].id}/death", data={"death_date": "2026-11-20", "source": "x"}
        ).status_code
        == 404
    )


def test_a_death_list_writes_its_entries_in_one_pass_and_the_chain_verifies(
    client, session, county, login_as
):
    """The file's summary entry, then one record_death per person (audit.record_many), chained in order."""
    from pwposts.services.audit import verify_chain

    wang = county.persons["wang"]
    login_as("admin")
    r = post_file(
        client, "deaths", f"身份证号,姓名,死亡日期\n{wang.id_number},王秀英,2026-11-10\n", "死亡.csv"
    )
    assert "新增1条" in r.data.decode(), r.data.decode()[-2000:]
    session.expire_all()
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
    assert [e.action for e in last] == ["record_death", "import_records"]
    assert last[0].prev_hash == last[1].entry_hash and last[0].object_id == str(wang.id)
    assert verify_chain(session).ok


def test_a_department_file_is_written_set_based_within_the_drivers_parameter_limit(
    app, client, session, county, login_as
):
    """The statements an import runs do not grow with its rows, and none binds more than a chunk of values
    (psycopg refuses a statement of more than 65,535 parameters: a 100,000-row file must still import)."""
    from sqlalchemy import event

    from pwposts.extensions import db

    number = county.persons["li"].id_number
    session.rollback()  # no read transaction of the test's own left open beside the request's write
    login_as("admin")
    with app.app_context():
        engine = db.engine
    seen: list[int] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(0 if executemany else len(parameters or ()))

    def imported(n: int, name: str) -> tuple[int, int]:
        rows = "".join(f"{number},单位{name}{i},2026-01-0{1 + i % 9}\n" for i in range(n))
        seen.clear()
        event.listen(engine, "before_cursor_execute", listener)
        try:
            r = post_file(client, "employment", "身份证号,单位名称,参保开始日期\n" + rows, f"{name}.csv")
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert f"新增{n}条" in r.data.decode(), r.data.decode()[-1500:]
        return len(seen), max(seen)

    imported(2, "warm")  # the first request after login loads what later ones find cached
    small, _ = imported(3, "a")
    large, widest = imported(1_200, "b")
    assert large == small
    assert widest <= 500
    assert session.scalar(select(func.count(EmploymentRecord.id))) == 1_205


def test_imported_rows_take_the_callers_clock_and_a_death_list_bumps_the_payroll_counters(
    session, county, today
):
    """Rows written set-based carry the bound `now` (never the real clock); a death changes the person's
    pay inputs, so the '*' change counter of the township where the person holds a contract goes up."""
    from pwposts.models.pay import PayInputChange
    from pwposts.services.department_records import import_records
    from tests.conftest import NOW

    wang = county.persons["wang"]
    contract = make_contract(session, wang, make_post(session, county))
    session.commit()
    township_id = contract.post.township_id

    def counter() -> int:
        return (
            session.scalar(
                select(PayInputChange.changes).where(
                    PayInputChange.township_id == township_id, PayInputChange.month == "*"
                )
            )
            or 0
        )

    admin = county.users["admin"]
    out = import_records(
        session,
        admin,
        "employment",
        f"身份证号,单位名称,参保开始日期\n{wang.id_number},某公司,2026-06-01\n".encode(),
        "参保.csv",
        None,
        today,
    )
    assert out.added == 1
    record = session.scalars(select(EmploymentRecord)).one()
    assert (
        record.imported_at == NOW == out.batch.imported_at
        and record.batch_id == out.batch.id
        and "参保.csv" in record.source
    )
    before = counter()
    out = import_records(
        session,
        admin,
        "deaths",
        f"身份证号,死亡日期\n{wang.id_number},2026-11-10\n".encode(),
        "死亡.csv",
        None,
        today,
    )
    session.commit()
    assert out.added == 1 and counter() == before + 1
    session.refresh(wang)
    assert wang.death_date == date(2026, 11, 10) and wang.death_batch_id == out.batch.id
