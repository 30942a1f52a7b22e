"""Planted cases for the 纪检监察 rules in the demo county: for every rule at least one true case and a
look-alike that must not be flagged. Called by one line at the end of demo.generate_county.

The cases are made from the county as generated (existing people, posts, funds, runs, employment
records), so the registry counts stay as they are; every planted case is listed in one audit entry
(action demo_plant_cases: rule, subject, whether it must be flagged, the people involved), which the
demo tests read to find them and to leave them out of the clean-county checks.
"""

from __future__ import annotations

import json
import random
from calendar import monthrange
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..domain.payroll import compute_line
from ..models.audit import AuditEntry
from ..models.contracts import Contract, InsurancePolicy
from ..models.pay import AttendanceDay, AttendanceRecord, Payment, PayrollRun
from ..models.people import Cadre, EmploymentRecord, Person, PersonCategory, Region, Relation
from ..models.policy import Fund
from ..models.posts import Post
from ..services import audit

ACTION = "demo_plant_cases"


def _relatives_of(session: Session, persons) -> set[int]:
    """Everyone related to one of `persons` (a SELECT of person ids), the relation read either way: the
    ids from the relation rows that touch them, not every row of the county's relations."""
    return set(
        session.connection()
        .execute(
            select(Relation.relative_id)
            .where(Relation.person_id.in_(persons))
            .union(select(Relation.person_id).where(Relation.relative_id.in_(persons)))
        )
        .scalars()
        .all()
    )


class _Planter:
    def __init__(self, session: Session, today: date, seed: int, actor: str):
        self.s, self.today, self.rng, self.actor = session, today, random.Random(seed * 31 + 9), actor
        self.cases: list[dict] = []
        self.persons: set[int] = set()
        self.used: set[int] = set()
        self.households: set[int] = set()  # one planted case per household, so cases never mix
        self.runs = {
            (r.township_id, r.month): r
            for r in session.scalars(select(PayrollRun).where(PayrollRun.status == "approved"))
        }
        self.months = sorted({m for _, m in self.runs})
        # the session is flushed (the query above) and nothing changes until the planting: the column reads
        # below are plain Core rows, tens of thousands of them, with no ORM row handling, each result read
        # with all() (one fetchall, not a fetchone a row)
        rows = session.connection().execute
        holders = set(rows(select(Contract.person_id)).scalars().all())
        cadres = set(rows(select(Cadre.person_id)).scalars().all())
        kin = _relatives_of(session, select(Cadre.person_id))
        self.kin_serving = _relatives_of(
            session, select(Cadre.person_id).where(Cadre.term_end >= date(2021, 1, 1))
        )
        busy = (
            select(Person.household_id)
            .where(or_(Person.id.in_(select(Contract.person_id)), Person.id.in_(select(Cadre.person_id))))
            .subquery()
        )
        self.busy_households = set(rows(select(busy.c.household_id)).scalars().all())
        jobs = set(rows(select(EmploymentRecord.id_number)).scalars().all())
        in_cat = set(
            rows(
                select(PersonCategory.person_id).where(
                    PersonCategory.start_on <= date(2021, 1, 1),
                    PersonCategory.end_on.is_(None),
                    PersonCategory.category != "大龄",
                )
            )
            .scalars()
            .all()
        )
        live = session.scalars(
            select(Post)
            .join(Fund, Fund.id == Post.fund_id)
            .where(Post.status.in_(("filled", "partly_filled")), Fund.restricts_categories.is_(False))
            .order_by(Post.id)
        ).all()
        by_village, by_town = {}, {}
        for p in live:
            by_village.setdefault(p.village_id, p)
            by_town.setdefault(p.township_id, p)
        # the post a planted holder takes: one of their village, else one of their township, else the first
        self.posts = {}
        for vid, tid in session.execute(select(Region.id, Region.parent_id).where(Region.level == "village")):
            post = by_village.get(vid) or by_town.get(tid) or (live[0] if live else None)
            if post is not None:
                self.posts[vid] = post
        # the SQL narrows the county to the living adults with an own account; the rest is judged here, on
        # plain rows (a person is loaded as an object only when a case takes it: see take())
        self.base = [
            p
            for p in rows(
                select(
                    Person.id,
                    Person.household_id,
                    Person.village_id,
                    Person.death_date,
                    Person.id_number,
                    Person.account_no,
                    Person.account_name,
                    Person.name,
                    Person.birth_date,
                )
                .where(
                    Person.death_date.is_(None),
                    Person.account_no.is_not(None),
                    Person.account_no != "",
                    Person.account_name == Person.name,
                    Person.birth_date.between(date(today.year - 55, 1, 1), date(today.year - 20, 12, 31)),
                    # the tests below, in SQL too, so that only candidates are loaded
                    Person.id.not_in(select(Contract.person_id)),
                    Person.id.not_in(select(Cadre.person_id)),
                    Person.id_number.not_in(
                        select(EmploymentRecord.id_number).where(EmploymentRecord.id_number.is_not(None))
                    ),
                    or_(
                        Person.household_id.is_(None),
                        Person.household_id.not_in(
                            select(busy.c.household_id).where(busy.c.household_id.is_not(None))
                        ),
                    ),
                )
                .order_by(Person.id)
            ).all()
            if p.id not in holders
            and p.id not in cadres
            and p.death_date is None
            and p.id_number not in jobs
            and p.id in in_cat
            and p.household_id not in self.busy_households
            and p.account_no
            and p.account_name == p.name
            and p.village_id in self.posts
            and 20 <= (today.year - p.birth_date.year) <= 55
        ]
        self.free = [p for p in self.base if p.id not in kin]

    # -- building blocks
    def person(self, village_id: int | None = None, *, exclude_households=()) -> Person:
        """A fresh eligible person (of the village when it has one), from a household not yet used."""
        taken = self.households | set(exclude_households)
        pool = [p for p in self.free if p.id not in self.used and p.household_id not in taken]
        local = [p for p in pool if p.village_id == village_id]
        return self.take(self.rng.choice(local or pool))

    def take(self, p) -> Person:
        """Mark `p` (a Person, or a candidate row of self.free) used; return the Person."""
        self.used.add(p.id)
        self.households.add(p.household_id)
        self.persons.add(p.id)
        return p if isinstance(p, Person) else self.s.get(Person, p.id)

    def fresh(self, p: Person) -> bool:
        return p.id not in self.used and p.household_id not in self.households

    def contract(
        self,
        person: Person,
        start: date,
        end: date,
        *,
        status: str = "active",
        exit_on: date | None = None,
        post: Post | None = None,
        reason: str | None = None,
    ) -> Contract:
        post = post or self.posts[person.village_id]
        c = Contract(
            code="HT-PLANT",
            person_id=person.id,
            post_id=post.id,
            kind="劳务协议",
            start_on=start,
            end_on=end,
            allowance_fen=post.allowance_fen,
            required_days=post.required_days,
            full_time=post.full_time,
            duties=post.duties,
            work_place=post.work_place,
            hours=post.hours,
            status=status,
            signed_on=start,
            exit_on=exit_on,
            end_reason=reason or ("合同到期" if status == "ended" else None),
        )
        self.s.add(c)
        self.s.flush()
        c.code = f"HT{start.year}-{c.id:06d}"
        self.s.add(
            InsurancePolicy(
                contract_id=c.id,
                insurer="中国人寿财产保险（演示）",
                policy_no=f"YW{c.id:08d}",
                start_on=start,
                end_on=end,
            )
        )
        self.s.flush()
        return c

    def pay(
        self,
        c: Contract,
        month: str,
        *,
        attended: int | None = None,
        covered: int | None = None,
        attendance: str | None = "locked",
        kind: str = "regular",
        amount: int | None = None,
        original: Payment | None = None,
        reason: str | None = None,
        status: str = "paid",
        account: tuple | None = None,
        fund_id: int | None = None,
    ) -> Payment:
        post = self.s.get(Post, c.post_id)
        run = self.runs.get((post.township_id, month))
        y, m = (int(x) for x in month.split("-"))
        days = monthrange(y, m)[1]
        covered = days if covered is None else covered
        attended = c.required_days if attended is None else attended
        line = compute_line(c.allowance_fen, c.required_days, attended, covered, days, None, 0, 0)
        if attendance and kind == "regular":
            self.s.add(
                AttendanceRecord(
                    contract_id=c.id,
                    person_id=c.person_id,
                    month=month,
                    days_worked=attended,
                    status=attendance,
                )
            )
        person = self.s.get(Person, c.person_id)
        acct = account or (person.account_no, person.account_name)
        p = Payment(
            run_id=run.id if run else None,
            contract_id=c.id,
            person_id=c.person_id,
            fund_id=fund_id or post.fund_id,
            month=month,
            kind=kind,
            standard_fen=c.allowance_fen,
            required_days=c.required_days,
            attended_days=attended,
            covered_days=covered,
            month_days=days,
            cap_fen=line.cap_fen,
            base_fen=line.base_fen if kind == "regular" else 0,
            grade=None,
            performance_fen=0,
            amount_fen=line.amount_fen if amount is None else amount,
            calc_text=line.calc_text if kind == "regular" else f"{kind}：{reason}",
            account_kind=person.account_kind,
            account_no=acct[0],
            account_name=acct[1],
            status=status,
            paid_on=(run.approved_on + timedelta(days=5)) if (run and status == "paid") else None,
            bank_ref=None,
            reason=reason,
            original_payment_id=original.id if original else None,
        )
        self.s.add(p)
        self.s.flush()
        return p

    def case(self, rule: str, subject: str, flagged: bool, what: str, *persons: Person) -> None:
        self.cases.append(
            {
                "rule": rule,
                "subject": subject,
                "flagged": flagged,
                "what": what,
                "persons": [p.id for p in persons],
            }
        )
        self.persons.update(p.id for p in persons)


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def plant_cases(session: Session, today: date, seed: int, actor: str) -> dict[str, int]:
    """Plant a true case and a look-alike for every rule; return counts for the demo summary."""
    pl = _Planter(session, today, seed, actor)
    if len(pl.free) < 30 or len(pl.months) < 6:
        return {"oversight_planted_cases": 0}
    months = pl.months[-8:-1]  # paid months, not the newest
    m0 = months[0]
    y0, mo0 = (int(x) for x in m0.split("-"))
    start = date(y0, mo0, 1)
    end = start.replace(year=start.year + 1) - timedelta(days=1)

    def regular_year(p: Person, **kw) -> Contract:
        c = pl.contract(p, start, end, **kw)
        for m in months[:3]:
            pl.pay(c, m)
        return c

    # PAID_AFTER_DEATH — true: paid two full months after
    # dying; look-alike: died, paid only to the day of death
    a = pl.person()
    c = regular_year(a)
    died = date(*(int(x) for x in months[3].split("-")), 10)
    a.death_date = died
    pl.pay(c, months[3])
    pl.pay(c, months[4])
    pl.case("PAID_AFTER_DEATH", f"person:{a.id}", True, "死亡后仍按全月发放两个月", a)
    b = pl.person()
    cb = pl.contract(b, start, end, status="terminated", exit_on=died, reason="死亡")
    for m in months[:3]:
        pl.pay(cb, m)
    pl.pay(cb, months[3], covered=died.day, attended=min(died.day - 2, cb.required_days))
    b.death_date = died
    pl.case("PAID_AFTER_DEATH", f"person:{b.id}", False, "死亡当月按死亡日前天数折算发放，此后未再发放", b)

    # PAID_OUTSIDE_CONTRACT — true: paid two months after exit; look-alike: only the prorated exit month
    exit_on = date(*(int(x) for x in months[2].split("-")), 15)
    p = pl.person()
    c = pl.contract(p, start, end, status="terminated", exit_on=exit_on, reason="本人申请退岗")
    for m in months[:2]:
        pl.pay(c, m)
    pl.pay(c, months[2], covered=15, attended=min(12, c.required_days))
    pl.pay(c, months[3])
    pl.pay(c, months[4])
    pl.case("PAID_OUTSIDE_CONTRACT", f"contract:{c.id}", True, "退岗后仍发放两个月", p)
    pl.case("IMPOSSIBLE_ATTENDANCE", f"contract:{c.id}", True, "退岗后仍录入考勤（同一案件）", p)
    q = pl.person()
    cq = pl.contract(q, start, end, status="terminated", exit_on=exit_on, reason="本人申请退岗")
    for m in months[:2]:
        pl.pay(cq, m)
    pl.pay(cq, months[2], covered=15, attended=min(12, cq.required_days))
    pl.case("PAID_OUTSIDE_CONTRACT", f"contract:{cq.id}", False, "退岗当月按在岗天数折算发放", q)

    # PAID_NO_ATTENDANCE — true: a month paid on a draft attendance
    # sheet; look-alike: a 补发 line (no sheet of its own)
    p = pl.person()
    c = regular_year(p)
    pl.pay(c, months[3], attendance="draft")
    pl.case("PAID_NO_ATTENDANCE", f"contract:{c.id}", True, "考勤未审核即发放", p)
    q = pl.person()
    cq = pl.contract(q, start, end)
    orig = pl.pay(cq, months[0], attended=cq.required_days - 2)
    pl.pay(
        cq,
        months[0],
        kind="补发",
        amount=orig.cap_fen - orig.amount_fen,
        original=orig,
        reason="村委会补报漏记的2天出勤，经乡镇核实后补发",
    )
    pl.case("PAID_NO_ATTENDANCE", f"contract:{cq.id}", False, "补发明细没有单独的考勤表（原考勤已审核）", q)
    # ABOVE_STANDARD — the same 补发 is no overpayment (it stays within the cap); true: a 补发 on a full month
    pl.case("ABOVE_STANDARD", f"contract:{cq.id}", False, "补发后当月合计等于标准，未超标准", q)
    p = pl.person()
    c = pl.contract(p, start, end)
    full = pl.pay(c, months[0])
    pl.pay(
        c, months[0], kind="补发", amount=full.standard_fen // 5, original=full, reason="补发出勤（已满勤）"
    )
    pl.case("ABOVE_STANDARD", f"contract:{c.id}", True, "满勤月份再补发，合计超过标准", p)

    # SHARED_ACCOUNT — true: a holder's pay goes to the village
    # clerk's card; look-alike: own card, name typed with a space
    clerk = session.scalar(
        select(Person)
        .join(Cadre, Cadre.person_id == Person.id)
        .where(Cadre.office == "村文书", Cadre.term_end >= today, Person.account_no.is_not(None))
        .order_by(Person.id)
    )
    p = pl.person(
        clerk.village_id if clerk.village_id in pl.posts else None, exclude_households={clerk.household_id}
    )
    p.account_kind, p.account_no, p.account_name = clerk.account_kind, clerk.account_no, clerk.name
    c = regular_year(p)
    pl.case("SHARED_ACCOUNT", f"account:{clerk.account_no}", True, "补贴发到村文书本人的银行卡", p, clerk)
    pl.case("SHARED_ACCOUNT", f"account_name:{p.id}", True, "开户人为村文书而非本人（同一案件）", p)
    q = pl.person()
    q.account_name = q.name + " "
    regular_year(q)
    pl.case("SHARED_ACCOUNT", f"account_name:{q.id}", False, "开户人姓名多录了一个空格，仍是本人", q)

    # SHARED_PHONE — true: the clerk's phone on a holder of
    # another household; look-alike: a couple in one household
    p = pl.person(exclude_households={clerk.household_id})
    clerk.phone = clerk.phone or f"139{clerk.id:08d}"[-11:]
    p.phone = clerk.phone
    regular_year(p)
    pl.case(
        "SHARED_PHONE", f"phone:{clerk.phone}", True, "村文书的手机号登记在其他户的岗位人员名下", p, clerk
    )
    couple = session.execute(
        select(Relation.person_id, Relation.relative_id).where(Relation.kind == "配偶").order_by(Relation.id)
    ).all()
    free_ids = {f.id for f in pl.free}
    for x, y in couple:
        if x not in free_ids:
            continue
        hx, hy = session.get(Person, x), session.get(Person, y)
        if (
            pl.fresh(hx)
            and hx.household_id == hy.household_id
            and hy.death_date is None
            and hx.household_id not in pl.busy_households
        ):
            pl.take(hx)
            hy.phone = hx.phone = hx.phone or f"137{hx.id:08d}"[-11:]
            regular_year(hx)
            pl.case("SHARED_PHONE", f"phone:{hx.phone}", False, "同户夫妻共用一个手机号", hx, hy)
            break

    # MULTI_POST — true: a second overlapping post in another village; look-alike: a renewal the day after
    p = pl.person()
    regular_year(p)
    other = next(post for post in pl.posts.values() if post.id != pl.posts[p.village_id].id)
    pl.contract(p, start + timedelta(days=61), start + timedelta(days=240), status="ended", post=other)
    pl.case("MULTI_POST", f"person:{p.id}", True, "同时在两个村的岗位签订合同", p)
    q = pl.person()
    first = pl.contract(q, start - timedelta(days=365), start - timedelta(days=1), status="ended")
    second = pl.contract(q, start, end)
    second.previous_contract_id = first.id
    pl.case("MULTI_POST", f"person:{q.id}", False, "续签合同紧接上一份，不重叠", q)

    # HOUSEHOLD_LIMIT — true: two of one household at once; look-alike: one after the other
    def pair() -> tuple[Person, Person]:
        by_hh = {}
        for f in pl.free:
            if pl.fresh(f):
                by_hh.setdefault(f.household_id, []).append(f)
        hh = pl.rng.choice(sorted(k for k, v in by_hh.items() if len(v) >= 2))
        x, y = by_hh[hh][:2]
        return pl.take(x), pl.take(y)

    x, y = pair()
    regular_year(x)
    pl.contract(y, start + timedelta(days=30), end, post=pl.posts[y.village_id])
    pl.case("HOUSEHOLD_LIMIT", f"household:{x.household_id}", True, "同一户两人同时在岗", x, y)
    x2, y2 = pair()
    pl.contract(x2, start - timedelta(days=365), start - timedelta(days=200), status="ended")
    pl.contract(y2, start, end)
    pl.case("HOUSEHOLD_LIMIT", f"household:{x2.household_id}", False, "同户两人先后在岗，不同时", x2, y2)

    # INELIGIBLE — true: no category and not 大龄 on the hiring
    # date; look-alike: 大龄 by birth date, no recorded category
    def uncategorised(oldest: int, youngest: int, *where):
        """Living persons with no category record and an own-named account, aged (by year) between
        `youngest` and `oldest`, in id order (one query: the category test is set-based), as plain rows
        (id, village_id, household_id): pl.take() loads the one chosen. The session flushed first, as the
        ORM query this was flushed it."""
        session.flush()
        return (
            session.connection()
            .execute(
                select(Person.id, Person.village_id, Person.household_id)
                .where(
                    Person.death_date.is_(None),
                    ~select(PersonCategory.id).where(PersonCategory.person_id == Person.id).exists(),
                    Person.account_name == Person.name,
                    Person.birth_date.between(
                        date(today.year - oldest, 1, 1), date(today.year - youngest, 12, 31)
                    ),
                    *where,
                )
                .order_by(Person.id)
            )
            .all()
        )

    def plantable(p) -> bool:
        return (
            p.village_id in pl.posts
            and p.household_id not in pl.busy_households
            and pl.fresh(p)
            and p.id not in pl.kin_serving
        )

    young = next((p for p in uncategorised(40, 25) if plantable(p)), None)
    older = None
    if young is not None:
        older = next(
            (
                q
                for q in uncategorised(55, 47, Person.sex == "F")
                if plantable(q) and q.household_id != young.household_id
            ),
            None,
        )
    if young is not None and older is not None:
        p, q = pl.take(young), pl.take(older)
        c = regular_year(p)
        pl.case("INELIGIBLE", f"contract:{c.id}", True, "聘用时不属于任何帮扶类别", p)
        cq = regular_year(q)
        pl.case(
            "INELIGIBLE",
            f"contract:{cq.id}",
            False,
            "无类别记录，但聘用时已满45周岁（大龄，按身份证认定）",
            q,
        )

    # EMPLOYED_ELSEWHERE — true: a full-time insured job while paid; look-alike: a part-time job
    job = session.scalar(
        select(EmploymentRecord)
        .where(EmploymentRecord.full_time.is_(True), EmploymentRecord.end_on.is_(None))
        .order_by(EmploymentRecord.id)
    )
    if job is not None:  # the imported record belongs to a person who then takes a post (吃空饷)
        worker = pl.person()
        job.id_number, job.start_on = worker.id_number, min(job.start_on, start)
        regular_year(worker)
        pl.case(
            "EMPLOYED_ELSEWHERE", f"person:{worker.id}", True, "参保记录显示全日制就业期间领取补贴", worker
        )
    part = session.scalar(
        select(EmploymentRecord).where(EmploymentRecord.full_time.is_(False)).order_by(EmploymentRecord.id)
    )
    if part is not None:
        worker = pl.person()
        part.id_number, part.start_on, part.end_on = worker.id_number, min(part.start_on, start), None
        regular_year(worker)
        pl.case(
            "EMPLOYED_ELSEWHERE", f"person:{worker.id}", False, "参保记录为非全日制就业，不影响在岗", worker
        )

    # IMPOSSIBLE_ATTENDANCE — true: a day dated before the contract began; look-alike: days inside it
    p = pl.person()
    c = pl.contract(p, start + timedelta(days=4), end)
    pl.pay(c, months[0], covered=monthrange(y0, mo0)[1] - 4)
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == c.id))
    session.add_all(
        [
            AttendanceDay(record_id=rec.id, day=start + timedelta(days=1)),
            AttendanceDay(record_id=rec.id, day=start + timedelta(days=6)),
        ]
    )
    pl.case("IMPOSSIBLE_ATTENDANCE", f"contract:{c.id}", True, "考勤日期早于合同起始日", p)
    q = pl.person()
    cq = pl.contract(q, start, end)
    pl.pay(cq, months[0])
    rec = session.scalar(select(AttendanceRecord).where(AttendanceRecord.contract_id == cq.id))
    session.add_all([AttendanceDay(record_id=rec.id, day=start + timedelta(days=d)) for d in (1, 2, 5)])
    pl.case("IMPOSSIBLE_ATTENDANCE", f"contract:{cq.id}", False, "逐日考勤均在合同期和当月之内", q)

    # ARREARS — true: a line of an old approved run left unpaid; look-alike: the newest run, inside the limit
    # the run of that contract's township and month, or (a short history: that township had no run
    # then) the oldest approved run of the paid months with a paid line to hold back
    town = pl.s.get(Post, c.post_id).township_id
    candidates = sorted(
        (r for (t, m), r in pl.runs.items() if m in months),
        key=lambda r: (r.township_id != town or r.month != months[0], r.month, r.id),
    )
    for old_run in candidates:
        line = session.scalar(
            select(Payment)
            .where(
                Payment.run_id == old_run.id,
                Payment.status == "paid",
                Payment.amount_fen > 0,
                Payment.kind == "regular",
                Payment.person_id.not_in(pl.persons),
            )
            .order_by(Payment.id)
        )
        if line is not None:
            line.status, line.paid_on, line.bank_ref = "pending", None, None
            pl.persons.add(line.person_id)
            pl.cases.append(
                {
                    "rule": "ARREARS",
                    "subject": f"payroll_run:{old_run.id}",
                    "flagged": True,
                    "what": "审批数月后仍有明细未发放",
                    "persons": [line.person_id],
                }
            )
            break
    newest = max(
        (r for r in pl.runs.values() if r.approved_on and (today - r.approved_on).days < 30),
        key=lambda r: r.approved_on,
        default=None,
    )
    if newest is not None:
        pl.cases.append(
            {
                "rule": "ARREARS",
                "subject": f"payroll_run:{newest.id}",
                "flagged": False,
                "what": "审批不足30天，尚未到拖欠认定期限",
                "persons": [],
            }
        )

    # FUND_OVERRUN — true: 光伏收益 paying a holder outside
    # its categories; look-alike: 光伏收益 paying a 脱贫 holder
    solar = session.scalar(select(Fund).where(Fund.restricts_categories.is_(True), Fund.year == y0))
    if solar is not None:
        allowed = set(solar.allowed_categories)

        # every person's categories (all; open), read once as plain rows (the session is flushed: the query
        # for the fund above), instead of loading the fresh candidates and their categories one by one
        held, open_ = defaultdict(set), defaultdict(set)
        for pid, category, end_on in (
            session.connection()
            .execute(select(PersonCategory.person_id, PersonCategory.category, PersonCategory.end_on))
            .all()
        ):
            held[pid].add(category)
            if end_on is None:
                open_[pid].add(category)
        fresh_ids = [f.id for f in pl.free if pl.fresh(f)]
        wrong = next((pid for pid in fresh_ids if not held[pid] & allowed), None)
        right = next((pid for pid in fresh_ids if open_[pid] & allowed), None)
        wrong = session.get(Person, wrong) if wrong is not None else None
        right = session.get(Person, right) if right is not None else None
        for person, flagged, what in (
            (wrong, True, "光伏收益资金支付给不属于其限定类别的人员"),
            (right, False, "光伏收益资金支付给脱贫人口，符合限定类别"),
        ):
            if person is None:
                continue
            pl.take(person)
            cc = pl.contract(person, start, end)
            pl.pay(cc, months[0], fund_id=solar.id)
            pl.case("FUND_OVERRUN", f"fund:{solar.id}:person:{person.id}", flagged, what, person)

    # CADRE_KIN — look-alike: a member of the household of a cadre whose term ended before the hire
    serving = set(session.scalars(select(Cadre.person_id).where(Cadre.term_end >= start)))
    holders = set(session.scalars(select(Contract.person_id)))
    kin_now = _relatives_of(session, select(Cadre.person_id).where(Cadre.term_end >= start))
    for cadre_pid, term_end in session.execute(
        select(Cadre.person_id, Cadre.term_end).where(Cadre.term_end < start).order_by(Cadre.id)
    ).all():
        cadre = session.get(Person, cadre_pid)
        if cadre_pid in serving or cadre.household_id in pl.households:
            continue
        family = session.scalars(select(Person).where(Person.household_id == cadre.household_id)).all()
        if any(m.id in serving or m.id in holders or m.id in kin_now for m in family):
            continue
        kid = next(
            (
                m
                for m in family
                if m.id != cadre_pid
                and m.death_date is None
                and m.village_id in pl.posts
                and m.account_name == m.name
                and 20 <= today.year - m.birth_date.year <= 55
                and any(
                    c.end_on is None and c.start_on <= start and c.category != "大龄" for c in m.categories
                )
            ),
            None,
        )
        if kid is not None:
            pl.take(kid)
            regular_year(kid)
            pl.case(
                "CADRE_KIN",
                f"person:{kid.id}",
                False,
                f"同户家人的村干部任期已于{term_end}结束，此后才聘用",
                kid,
            )
            break

    # ROTATION — true: two households of one village each
    # away a year and back; look-alike: one household alone
    def fresh_by_village() -> dict[int, list[Person]]:
        """The fresh persons of every village, one per household (the first in the pool), in one pass."""
        households: dict[int, dict[int, Person]] = {}
        for f in pl.free:
            if pl.fresh(f):
                households.setdefault(f.village_id, {}).setdefault(f.household_id, f)
        return {v: list(h.values()) for v, h in households.items()}

    fresh = fresh_by_village()

    def fresh_in(v):
        return fresh.get(v, [])

    vids = sorted(pl.posts, key=lambda v: (-len(fresh_in(v)), v))
    v1 = next((v for v in vids if len(fresh_in(v)) >= 2), None)
    v2 = next(
        (v for v in vids if v1 and fresh_in(v) and pl.posts[v].village_id != pl.posts[v1].village_id), None
    )
    if v1 and v2:
        r1, r2 = (pl.take(x) for x in fresh_in(v1)[:2])
        for who, years in ((r1, (2022, 2024)), (r2, (2023, 2025))):
            for yr in years:
                pl.contract(who, date(yr, 1, 1), date(yr, 12, 31), status="ended")
        pl.case("ROTATION", f"village:{pl.posts[v1].village_id}", True, "两户岗位人员隔年交替在岗", r1, r2)
        fresh = fresh_by_village()  # r1 and r2 are taken now
        r3 = pl.take(fresh_in(v2)[0])
        for yr in (2022, 2024):
            pl.contract(r3, date(yr, 1, 1), date(yr, 12, 31), status="ended")
        pl.case("ROTATION", f"village:{pl.posts[v2].village_id}", False, "仅一户离岗后返岗，不构成轮换", r3)

    session.flush()
    audit.record(
        session,
        actor,
        ACTION,
        "oversight_flag",
        None,
        after={"cases": pl.cases, "persons": sorted(pl.persons)},
        summary=f"演示数据：为纪检监察规则布设{sum(c['flagged'] for c in pl.cases)}个真实案例和"
        f"{sum(not c['flagged'] for c in pl.cases)}个相似但不应提示的情形",
    )
    return {"oversight_planted_cases": len(pl.cases)}


def planted(session: Session) -> dict:
    """The planted cases and people, from the demo's audit entry ({} when none)."""
    text = session.scalar(
        select(AuditEntry.after_json).where(AuditEntry.action == ACTION).order_by(AuditEntry.id.desc())
    )
    return json.loads(text) if text else {"cases": [], "persons": []}
