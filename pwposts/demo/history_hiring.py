"""The demo history's recruitments and tenures, one village at a time in date order: notices,
applications judged by the eligibility engine, 公示 and objections, hires, contracts,
insurance, renewals, grades, exits."""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from datetime import date, timedelta

from ..domain.contracts import latest_end
from ..domain.hiring import (
    next_working_day,
    priority_key,
    publicity_period,
)
from ..domain.people import age_on
from .history_state import NOTICE_DAYS, PUBLICITY_DAYS, _at, _Contract, _day, _History, _Post, _Tenure
from .history_texts import (
    INSURERS,
    OBJECTION_UPHELD,
    OBJECTIONS_REJECTED,
    RANDOM_EXITS,
    TOWN_LANDLINE,
)

# ---------------------------------------------------------------------------------------------
# Recruitment and tenures (one village at a time, in date order)
# ---------------------------------------------------------------------------------------------


def _plan_cadre_kin_seed(h: _History) -> None:
    """ANOMALY SEED CADRE_KIN: pick one serving 书记's relative who is otherwise eligible, and a post of
    that village created after the term began, whose first hire will be that relative."""
    rng, today = h.rng, h.today
    for v in h.b.villages[len(h.b.villages) // 2 :] + h.b.villages[: len(h.b.villages) // 2]:
        if v.township is h.b.townships[0]:
            continue
        secretary = v.cadres.get("党组织书记")
        if secretary is None:
            continue
        term = next(
            (c for c in h.b.cadres if c[0] is secretary and c[2] == "党组织书记" and c[3] <= today <= c[4]),
            None,
        )
        if term is None or term[3] > today - timedelta(days=150):
            continue
        hire_on = term[3] + timedelta(days=60)
        kin = [
            h.b.persons_by_id[pid]
            for pid, kind in h.relatives.get(secretary.id, ())
            if kind in ("子女", "儿媳女婿")
        ]
        for k in kin:
            if k.village is not v or not h.likely(k, hire_on, kin_ok=True) or k.death_date is not None:
                continue
            post = next(
                (
                    p
                    for p in h.posts
                    if p.village is v and p.plan == "live" and p.headcount == 1 and p.fund_name != "光伏收益"
                ),
                None,
            )
            if post is None:
                continue
            post.created_on = term[3] + timedelta(days=rng.randint(10, 20))
            post.submitted_on = post.created_on + timedelta(days=2)
            post.decided_on = post.submitted_on + timedelta(days=5)
            post.forced_hire = k
            h.cadre_kin_seed.add(k.id)
            h.counts["anomaly_cadre_kin"] = 1
            return


def simulate(h: _History) -> None:
    rng, today = h.rng, h.today
    by_village = defaultdict(list)
    for p in h.posts:
        by_village[p.village.id].append(p)
    # every recruitment starts after its post's decision (the first try 3 days or more after it)
    h.recruiting_from = min(
        (p.decided_on for p in h.posts if p.plan in ("live", "closed")), default=h.recruiting_from
    )
    seq = 0
    for v in h.b.villages:
        heap = []
        for post in by_village.get(v.id, ()):
            if post.plan not in ("live", "closed"):
                continue
            post.seats_free = [post.decided_on] * post.headcount
            d0 = post.decided_on + timedelta(days=rng.randint(3, 20))
            seq += 1
            heapq.heappush(heap, (d0, seq, post))
        while heap:
            d0, _s, post = heapq.heappop(heap)
            if d0 > today or post.closed_on is not None:
                continue
            if post.busy_until is not None and post.busy_until >= d0:
                if post.busy_until != date.max:
                    seq += 1
                    heapq.heappush(heap, (post.busy_until + timedelta(days=rng.randint(5, 20)), seq, post))
                continue
            places = sum(1 for f in post.seats_free if f is not None and f <= d0)
            if places == 0:
                continue
            for when in _recruit(h, post, d0, places):
                seq += 1
                heapq.heappush(heap, (when, seq, post))
        h.processed_villages.add(v.id)


def _applicants(h: _History, post: _Post, d0: date, places: int) -> list:
    rng, v = h.rng, post.village
    fund = h.post_fund(post)
    restricted = fund["categories"] if fund["restricts_categories"] and h.rng.random() < 0.9 else ()
    likely = h.likely
    pool = [p for p in h.likely_pool(v) if likely(p, d0, restricted, False, post)]
    k = min(len(pool), places + rng.randint(1, 3) + (1 if rng.random() < 0.3 else 0))
    chosen = rng.sample(pool, k)
    if post.forced_hire is not None and post.forced_hire not in chosen:
        chosen.insert(0, post.forced_hire)
    if rng.random() < 0.35:  # someone who will be refused, with the engine's reasons
        others = [
            p
            for p in v.persons
            if p not in chosen and h.alive(p, d0) and age_on(p.birth, d0) >= 18 and not h.likely(p, d0)
        ]
        if others:
            chosen.append(rng.choice(others))
    if rng.random() < 0.06:  # from a neighbouring village (not 本村户籍)
        near = [x for x in v.township.villages if x is not v and x.id in h.processed_villages]
        if near:
            other = rng.choice(near)
            adults = [p for p in other.persons if h.alive(p, d0) and 18 <= age_on(p.birth, d0) <= 60]
            if adults:
                chosen.append(rng.choice(adults))
    if rng.random() < 0.02:
        young = [p for p in v.persons if age_on(p.birth, d0) == 15 and p not in chosen]
        if young:
            chosen.append(rng.choice(young))
    return chosen


def _period(h: _History, published: date) -> tuple[date, date]:
    """The 公示 period as the service counts it (domain.hiring.publicity_period over the county calendar)."""
    return publicity_period(published, PUBLICITY_DAYS, h.exceptions)


def _recruit(h: _History, post: _Post, d0: date, places: int) -> list[date]:
    """One recruitment (公告 → applications → 公示 → hire) for `places` seats; returns dates to try again."""
    b, rng, today = h.b, h.rng, h.today
    town = post.township
    clerk = h.clerk(post)
    post.noticed = True
    notice_id = b.new_id("notice")
    end_on = d0 + timedelta(days=NOTICE_DAYS)
    fund = h.post_fund(post)
    restricted = (
        "，资金来源为光伏收益，限脱贫人口、防止返贫监测对象报名" if fund["restricts_categories"] else ""
    )
    notice = {
        "id": notice_id,
        "post_id": post.id,
        "title": f"{post.village.name}{post.title}招聘公告",
        "conditions": "本村户籍、年满16周岁，属于脱贫人口、防止返贫监测对象、"
        f"农村低收入人口等帮扶类别{restricted}；"
        f"身体能胜任{h.cat_name[post.cat]}工作，弱劳力、半劳力和无法离乡人员优先；"
        "村干部及其家庭成员不得报名，已在其他公益性岗位的不得报名。",
        "places": places,
        "start_on": d0,
        "end_on": end_on,
        "contact": f"{town.name}人力资源和社会保障服务中心，"
        f"电话{TOWN_LANDLINE}{town.code[6:9]}{post.village.code[-4:]}",
        "status": "open",
        "published_by_id": clerk,
        "published_at": _at(rng, d0),
    }
    h.rows["notice"].append(notice)
    retry = []
    # applications, each checked by the engine on its entry date
    people = _applicants(h, post, d0, places)
    entries = sorted(
        ((_day(rng, d0, min(end_on, today)), i, p) for i, p in enumerate(people)), key=lambda e: (e[0], e[1])
    )
    apps = []
    for entered, _i, p in entries:
        failures = h.check(p, post, entered)
        app = {
            "id": b.new_id("application"),
            "notice_id": notice_id,
            "person_id": p.id,
            "publicity_id": None,
            "status": "ineligible" if failures else "eligible",
            "failures_json": json.dumps([f.as_dict() for f in failures], ensure_ascii=False)
            if failures
            else None,
            "checked_on": entered,
            "hired_on": None,
            "priority": priority_key(p.work_capacity, p.cannot_leave_home),
            "note": None,
            "entered_by_id": clerk,
            "entered_at": _at(rng, entered),
            "_person": p,
        }
        apps.append(app)
        h.rows["application"].append(app)
    if today <= end_on:
        post.busy_until = date.max
        return retry
    published = end_on + timedelta(days=rng.randint(1, 3))
    if published > today:
        post.busy_until = date.max
        return retry
    for a in apps:  # a few eligible applicants withdraw before the 公示
        if a["status"] == "eligible" and a["_person"] is not post.forced_hire and rng.random() < 0.04:
            a["status"] = "withdrawn"
            a["note"] = "本人申请撤回报名"
    hired = []
    excluded = set()
    round_no = 0
    while True:
        round_no += 1
        start, last = _period(h, published)
        hire_on = next_working_day(last, h.exceptions) + timedelta(days=rng.randint(0, 3))
        order = sorted(
            (a for a in apps if a["status"] in ("eligible", "not_selected") and a["id"] not in excluded),
            key=lambda a: (a["_person"] is not post.forced_hire, a["priority"], a["entered_at"], a["id"]),
        )
        reserved = (
            h.holder1.household if h.holder1 is not None and post.forced_hire is not h.holder1 else None
        )
        fit = [
            a
            for a in order
            if h.own_account(a["_person"])
            and not h.busy(a["_person"], published)
            and a["_person"].household is not reserved
            and not h.check(a["_person"], post, published)
            and not h.check(a["_person"], post, hire_on)
        ]
        chosen, households = [], set()
        for a in fit:  # the second of a household would be refused at hire (household limit)
            if len(chosen) < places and a["_person"].household.id not in households:
                chosen.append(a)
                households.add(a["_person"].household.id)
        if not chosen:
            close_on = published
            _close_notice(h, notice, apps, close_on)
            retry.append(close_on + timedelta(days=rng.randint(60, 120)))
            post.busy_until = close_on
            return retry
        pub = {
            "id": b.new_id("publicity"),
            "notice_id": notice_id,
            "start_on": start,
            "end_on": last,
            "working_days": PUBLICITY_DAYS,
            "where_to_object": notice["contact"],
            "status": "open",
            "published_by_id": clerk,
            "published_at": _at(rng, published),
        }
        h.rows["publicity"].append(pub)
        for a in chosen:
            a["status"], a["publicity_id"] = "shortlisted", pub["id"]
        finished = hire_on + timedelta(days=10) < today
        if (
            round_no == 1
            and places == 1
            and len(fit) > 1
            and finished
            and h.plans["upheld"] is None
            and published.year >= 2025
            and post.forced_hire is None
            and post.village.township is not h.b.townships[0]
        ):
            victim = chosen[0]
            _objection(h, pub, victim, start, last, upheld=True, clerk=clerk)
            excluded.add(victim["id"])
            pub["status"] = "ended"
            for a in apps:
                if a["status"] == "eligible":
                    a["status"] = "not_selected"
            published = last + timedelta(days=rng.randint(1, 2))
            if published > today:
                post.busy_until = date.max
                return retry
            continue
        if (
            finished
            and published.year >= 2025
            and len(h.plans["rejected"]) < 2
            and post.forced_hire is None
            and rng.random() < (0.15 if not h.plans["rejected"] else 0.02)
        ):
            _objection(h, pub, chosen[0], start, last, upheld=False, clerk=clerk)
        if hire_on > today:
            post.busy_until = date.max
            return retry
        pub["status"] = "ended"
        for a in chosen:
            a["status"], a["checked_on"], a["hired_on"], a["failures_json"] = "hired", hire_on, hire_on, None
            hired.append(a)
        _close_notice(h, notice, apps, hire_on)
        break
    post.busy_until = hire_on
    for a in hired:
        seat = next(i for i, f in enumerate(post.seats_free) if f is not None and f <= d0)
        post.seats_free[seat] = None
        tenure = _Tenure(a["_person"], post, a["id"], hire_on)
        h.holdings[a["_person"].id].append(tenure)
        h.tenures.append(tenure)
        _serve(h, tenure)
        if tenure.last is not None:
            free = tenure.last + timedelta(days=1)
            post.seats_free[seat] = free
            if post.plan == "closed":
                post.closed_on = min(free + timedelta(days=rng.randint(5, 20)), today)
            else:
                retry.append(free + timedelta(days=rng.randint(15, 60)))
    unfilled = places - len(hired)
    if unfilled > 0:
        retry.append(hire_on + timedelta(days=rng.randint(60, 120)))
    return retry


def _close_notice(h: _History, notice: dict, apps: list, on: date) -> None:
    notice["status"] = "closed"
    for a in apps:
        if a["status"] in ("eligible", "shortlisted"):
            a["status"] = "not_selected"


def _objection(
    h: _History, pub: dict, app: dict, start: date, last: date, *, upheld: bool, clerk: int
) -> None:
    rng = h.rng
    p = app["_person"]
    received = _day(rng, start, last)
    resolved = _day(rng, received, last)
    content, resolution = OBJECTION_UPHELD if upheld else rng.choice(OBJECTIONS_REJECTED)
    villager = rng.choice([x for x in p.village.persons if x is not p and x.phone] or [p])
    row = {
        "id": h.b.new_id("objection"),
        "publicity_id": pub["id"],
        "application_id": app["id"],
        "objector_name": villager.name if rng.random() < 0.6 else None,
        "objector_contact": villager.phone if rng.random() < 0.6 else None,
        "content": content.format(name=p.name),
        "received_on": received,
        "status": "upheld" if upheld else "rejected",
        "resolution": resolution.format(name=p.name),
        "recorded_by_id": clerk,
        "resolved_by_id": clerk,
        "resolved_at": _at(rng, resolved),
    }
    h.rows["objection"].append(row)
    if upheld:
        app["status"] = "removed"
        app["note"] = f"因异议成立取消（{resolved.isoformat()}）：{row['resolution']}"
        h.plans["upheld"] = row
    else:
        h.plans["rejected"].append(row)


def _first_term(h: _History, signed: date) -> tuple[date, date]:
    rng = h.rng
    if rng.random() < 0.7:
        start = date(signed.year + (signed.month == 12), signed.month % 12 + 1, 1)
    else:
        start = signed + timedelta(days=rng.randint(1, 5))
    return start, _end_for(h, start)


def _end_for(h: _History, start: date) -> date:
    """One year at most (domain.contracts.latest_end); some signings run to the end of the year."""
    limit = latest_end(start)
    year_end = date(start.year, 12, 31)
    if start.month != 1 and (year_end - start).days >= 90 and h.rng.random() < 0.2:
        return year_end
    return limit


def _new_contract(h: _History, tenure: _Tenure, start: date, end: date, signed: date, prev) -> _Contract:
    post = tenure.post
    std, allowance, days = h.terms_on(
        post, start
    )  # the post's terms for the start (a revision is known ahead)
    cid = h.b.new_id("contract")
    c = _Contract(
        cid,
        f"HT{start.year}-{cid:06d}",
        tenure.person,
        post,
        tenure.app_id,
        prev,
        start,
        end,
        signed,
        allowance,
        days,
        std["full_time"],
        std["perf_excellent_fen"],
        std["perf_pass_fen"],
    )
    assert end <= latest_end(start)
    tenure.contracts.append(c)
    h.contracts.append(c)
    return c


def _insure(h: _History, c: _Contract) -> bool:
    """Record the accident insurance (before the start) and activate; False while not yet recorded today."""
    rng = h.rng
    latest = max(c.signed_on, c.start - timedelta(days=1))
    insured = min(c.signed_on + timedelta(days=rng.randint(0, 3)), latest)
    if c.start > h.today and (h.today - c.signed_on).days <= 12 and rng.random() < 0.6:
        insured = h.today + timedelta(days=1)  # the policy is still being bought
    if insured > h.today:
        return False
    insurer, prefix = rng.choice(INSURERS)
    h.rows["insurance_policy"].append(
        {
            "id": h.b.new_id("insurance_policy"),
            "contract_id": c.id,
            "insurer": insurer,
            "policy_no": f"{prefix}{c.start.year}{rng.randrange(10**9):09d}",
            "start_on": c.start,
            "end_on": c.end,
            "recorded_by_id": h.clerk(c.post),
            "recorded_at": _at(rng, insured),
        }
    )
    c.status, c.activated_on = "active", insured
    if c.prev is not None and c.prev.status == "active":
        c.prev.status = "ended"
        c.prev.end_reason = f"续签：由合同 {c.code} 接续"
    return True


def _exit_event(h: _History, c: _Contract, hired: date, steady: bool = False) -> tuple[date, str, str] | None:
    """The first thing that ends the signing early
    (death, other employment, category ended, own request …)."""
    rng, p = h.rng, c.person
    events = []
    if p.death_date is not None and c.start <= p.death_date <= c.end:
        events.append(
            (
                p.death_date,
                "death",
                f"死亡（{p.death_date.year}年{p.death_date.month}月{p.death_date.day}日）",
            )
        )
    for e in h.employment.get(p.id_number, ()):
        if e.full_time and c.start < e.start_on <= c.end:
            events.append(
                (
                    e.start_on - timedelta(days=1),
                    "employment",
                    f"找到其他工作：{e.start_on.isoformat()}起在{e.employer}全日制就业",
                )
            )
            break
    for cat, _s, e in p.categories:
        if e is not None and c.start <= e < c.end and not h.has_category(p, e + timedelta(days=1)):
            when = min(e + timedelta(days=rng.randint(3, 20)), c.end)
            events.append(
                (when, "ineligible", f"不再符合条件：{cat}身份已于{e.isoformat()}终止，无其他帮扶类别")
            )
            break
    if p.id not in h.cadre_kin_seed:
        for t in h.cadre_ties(p):  # a 换届 makes the holder (or a relative) a cadre: no longer eligible
            if hired < t.term_start <= c.end:
                when = max(c.start, min(t.term_start + timedelta(days=rng.randint(10, 30)), c.end))
                who = "本人" if t.relation == "本人" else f"{t.relation}{t.cadre_name}"
                reason = (
                    f"不再符合条件：{who}自{t.term_start.isoformat()}起任{t.village_name}{t.office}，"
                    "村干部及其家庭成员不得在岗"
                )
                events.append((when, "cadre", reason))
                break
    if not steady and rng.random() < 0.035 and (c.end - c.start).days > 90:
        kind, reason, _w = rng.choices(RANDOM_EXITS, weights=[r[2] for r in RANDOM_EXITS])[0]
        events.append((_day(rng, c.start + timedelta(days=45), c.end - timedelta(days=15)), kind, reason))
    events = [e for e in events if e[0] >= c.start]
    return min(events, key=lambda e: e[0]) if events else None


def _annual(h: _History, c: _Contract, on: date, steady: bool = False) -> str:
    """The annual grade of a signing, assessed near its end (period: the year it mostly covers)."""
    rng = h.rng
    first_year_days = (min(c.end, date(c.start.year, 12, 31)) - c.start).days + 1
    total = (c.end - c.start).days + 1
    period = str(c.start.year if first_year_days * 2 >= total else c.end.year)
    grade = rng.choices(("优秀", "合格", "不合格"), weights=(20, 77, 0 if steady else 3))[0]
    h.rows["assessment"].append(
        {
            "id": h.b.new_id("assessment"),
            "contract_id": c.id,
            "kind": "annual",
            "period": period,
            "grade": grade,
            "note": "全年多次无故缺勤，工作任务完成差" if grade == "不合格" else None,
            "assessed_by_id": h.clerk(c.post),
            "assessed_at": _at(h.rng, on),
        }
    )
    return grade


def _serve(h: _History, tenure: _Tenure) -> None:
    """From the hire to the exit (or today): signings, insurance, renewals, annual grades, exits."""
    rng, today = h.rng, h.today
    p, post = tenure.person, tenure.post
    steady = p is h.holder1  # the holder1 login: no chance exits, passing grades
    signed = tenure.hire + timedelta(days=rng.randint(0, 3))
    if signed > today:
        return  # hired, contract not yet signed
    start, end = _first_term(h, signed)
    if p.death_date is not None and p.death_date < start:
        tenure.last = p.death_date  # died before the signing took effect: never signed
        return
    c = _new_contract(h, tenure, start, end, signed, None)
    if not _insure(h, c):
        return  # ANOMALY-FREE: a draft waiting for its insurance
    while True:
        event = _exit_event(h, c, tenure.hire, steady)
        if event is not None and event[0] <= today and event[0] <= c.end:
            when, kind, reason = event
            c.status, c.exit_on, c.end_reason = "terminated", when, reason
            tenure.last = when
            if kind == "breach":
                h.blacklist.add(p.id)
            return
        signing = c.end - timedelta(days=rng.randint(5, 20))
        assessed = max(c.start, signing - timedelta(days=rng.randint(1, 10)))
        if c.end >= today and (signing > today or assessed > today):
            return  # still serving today
        grade = _annual(h, c, assessed, steady)
        reason = None
        if grade == "不合格":
            reason = "年度考核不合格，期满不再续签"
            h.blacklist.add(p.id)
        elif post.plan == "closed":
            reason = f"岗位撤销：{post.village.name}{post.title}设岗需求已消失，期满终止，不再续签"
        else:
            failures = h.check(p, post, c.end + timedelta(days=1), state=signing, ignore=c.id)
            if failures:
                reason = "期满不再续签：续签资格复核未通过（" + "；".join(f.message for f in failures) + "）"
            elif not steady and rng.random() < 0.04:
                reason = "期满本人不再续签（外出务工）"
        if reason is not None:
            if c.end >= today:
                return  # the decision is known, the signing still runs until its end
            c.status, c.end_reason = "ended", reason
            tenure.last = c.end
            return
        start = c.end + timedelta(days=1)
        nxt = _new_contract(h, tenure, start, _end_for(h, start), signing, c)
        if not _insure(h, nxt):
            return  # renewal signed, insurance not yet recorded: the current signing stays active
        c = nxt
