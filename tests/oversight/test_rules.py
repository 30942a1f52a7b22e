"""Each rule on small literal cases: a true case is found, its look-alike is not."""

from __future__ import annotations

from datetime import date

import pytest

from pwposts.models.pay import AttendanceDay, AttendanceRecord
from pwposts.models.people import Cadre, EmploymentRecord, Household, Relation
from pwposts.models.policy import FundCategory, Standard
from pwposts.services.oversight import detect
from tests.builders import add_person
from tests.oversight_support import make_run, pay
from tests.payroll_support import attend, make_contract, make_fund, make_post


def found(session, today, rule):
    return {f.subject_key: f for f in detect(session, today, [rule])[0][rule]}


@pytest.fixture
def base(session, county):
    fund = make_fund(session, county)
    post = make_post(session, county, county.villages[0], fund)
    return {"fund": fund, "post": post, "v0": county.villages[0]}


def test_paid_after_death_counts_the_death_month_pro_rata_and_every_later_month(session, county, base, today):
    p = add_person(session, base["v0"], "何艳", date(1975, 1, 1), "F", death_date=date(2026, 9, 13))
    c = make_contract(session, p, base["post"])
    sept = pay(session, c, "2026-09", 42000)
    octo = pay(session, c, "2026-10", 42000)
    # look-alike: a holder who died on 2026-08-31, paid for August only (before death, the whole month)
    q = add_person(session, base["v0"], "周平", date(1970, 1, 1), "M", death_date=date(2026, 8, 31))
    cq = make_contract(session, q, base["post"])
    pay(session, cq, "2026-08", 42000, month_days=31, covered=31)
    flags = found(session, today, "PAID_AFTER_DEATH")
    assert set(flags) == {f"person:{p.id}"}
    f = flags[f"person:{p.id}"]
    assert {x["id"] for x in f.evidence["payments"]} == {sept.id, octo.id}
    assert f.money_fen == 42000 + 42000 * 17 // 30  # 17 of September's 30 days after the 13th
    assert "何艳" in f.title


def test_paid_outside_contract_but_not_the_prorated_exit_month(session, county, base, today):
    p = county.persons["wang"]
    c = make_contract(
        session,
        p,
        base["post"],
        start=date(2026, 3, 1),
        end=date(2027, 2, 28),
        exit_on=date(2026, 8, 15),
        status="ended",
    )
    pay(session, c, "2026-08", 21000)  # the exit month: inside
    late = pay(session, c, "2026-09", 42000)  # after exit
    flags = found(session, today, "PAID_OUTSIDE_CONTRACT")
    assert list(flags) == [f"contract:{c.id}"]
    assert flags[f"contract:{c.id}"].money_fen == late.amount_fen


def test_paid_without_approved_attendance_but_not_a_correction(session, county, base, today):
    c = make_contract(session, county.persons["wang"], base["post"])
    attend(session, c, "2026-09", 20)
    ok = pay(session, c, "2026-09")
    pay(session, c, "2026-09", 3000, kind="补发", original=ok, reason="补记2天")  # 补发 has no own attendance
    attend(session, c, "2026-10", 18, status="draft")
    bad = pay(session, c, "2026-10")
    flags = found(session, today, "PAID_NO_ATTENDANCE")
    assert [x["id"] for x in flags[f"contract:{c.id}"].evidence["payments"]] == [bad.id]


def test_shared_account_and_name_mismatch_but_not_a_household_card_in_own_name(session, county, base, today):
    v0 = base["v0"]
    clerk = add_person(session, v0, "马文书", date(1980, 1, 1), "M", categories=())
    a = add_person(session, v0, "孙一", date(1980, 2, 2), "M")
    a.account_no, a.account_name = clerk.account_no, clerk.name
    make_contract(session, a, base["post"])
    # look-alike: own account, name typed with a trailing full-width space
    b = add_person(session, v0, "孙二", date(1981, 2, 2), "M")
    b.account_name = "孙二　"
    make_contract(session, b, base["post"])
    session.flush()
    flags = found(session, today, "SHARED_ACCOUNT")
    assert f"account:{clerk.account_no}" in flags and f"account_name:{a.id}" in flags
    assert f"account_name:{b.id}" not in flags


def test_shared_phone_across_households_but_not_a_couple(session, county, base, today):
    v0 = base["v0"]
    h = Household(code="522701100201HH1", village=v0)
    session.add(h)
    husband = add_person(session, v0, "钱夫", date(1970, 1, 1), "M", household=h)
    wife = add_person(session, v0, "李妻", date(1972, 1, 1), "F", household=h)
    wife.phone = husband.phone
    make_contract(session, wife, base["post"])
    stranger = add_person(session, v0, "吴某", date(1979, 1, 1), "M")
    stranger.phone = county.persons["chief"].phone
    make_contract(session, stranger, base["post"])
    session.flush()
    flags = found(session, today, "SHARED_PHONE")
    assert f"phone:{county.persons['chief'].phone}" in flags
    assert f"phone:{husband.phone}" not in flags
    assert flags[f"phone:{county.persons['chief'].phone}"].rule.severity == "low"


def test_multi_post_overlap_but_not_a_renewal(session, county, base, today):
    other = make_post(session, county, county.villages[1], base["fund"], title="护林员")
    p, q = county.persons["wang"], county.persons["li"]
    make_contract(session, p, base["post"], start=date(2026, 1, 1), end=date(2026, 12, 31))
    make_contract(session, p, other, start=date(2026, 6, 1), end=date(2027, 5, 31), status="ended")
    make_contract(session, q, base["post"], start=date(2025, 1, 1), end=date(2025, 12, 31), status="ended")
    make_contract(session, q, base["post"], start=date(2026, 1, 1), end=date(2026, 12, 31))
    flags = found(session, today, "MULTI_POST")
    assert set(flags) == {f"person:{p.id}"}


def test_household_limit_but_not_one_after_the_other(session, county, base, today):
    v0 = base["v0"]
    h = Household(code="522701100201HH2", village=v0)
    h2 = Household(code="522701100201HH3", village=v0)
    session.add_all([h, h2])
    a = add_person(session, v0, "冯甲", date(1970, 1, 1), "M", household=h)
    b = add_person(session, v0, "冯乙", date(1972, 1, 1), "F", household=h)
    make_contract(session, a, base["post"], start=date(2026, 1, 1), end=date(2026, 12, 31))
    make_contract(session, b, base["post"], start=date(2026, 3, 1), end=date(2027, 2, 28))
    c = add_person(session, v0, "陈甲", date(1970, 1, 1), "M", household=h2)
    d = add_person(session, v0, "陈乙", date(1972, 1, 1), "F", household=h2)
    make_contract(
        session,
        c,
        base["post"],
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        exit_on=date(2025, 6, 30),
        status="ended",
    )
    make_contract(session, d, base["post"], start=date(2025, 7, 1), end=date(2026, 6, 30), status="ended")
    flags = found(session, today, "HOUSEHOLD_LIMIT")
    assert set(flags) == {f"household:{h.id}"}


def test_cadre_kin_in_office_but_not_after_the_term_or_same_surname(session, county, base, today):
    v0 = base["v0"]
    chief = county.persons["chief"]  # 村委会主任 2021-01-01 .. 2026-12-31
    daughter = add_person(session, county.villages[1], "张小红", date(1995, 1, 1), "F")
    session.add(Relation(person=chief, relative=daughter, kind="子女"))
    make_contract(session, daughter, base["post"])
    # look-alike 1: relative of a cadre whose term ended before the hire
    old = add_person(session, v0, "赵老书记", date(1955, 1, 1), "M", categories=())
    session.add(
        Cadre(
            person=old,
            village=v0,
            office="党组织书记",
            term_start=date(2016, 1, 1),
            term_end=date(2020, 12, 31),
        )
    )
    son = add_person(session, v0, "赵小军", date(1985, 1, 1), "M")
    session.add(Relation(person=old, relative=son, kind="子女"))
    make_contract(session, son, base["post"])
    # look-alike 2: the same surname as the serving cadre and no relation
    namesake = add_person(session, v0, "张大海", date(1980, 1, 1), "M")
    make_contract(session, namesake, base["post"])
    session.flush()
    flags = found(session, today, "CADRE_KIN")
    assert set(flags) == {f"person:{daughter.id}"}
    ev = flags[f"person:{daughter.id}"].evidence
    assert "张村长" in {p["name"] for p in ev["persons"]} and ev["cadre_terms"][0]["office"] == "村委会主任"
    assert any("子女" in link["label"] for link in ev["links"]) is False  # the cadre is her parent
    assert any("父母" in link["label"] for link in ev["links"])


def test_cadre_kin_via_the_approving_staff_member(session, county, base, today):
    clerk_user = county.users["town"]
    clerk_person = add_person(session, base["v0"], "周经办", date(1980, 1, 1), "M", categories=())
    clerk_user.person_id = clerk_person.id
    wife = add_person(session, base["v0"], "何妻", date(1982, 1, 1), "F")
    session.add(Relation(person=clerk_person, relative=wife, kind="配偶"))
    c = make_contract(session, wife, base["post"])
    c.signed_by_id = clerk_user.id
    session.flush()
    flags = found(session, today, "CADRE_KIN")
    assert f"person:{wife.id}" in flags
    assert "签订其合同" in " ".join(flags[f"person:{wife.id}"].evidence["facts"])


def test_rotation_needs_two_households_coming_back(session, county, base, today):
    v0 = base["v0"]
    people = [add_person(session, v0, n, date(1970, 1, 1), "M") for n in ("轮甲", "轮乙", "轮丙")]
    a, b, c = people
    for p, years in ((a, (2022, 2024)), (b, (2023, 2025)), (c, (2022, 2023))):
        for y in years:
            make_contract(session, p, base["post"], start=date(y, 1, 1), end=date(y, 12, 31), status="ended")
    flags = found(session, today, "ROTATION")
    assert set(flags) == {f"village:{v0.id}"}
    names = {p["name"] for p in flags[f"village:{v0.id}"].evidence["persons"]}
    assert names == {"轮甲", "轮乙"}
    # one household returning alone is not a cycle
    other = county.villages[1]
    d = add_person(session, other, "单丁", date(1970, 1, 1), "M")
    for y in (2022, 2024):
        make_contract(session, d, base["post"], start=date(y, 1, 1), end=date(y, 12, 31), status="ended")
    assert set(found(session, today, "ROTATION")) == {f"village:{v0.id}"}


def test_above_standard_but_not_a_correction_within_the_cap(session, county, base, today):
    c = make_contract(session, county.persons["wang"], base["post"], perf=(5000, 4000))
    # a 补发 bringing 18 days up to the full 600: no overpayment
    orig = pay(session, c, "2026-09", 54000, attended=18)
    pay(session, c, "2026-09", 6000, kind="补发", original=orig, reason="补记2天出勤")
    # over: 20 days 合格 → 600 + 40 = 640, paid 700
    pay(session, c, "2026-10", 70000, attended=20, grade="合格", perf=4000, month_days=31, covered=31)
    flags = found(session, today, "ABOVE_STANDARD")
    f = flags[f"contract:{c.id}"]
    assert f.money_fen == 70000 - 64000
    assert {x["month"] for x in f.evidence["payments"]} == {"2026-10"}


def test_above_standard_catches_a_correction_beyond_the_cap(session, county, base, today):
    c = make_contract(session, county.persons["li"], base["post"])
    orig = pay(session, c, "2026-09", 60000)
    pay(session, c, "2026-09", 6000, kind="补发", original=orig, reason="补记")
    assert found(session, today, "ABOVE_STANDARD")[f"contract:{c.id}"].money_fen == 6000


def test_above_standard_parity_band_but_not_an_approved_deviation(session, county, base, today):
    session.add(
        Standard(
            county_id=county.county.id,
            category_id=base["post"].category_id,
            effective_from=date(2026, 1, 1),
            monthly_allowance_fen=60000,
            required_days=20,
        )
    )
    v0 = base["v0"]
    loose = make_post(session, county, v0, base["fund"], allowance_fen=70000, title="高标准保洁")
    loose.deviation_status, loose.deviation_reason = "pending", "本村道路较长，工作量大于一般村"
    approved = make_post(session, county, v0, base["fund"], allowance_fen=70000, title="批准偏离保洁")
    approved.deviation_status, approved.deviation_reason = "approved", "本村道路较长，工作量大于一般村"
    fewer_days = make_post(
        session, county, v0, base["fund"], required_days=15, title="少天数保洁"
    )  # 25% fewer days
    unpaid = make_post(session, county, v0, base["fund"], allowance_fen=80000, title="未发放岗位")
    inside = make_post(
        session, county, v0, base["fund"], allowance_fen=66000, title="容差内保洁"
    )  # exactly 10%
    people = [
        add_person(session, v0, n, date(1980, 1, 1), "M") for n in ("林一", "林二", "林三", "林四", "林五")
    ]
    for person, post in zip(people, (loose, approved, fewer_days, unpaid, inside), strict=True):
        c = make_contract(session, person, post)
        if post is not unpaid:
            pay(session, c, "2026-09")
    flags = found(session, today, "ABOVE_STANDARD")
    assert set(flags) == {f"post:{loose.id}", f"post:{fewer_days.id}"}
    f = flags[f"post:{loose.id}"]
    assert f.money_fen == 10000 and "偏离待审批" in " ".join(f.evidence["facts"])
    assert "+16.67%" in f.evidence["summary"]
    assert flags[f"post:{fewer_days.id}"].money_fen == 0


def test_ineligible_without_category_or_fund_category(session, county, base, today):
    v0 = base["v0"]
    no_cat = add_person(session, v0, "钟无类", date(1990, 1, 1), "M", categories=())
    c1 = make_contract(session, no_cat, base["post"])
    older = add_person(session, v0, "钟大龄", date(1970, 1, 1), "F", categories=())  # 56: 大龄 by birth date
    make_contract(session, older, base["post"])
    solar = make_fund(session, county, name="光伏收益", allocation_fen=10_000_000)
    solar.restricts_categories = True
    session.add(FundCategory(fund_id=solar.id, category="脱贫人口"))
    post2 = make_post(session, county, v0, solar, title="光伏保洁")
    low = add_person(session, v0, "钟低保", date(1985, 1, 1), "M", categories=("农村低收入人口",))
    c3 = make_contract(session, low, post2)
    ok = add_person(session, v0, "钟脱贫", date(1985, 1, 1), "M", categories=("脱贫人口",))
    make_contract(session, ok, post2)
    session.flush()
    assert set(found(session, today, "INELIGIBLE")) == {f"contract:{c1.id}", f"contract:{c3.id}"}


def test_employed_elsewhere_full_time_only_and_only_while_paid(session, county, base, today):
    p, q = county.persons["wang"], county.persons["li"]
    cp, cq = make_contract(session, p, base["post"]), make_contract(session, q, base["post"])
    pay(session, cp, "2026-09")
    pay(session, cq, "2026-09")
    session.add_all(
        [
            EmploymentRecord(
                id_number=p.id_number, employer="某电子厂", full_time=True, start_on=date(2026, 8, 1)
            ),
            EmploymentRecord(
                id_number=q.id_number, employer="某超市", full_time=False, start_on=date(2026, 8, 1)
            ),
            EmploymentRecord(
                id_number=q.id_number,
                employer="某工地",
                full_time=True,
                start_on=date(2025, 1, 1),
                end_on=date(2025, 12, 31),
            ),
        ]
    )
    session.flush()
    assert set(found(session, today, "EMPLOYED_ELSEWHERE")) == {f"person:{p.id}"}


def test_impossible_attendance(session, county, base, today):
    c = make_contract(
        session, county.persons["wang"], base["post"], start=date(2026, 3, 1), end=date(2027, 2, 28)
    )
    r = attend(session, c, "2026-03", 2)
    session.add_all(
        [
            AttendanceDay(record_id=r.id, day=date(2026, 2, 27)),
            AttendanceDay(record_id=r.id, day=date(2026, 3, 2)),
        ]
    )
    ok = make_contract(session, county.persons["li"], base["post"])
    attend(session, ok, "2026-02", 20)
    session.flush()
    flags = found(session, today, "IMPOSSIBLE_ATTENDANCE")
    assert set(flags) == {f"contract:{c.id}"}
    assert "2026-02-27" in " ".join(flags[f"contract:{c.id}"].evidence["facts"])


def test_impossible_attendance_weak_uniform_village_but_not_one_holder_differing(
    session, county, base, today
):
    months = ("2026-06", "2026-07", "2026-08")
    v0, v1 = county.villages[0], county.villages[1]
    post1 = make_post(session, county, v1, base["fund"], title="护路员")
    uniform, varied = [], []  # three holders in each village, full attendance June..August
    for i, (village, post, group) in enumerate(((v0, base["post"], uniform), (v1, post1, varied)) * 3):
        c = make_contract(session, add_person(session, village, f"满勤{i}", date(1980, 1, 1), "M"), post)
        group.append(c)
        for m in months:
            attend(session, c, m, 20)
    # look-alike: in v1 one holder has a day of leave in July
    session.query(AttendanceRecord).filter_by(contract_id=varied[1].id, month="2026-07").one().leave_days = 1
    session.flush()
    flags = found(session, today, "IMPOSSIBLE_ATTENDANCE")
    assert set(flags) == {f"village:{v0.id}:2026-06"}
    f = flags[f"village:{v0.id}:2026-06"]
    assert f.severity == "low" and (f.period_from, f.period_to) == ("2026-06", "2026-08")
    assert "只作佐证" in f.evidence["summary"] and len(f.evidence["attendance"]) == 9
    assert {x["id"] for x in f.evidence["persons"]} == {c.person_id for c in uniform}


def test_arrears_after_the_limit_only(session, county, base, today):
    c = make_contract(session, county.persons["wang"], base["post"])
    town, u1, u2 = county.townships[0], county.users["town"], county.users["town2"]
    late = make_run(session, town, "2026-09", u1, u2, approved_on=date(2026, 10, 5))
    pay(session, c, "2026-09", run=late, status="pending")
    recent = make_run(session, town, "2026-10", u1, u2, approved_on=date(2026, 11, 5))
    pay(session, c, "2026-10", run=recent, status="pending")
    flags = found(session, today, "ARREARS")
    assert {k for k in flags if k.startswith("payroll_run:")} == {f"payroll_run:{late.id}"}


def test_arrears_roster_count_above_paid_count_but_not_holders_outside_the_month(
    session, county, base, today
):
    town, u1, u2 = county.townships[0], county.users["town"], county.users["town2"]
    run = make_run(session, town, "2026-09", u1, u2, approved_on=date(2026, 10, 5))
    paid = make_contract(session, county.persons["wang"], base["post"])
    pay(session, paid, "2026-09", run=run)
    missing = make_contract(session, county.persons["li"], base["post"])  # on the roster, never paid
    # look-alikes: a holder whose contract starts after September, one who exited before it
    later = add_person(session, base["v0"], "郑后来", date(1980, 1, 1), "M")
    make_contract(session, later, base["post"], start=date(2026, 10, 1), end=date(2027, 9, 30))
    gone = add_person(session, base["v0"], "郑已退", date(1981, 1, 1), "M")
    make_contract(session, gone, base["post"], exit_on=date(2026, 8, 20), status="ended")
    # a recent run (within the limit) is not judged yet
    make_run(session, town, "2026-10", u1, u2, approved_on=date(2026, 11, 5))
    flags = found(session, today, "ARREARS")
    assert set(flags) == {f"roster:{town.id}:2026-09"}
    ev = flags[f"roster:{town.id}:2026-09"].evidence
    assert (ev["roster_count"], ev["paid_count"]) == (2, 1)
    assert [(m["name"], m["code"]) for m in ev["unpaid_contracts"]] == [
        (county.persons["li"].name, missing.code)
    ]
    # once paid, the counts agree and the finding goes
    pay(session, missing, "2026-09", run=run)
    assert found(session, today, "ARREARS") == {}


def test_fund_overrun_and_category(session, county, base, today):
    small = make_fund(session, county, name="村集体", allocation_fen=50000)
    post = make_post(session, county, base["v0"], small, title="小额岗位")
    c = make_contract(session, county.persons["wang"], post)
    pay(session, c, "2026-09", 30000)
    pay(session, c, "2026-10", 30000)
    flags = found(session, today, "FUND_OVERRUN")
    assert flags[f"fund:{small.id}"].money_fen == 10000
    assert f"fund:{base['fund'].id}" not in flags
