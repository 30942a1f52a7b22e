"""按需设岗 use cases: the lifecycle, wage parity, audit, scope, staffing, 有岗无人, the parity report,
county settings from their effective date, the holiday calendar."""

from datetime import date

import pytest
from sqlalchemy import select

from pwposts.domain.errors import Conflict, DomainError, Forbidden, NotFound
from pwposts.models.audit import AuditEntry
from pwposts.models.policy import Holiday
from pwposts.services import audit
from pwposts.services import posts as service
from pwposts.services import settings as settings_service
from tests.builders import add_person
from tests.post_builders import TODAY, add_contract, add_policy, approved_post, post_input


@pytest.fixture
def policy(session, county):
    p = add_policy(session, county)
    session.commit()
    return p


def actions_for(session, post):
    return [
        e.action
        for e in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "post", AuditEntry.object_id == str(post.id))
            .order_by(AuditEntry.id)
        )
    ]


def test_full_lifecycle_is_audited_and_the_chain_verifies(session, county, policy):
    town, admin = county.users["town"], county.users["admin"]
    post = service.propose_post(session, town, post_input(county, policy), TODAY)
    assert post.status == "draft" and post.standard_id == policy.std_cleaning.id
    assert (post.allowance_fen, post.required_days) == (60000, 20)  # defaults from the standard
    assert post.township_id == county.townships[0].id and post.code.startswith("522701100201-2026-")
    service.submit_post(session, town, post, TODAY)
    assert post.status == "submitted" and post.deviation_status == "none"
    service.reject_post(session, admin, post, "需求说明不足，请补充服务人口", TODAY)
    assert post.status == "rejected" and post.decision_reason.startswith("需求说明不足")
    service.revise_post(session, town, post, TODAY)
    service.update_draft(session, town, post, post_input(county, policy, headcount=2), TODAY)
    assert post.headcount == 2
    service.submit_post(session, town, post, TODAY)
    service.approve_post(session, admin, post, TODAY)
    service.open_recruitment(session, town, post, TODAY)
    assert post.status == "recruiting"
    service.close_post(session, town, post, "村里改用机械清扫", TODAY)
    assert post.status == "closed" and post.closed_on == TODAY
    session.commit()
    assert actions_for(session, post) == [
        "propose_post",
        "submit_post",
        "reject_post",
        "revise_post",
        "update_post",
        "submit_post",
        "approve_post",
        "open_recruitment",
        "close_post",
    ]
    assert audit.verify_chain(session).ok


def test_wrong_state_is_refused_with_both_states(session, county, policy):
    town, admin = county.users["town"], county.users["admin"]
    post = service.propose_post(session, town, post_input(county, policy), TODAY)
    with pytest.raises(DomainError, match="草稿.*已批准"):
        service.approve_post(session, admin, post, TODAY)
    with pytest.raises(DomainError, match="招聘.*草稿"):
        service.open_recruitment(session, town, post, TODAY)
    service.submit_post(session, town, post, TODAY)
    with pytest.raises(DomainError, match="待县级审批.*待县级审批"):
        service.submit_post(session, town, post, TODAY)
    with pytest.raises(DomainError, match="只有草稿可以修改"):
        service.update_draft(session, town, post, post_input(county, policy), TODAY)
    with pytest.raises(DomainError, match="待县级审批.*草稿"):
        service.revise_post(session, town, post, TODAY)


def test_twenty_percent_above_standard_needs_a_reason_then_county_approval(session, county, policy):
    town, admin = county.users["town"], county.users["admin"]
    post = service.propose_post(session, town, post_input(county, policy, allowance_fen=72000), TODAY)
    session.commit()
    with pytest.raises(DomainError) as e:
        service.submit_post(session, town, post, TODAY)
    assert e.value.code == "parity_reason_required"
    assert "720.00元" in e.value.message and "600.00元" in e.value.message and "±10%" in e.value.message
    session.rollback()
    post = session.get(type(post), post.id)
    assert post.status == "draft"
    reason = "山区村落分散，保洁路段是平原村的两倍"
    service.submit_post(session, town, post, TODAY, deviation_reason=reason)
    assert post.deviation_status == "pending" and post.deviation_reason == reason
    with pytest.raises(DomainError, match="同时明确批准该偏离理由"):
        service.approve_post(session, admin, post, TODAY)
    service.approve_post(session, admin, post, TODAY, approve_deviation=True)
    assert post.status == "approved" and post.deviation_status == "approved"
    session.commit()
    summaries = [
        e.summary
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.object_id == str(post.id), AuditEntry.object_type == "post")
        )
    ]
    assert any("720.00元" in s and reason in s for s in summaries)
    assert audit.verify_chain(session).ok


def test_rejecting_the_reason_rejects_the_post(session, county, policy):
    town, admin = county.users["town"], county.users["admin"]
    post = service.propose_post(
        session,
        town,
        post_input(county, policy, required_days=15, deviation_reason="农忙季节出勤天数需要减少"),
        TODAY,
    )
    service.submit_post(session, town, post, TODAY)
    assert post.deviation_status == "pending"
    service.reject_post(session, admin, post, "偏离理由不成立，按县定标准执行", TODAY)
    assert (post.status, post.deviation_status) == ("rejected", "rejected")
    service.revise_post(session, town, post, TODAY)
    assert (post.status, post.deviation_status) == ("draft", "none")


def test_exactly_ten_percent_needs_no_reason(session, county, policy):
    post = service.propose_post(
        session, county.users["town"], post_input(county, policy, allowance_fen=66000), TODAY
    )
    service.submit_post(session, county.users["town"], post, TODAY)
    assert post.deviation_status == "none"


def test_village_clerk_and_inspector_cannot_propose_or_approve(session, county, policy):
    for who in ("village", "inspector"):
        with pytest.raises(Forbidden):
            service.propose_post(session, county.users[who], post_input(county, policy), TODAY)
    post = service.propose_post(session, county.users["town"], post_input(county, policy), TODAY)
    service.submit_post(session, county.users["town"], post, TODAY)
    for who in ("village", "inspector", "town"):
        with pytest.raises(Forbidden):
            service.approve_post(session, county.users[who], post, TODAY)
        with pytest.raises(Forbidden):
            service.reject_post(session, county.users[who], post, "不同意设岗", TODAY)


def test_township_clerk_only_in_their_township(session, county, policy):
    with pytest.raises(NotFound):
        service.propose_post(session, county.users["town"], post_input(county, policy, village=2), TODAY)
    post = service.propose_post(session, county.users["town"], post_input(county, policy), TODAY)
    with pytest.raises(NotFound):
        service.submit_post(session, county.users["otherTown"], post, TODAY)
    with pytest.raises(NotFound):
        service.load_post(session, county.users["otherTown"], post.id)
    assert service.load_post(session, county.users["village"], post.id) is post


def test_proposal_needs_standard_fund_of_this_year_and_a_need(session, county, policy):
    town = county.users["town"]
    inp = post_input(county, policy)
    inp.fund_id = policy.old_fund.id
    with pytest.raises(DomainError, match="2025年度"):
        service.propose_post(session, town, inp, TODAY)
    with pytest.raises(DomainError, match="设岗需求"):
        service.propose_post(session, town, post_input(county, policy, need="要保洁"), TODAY)
    from pwposts.models.policy import PostCategory

    elderly = PostCategory(code="YL", name="养老服务", kind="专项")
    session.add(elderly)
    session.flush()
    with pytest.raises(DomainError, match="没有“养老服务”类岗位的县定标准"):
        service.propose_post(session, town, post_input(county, policy, category=elderly), TODAY)


def test_submit_uses_the_standard_in_force_that_day(session, county, policy):
    from pwposts.models.policy import Standard

    town = county.users["town"]
    post = service.propose_post(session, town, post_input(county, policy), TODAY)
    policy.std_cleaning.effective_to = date(2026, 12, 31)
    session.add(
        Standard(
            county_id=county.county.id,
            category_id=policy.cleaning.id,
            effective_from=date(2027, 1, 1),
            monthly_allowance_fen=80000,
            required_days=20,
        )
    )
    session.flush()
    # 600 against the 2027 standard of 800 is −25%
    with pytest.raises(DomainError, match="800.00元"):
        service.submit_post(session, town, post, date(2027, 1, 4))


def test_mark_staffing_follows_active_contracts(session, county, policy):
    post = approved_post(session, county, policy, headcount=2)
    service.mark_staffing(session, post)
    assert post.status == "approved"  # nobody yet, no notice: stays approved
    service.open_recruitment(session, county.users["town"], post, TODAY)
    k1 = add_contract(session, post, county.persons["wang"])
    service.mark_staffing(session, post)
    assert post.status == "partly_filled"
    k2 = add_contract(session, post, county.persons["li"])
    service.mark_staffing(session, post, county.users["town"])
    assert post.status == "filled"
    with pytest.raises(Conflict, match="已满员"):
        service.open_recruitment(session, county.users["town"], post, TODAY)
    with pytest.raises(Conflict, match="尚有2名在岗人员"):
        service.close_post(session, county.users["town"], post, "不再需要", TODAY)
    k1.status, k2.status = "ended", "terminated"
    k2.exit_on = date(2026, 10, 31)
    session.flush()
    service.mark_staffing(session, post)
    assert post.status == "recruiting"
    session.commit()
    assert actions_for(session, post).count("mark_staffing") == 3
    assert audit.verify_chain(session).ok


def test_vacant_posts_worklist(session, county, policy):
    a = approved_post(session, county, policy, title="保洁A")
    b = approved_post(session, county, policy, title="保洁B")
    c = approved_post(session, county, policy, title="保洁C", village=2)
    service.open_recruitment(session, county.users["admin"], b, TODAY)
    add_contract(session, b, county.persons["wang"])
    service.mark_staffing(session, b)
    add_contract(session, c, county.persons["zhao"], status="ended", end=date(2026, 9, 30))
    session.flush()
    rows = service.vacant_posts(session, county.users["admin"], TODAY)
    assert {r.post.title for r in rows} == {"保洁A", "保洁C"}
    vc = next(r for r in rows if r.post.title == "保洁C")
    assert vc.vacant_since == TODAY  # approved today, later than the end of the old contract
    assert {r.post.title for r in service.vacant_posts(session, county.users["town"], TODAY)} == {"保洁A"}
    assert service.vacant_posts(session, county.users["admin"], date(2027, 1, 1))[0].over_a_month
    assert a.id in {r.post.id for r in rows}


def test_parity_report_stats_and_deviations(session, county, policy):
    approved_post(session, county, policy, title="保洁1")
    approved_post(
        session, county, policy, title="保洁2", allowance_fen=50000, deviation_reason="半日岗位，补贴相应降低"
    )
    approved_post(
        session,
        county,
        policy,
        title="保洁3",
        village=2,
        allowance_fen=72000,
        deviation_reason="山区村落分散，保洁路段是平原村的两倍",
    )
    service.propose_post(
        session, county.users["town"], post_input(county, policy, allowance_fen=99900), TODAY
    )  # draft
    groups, tol = service.parity_report(session, county.users["inspector"], TODAY)
    assert tol == 10
    g = next(x for x in groups if x.category.name == "保洁")
    assert (g.count, g.min_fen, g.median_fen, g.max_fen) == (3, 50000, 60000, 72000)
    assert {d.post.title for d in g.deviating} == {"保洁2", "保洁3"}
    line = next(d for d in g.deviating if d.post.title == "保洁3")
    assert str(line.allowance_pct) == "20.00" and line.post.deviation_status == "approved"
    assert {t["township"].name for t in g.by_township} == {"东坪镇", "西岭乡"}
    groups, _ = service.parity_report(session, county.users["town"], TODAY)
    g = next(x for x in groups if x.category.name == "保洁")
    assert g.count == 2  # the township sees only its own posts
    summary, towns, deviating = service.parity_plain(groups)
    assert summary[0]["count"] == 2 and deviating[0]["deviation_reason"] == "半日岗位，补贴相应降低"


def test_setting_change_is_audited_and_applies_only_from_its_effective_date(session, county, policy):
    admin, town = county.users["admin"], county.users["town"]
    settings_service.change_setting(
        session,
        admin,
        county.county,
        "parity_tolerance_pct",
        "20",
        date(2026, 12, 1),
        "县人社局2026年第9号文",
        TODAY,
    )
    session.commit()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "change_setting")).one()
    assert "自2026-12-01起" in entry.summary and "10 → 20" in entry.summary
    post = service.propose_post(session, town, post_input(county, policy, allowance_fen=69000), TODAY)  # +15%
    with pytest.raises(DomainError, match="±10%"):
        service.submit_post(session, town, post, date(2026, 11, 30))
    service.submit_post(session, town, post, date(2026, 12, 1))
    assert post.deviation_status == "none"
    with pytest.raises(DomainError, match="不得追溯"):
        settings_service.change_setting(
            session, admin, county.county, "parity_tolerance_pct", "5", date(2026, 11, 24), None, TODAY
        )
    assert audit.verify_chain(session).ok


def test_holidays_add_and_import_all_or_nothing(session, county):
    admin, c = county.users["admin"], county.county
    settings_service.add_holiday(session, admin, c, date(2027, 1, 1), "元旦", False, TODAY)
    with pytest.raises(DomainError, match="已在日历中登记"):
        settings_service.add_holiday(session, admin, c, date(2027, 1, 1), "元旦", False, TODAY)
    with pytest.raises(DomainError, match="周五"):
        settings_service.add_holiday(session, admin, c, date(2027, 2, 5), "春节调休", True, TODAY)
    with pytest.raises(DomainError, match="早于今天"):
        settings_service.add_holiday(session, admin, c, date(2026, 10, 1), "国庆节", False, TODAY)
    rows = [
        (2, date(2027, 1, 1), "元旦", False),
        (3, date(2027, 2, 7), "春节调休上班", True),
        (4, date(2027, 2, 8), "", False),
        (5, date(2027, 2, 7), "重复", False),
    ]
    with pytest.raises(DomainError) as e:
        settings_service.import_holidays(
            session, admin, c, rows, TODAY, ["第6行：日期“2027-02-30”不是真实存在的日期"]
        )
    assert len(e.value.details) == 3 and any("第4行" in d for d in e.value.details)
    assert any("第5行" in d and "第3行" in d for d in e.value.details)
    assert session.scalar(select(Holiday.id).where(Holiday.day == date(2027, 2, 7))) is None
    counts = settings_service.import_holidays(
        session,
        admin,
        c,
        [
            (2, date(2027, 1, 1), "元旦", False),
            (3, date(2027, 2, 7), "春节调休上班", True),
            (4, date(2027, 2, 8), "春节", False),
        ],
        TODAY,
    )
    assert counts == {"added": 2, "changed": 0, "unchanged": 1}
    assert settings_service.calendar_exceptions(session, c.id, date(2027, 2, 1), date(2027, 2, 28)) == {
        date(2027, 2, 7): True,
        date(2027, 2, 8): False,
    }
    session.commit()
    assert audit.verify_chain(session).ok


def test_persons_in_builders_are_untouched_by_posts(session, county, policy):
    # a post's village need not be the person's: the registry is not changed by proposing
    add_person(session, county.villages[1], "孙丽", date(1980, 1, 1), "F")
    post = service.propose_post(session, county.users["town"], post_input(county, policy, village=1), TODAY)
    assert post.village_id == county.villages[1].id


def test_post_numbers_go_on_past_999_in_a_village_year(session, county, policy):
    """岗位编号 …-999 is followed by …-1000 and …-1001: the next number is the highest one plus one, not the
    highest string (which "999" would stay, handing out …-1000 again and refusing the proposal)."""
    town = county.users["town"]
    first = service.propose_post(session, town, post_input(county, policy), TODAY)
    prefix = first.code.rsplit("-", 1)[0]
    assert first.code == f"{prefix}-001"
    first.code = f"{prefix}-999"
    session.flush()
    codes = [service.propose_post(session, town, post_input(county, policy), TODAY).code for _ in range(2)]
    assert codes == [f"{prefix}-1000", f"{prefix}-1001"]
