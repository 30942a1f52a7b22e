"""以岗聘任 pure rules: every eligibility rule with its own reason, priority, 公示 working days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from pwposts.domain.hiring import (
    ApplicantFacts,
    CadreTie,
    EligibilityRules,
    Employment,
    HeldPost,
    add_working_days,
    categories_on,
    check_eligibility,
    is_working_day,
    next_working_day,
    priority_key,
    priority_label,
    shortlist_order,
)

ON = date(2026, 11, 25)
OK = ApplicantFacts(
    name="王秀英",
    birth_date=date(1990, 5, 6),
    sex="F",
    household_village_id=1,
    household_village_name="东坪一村",
    post_village_id=1,
    post_village_name="东坪一村",
    category_spans=(("脱贫人口", date(2020, 1, 1), None),),
    fund_name="衔接资金",
)


DEFAULT_RULES = EligibilityRules()


def codes(facts, on=ON, rules=DEFAULT_RULES, **kw):
    return [f.code for f in check_eligibility(facts, on, rules, **kw)]


def test_a_clean_applicant_passes():
    assert check_eligibility(OK, ON, EligibilityRules()) == []


def test_not_local():
    fs = check_eligibility(replace(OK, household_village_id=2, household_village_name="东坪二村"), ON)
    assert [f.code for f in fs] == ["not_local"]
    assert "东坪二村" in fs[0].message and "东坪一村" in fs[0].message and "本村户籍" in fs[0].message


@pytest.mark.parametrize(
    "birth,expected",
    [
        (date(2010, 11, 26), ["underage"]),  # 15 until tomorrow
        (date(2010, 11, 25), []),  # 16 today
    ],
)
def test_age_16_boundary(birth, expected):
    assert codes(replace(OK, birth_date=birth)) == expected


def test_underage_message():
    fs = check_eligibility(replace(OK, birth_date=date(2011, 1, 1)), ON)
    assert fs[0].message == "申请人年龄15岁，未满16周岁，不得聘用"


def test_age_cap_only_when_set():
    old = replace(OK, birth_date=date(1960, 1, 1))  # 66
    assert codes(old) == []  # default: no cap — age alone is never a reason
    fs = check_eligibility(old, ON, EligibilityRules(age_cap=60))
    assert [f.code for f in fs] == ["age_cap"] and "66岁" in fs[0].message and "60岁" in fs[0].message
    assert (
        codes(replace(OK, birth_date=date(1966, 11, 26)), rules=EligibilityRules(age_cap=60)) == []
    )  # exactly 60


def test_dead():
    fs = check_eligibility(replace(OK, dead=True, death_date=date(2026, 3, 1)), ON)
    assert [f.code for f in fs] == ["dead"] and "2026-03-01" in fs[0].message
    assert codes(replace(OK, death_date=date(2026, 12, 1))) == []  # recorded death after the date


def test_no_eligible_category_and_ended_span():
    assert codes(replace(OK, category_spans=())) == ["no_eligible_category"]
    ended = replace(OK, category_spans=(("脱贫人口", date(2020, 1, 1), date(2026, 6, 30)),))
    fs = check_eligibility(ended, ON)
    assert [f.code for f in fs] == ["no_eligible_category"] and "2026-11-25" in fs[0].message
    future = replace(OK, category_spans=(("农村低收入人口", date(2026, 12, 1), None),))
    assert codes(future) == ["no_eligible_category"]


def test_older_worker_derived_from_birth_date():
    woman45 = replace(OK, birth_date=date(1981, 11, 25), category_spans=())
    assert codes(woman45) == []
    assert categories_on(woman45, ON) == ["大龄"]
    man45 = replace(woman45, sex="M")
    assert codes(man45) == ["no_eligible_category"]
    man50 = replace(OK, sex="M", birth_date=date(1976, 11, 25), category_spans=())
    assert codes(man50) == []
    # a recorded 大龄 span does not make a 30-year-old an older worker
    assert codes(
        replace(OK, birth_date=date(1996, 1, 1), category_spans=(("大龄", date(2020, 1, 1), None),))
    ) == ["no_eligible_category"]


def test_fund_categories():
    pv = replace(
        OK, fund_name="光伏收益", fund_restricts=True, fund_categories=("脱贫人口", "防止返贫监测对象")
    )
    assert codes(pv) == []
    low = replace(pv, category_spans=(("农村低收入人口", date(2020, 1, 1), None),))
    fs = check_eligibility(low, ON)
    assert [f.code for f in fs] == ["fund_category"]
    assert "光伏收益" in fs[0].message and "农村低收入人口" in fs[0].message
    assert codes(replace(low, fund_restricts=False)) == []


def test_one_person_one_post_and_renewal_ignore():
    holding = replace(OK, held_posts=(HeldPost("王秀英", "护林员", contract_id=7, post_id=3),))
    fs = check_eligibility(holding, ON)
    assert (
        [f.code for f in fs] == ["one_person_one_post"]
        and "护林员" in fs[0].message
        and "一人一岗" in fs[0].message
    )
    assert codes(holding, ignore_contract_id=7) == []  # renewing that very contract
    assert codes(holding, ignore_contract_id=8) == ["one_person_one_post"]
    pending = replace(OK, held_posts=(HeldPost("王秀英", "保洁员", None, 4),))
    assert "待签协议" in check_eligibility(pending, ON)[0].message


def test_household_limit():
    one = replace(OK, household_held_posts=(HeldPost("李建国", "保洁员", 5, 2),))
    fs = check_eligibility(one, ON)
    assert (
        [f.code for f in fs] == ["household_limit"] and "李建国" in fs[0].message and "1人" in fs[0].message
    )
    assert codes(one, rules=EligibilityRules(household_limit=2)) == []
    assert codes(one, ignore_contract_id=5) == []


def test_cadre_self_relative_household_and_term():
    spouse = CadreTie("张村长", "村委会主任", "东坪一村", "配偶", date(2021, 1, 1), date(2026, 12, 31))
    fs = check_eligibility(replace(OK, cadre_ties=(spouse,)), ON)
    assert [f.code for f in fs] == ["cadre_kin"]
    assert "配偶" in fs[0].message and "张村长" in fs[0].message and "村委会主任" in fs[0].message
    me = replace(spouse, cadre_name="王秀英", relation="本人", office="村文书")
    assert "本人现任东坪一村村文书" in check_eligibility(replace(OK, cadre_ties=(me,)), ON)[0].message
    past = replace(spouse, term_end=date(2025, 12, 31))
    assert codes(replace(OK, cadre_ties=(past,))) == []  # out of office: no longer a cadre
    not_yet = replace(spouse, term_start=date(2027, 1, 1), term_end=None)
    assert codes(replace(OK, cadre_ties=(not_yet,))) == []
    open_term = replace(spouse, relation="同户成员", term_end=None)
    assert codes(replace(OK, cadre_ties=(open_term,))) == ["cadre_kin"]


def test_employed_elsewhere():
    job = Employment("青山县建筑公司", date(2026, 1, 1), None, True)
    fs = check_eligibility(replace(OK, employments=(job,)), ON)
    assert [f.code for f in fs] == ["employed_elsewhere"] and "青山县建筑公司" in fs[0].message
    assert codes(replace(OK, employments=(replace(job, full_time=False),))) == []
    assert codes(replace(OK, employments=(replace(job, end_on=date(2026, 10, 31)),))) == []


def test_every_failure_is_reported_not_just_the_first():
    bad = replace(
        OK,
        birth_date=date(2011, 1, 1),
        category_spans=(),
        household_village_id=9,
        held_posts=(HeldPost("x", "护路员", 1, 1),),
        cadre_ties=(CadreTie("张村长", "党组织书记", "东坪一村", "父母", date(2021, 1, 1), None),),
    )
    assert codes(bad) == ["not_local", "underage", "no_eligible_category", "one_person_one_post", "cadre_kin"]


def test_priority_order():
    assert (
        priority_key("弱劳力", True)
        < priority_key("弱劳力", False)
        < priority_key("半劳力", True)
        < priority_key("半劳力", False)
        < priority_key("全劳力", True)
        < priority_key("全劳力", False)
    )
    assert priority_label(priority_key("半劳力", True)) == "半劳力·无法离乡"
    entries = [
        (priority_key("全劳力", False), 1, 1),
        (priority_key("弱劳力", False), 3, 2),
        (priority_key("全劳力", True), 2, 3),
        (priority_key("弱劳力", False), 2, 4),
    ]
    assert [e[2] for e in shortlist_order(entries)] == [4, 2, 3, 1]  # earlier entry breaks the tie


# ---- working days ----


def test_working_days_skip_the_weekend_and_not_the_publication_day():
    # Wednesday 2026-11-25 + 5 working days: Thu 26, Fri 27, Mon 30, Tue 1, Wed 2
    assert add_working_days(date(2026, 11, 25), 5, {}) == date(2026, 12, 2)
    # published on a Friday: Mon..Fri of the next week
    assert add_working_days(date(2026, 11, 27), 5, {}) == date(2026, 12, 4)
    # published on a Saturday: the period still starts Monday
    assert add_working_days(date(2026, 11, 28), 1, {}) == date(2026, 11, 30)
    assert next_working_day(date(2026, 11, 27), {}) == date(2026, 11, 30)


def test_working_days_with_a_holiday_and_a_make_up_working_day():
    # 2026 National Day: Oct 1–7 off; Sunday Sep 27 and Saturday Oct 10 are make-up working days
    cal = {date(2026, 10, d): False for d in range(1, 8)}
    cal[date(2026, 9, 27)] = True
    cal[date(2026, 10, 10)] = True
    assert is_working_day(date(2026, 9, 27), cal) and not is_working_day(date(2026, 10, 1), cal)
    # Fri Sep 25 + 3: Sun 27 (make-up), Mon 28, Tue 29
    assert add_working_days(date(2026, 9, 25), 3, cal) == date(2026, 9, 29)
    # Tue Sep 29 + 5: Wed 30, (Oct 1–7 off), Thu 8, Fri 9, Sat 10 (make-up), Mon 12
    assert add_working_days(date(2026, 9, 29), 5, cal) == date(2026, 10, 12)
    # the same without the calendar would end much earlier
    assert add_working_days(date(2026, 9, 29), 5, {}) == date(2026, 10, 6)


def test_working_days_refuses_zero():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 25), 0, {})
