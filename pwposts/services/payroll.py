"""在岗领补 steps 3–4: a township's payroll run — prepared for all holders at once, approved by a
second person, paid through the bank, corrected only by new lines; and arrears (拖欠).

Life of a run (payroll_run.status): preview (待审批) → approved (已审批), or preview → void.

* prepare_run computes the lines of every contract of the township that covers the month, from
  one SELECT (contract, post, person, fund, approved attendance, monthly grade), the pure rule
  domain.payroll.compute_line, and one executemany INSERT. Holders without approved attendance
  are not paid and are listed on the preview. Re-preparing a preview replaces its lines.
  One live run per township and month: a partial unique index in the database; on PostgreSQL an
  advisory lock keyed by township+month also serialises concurrent prepares and approvals.
* approve_run: a second person (preparer ≠ approver, also a CHECK in the database), only while
  the preview still matches its inputs, the accounts are the holders' own, and every fund's
  remaining allocation covers the run. A conditional UPDATE … WHERE status = 'preview' lets
  exactly one of two concurrent approvals win. The attendance of the paid lines is locked.
* The bank: bank_file_rows → the file of pending lines of a batch; import_bank_results marks
  lines paid or failed (all or nothing); retry_failed moves failed lines to the next batch.
* A paid amount is never edited: correct_payment adds a 补发 or 扣回 line.

Services flush only; the web, API or CLI commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..documents.bank_files import BankRow, ResultRow, read_results, result_date
from ..domain import payroll as rules
from ..domain.errors import Conflict, DomainError, Forbidden, NotFound
from ..domain.formats import month_bounds, month_heading, parse_date, parse_month, yuan
from ..domain.pay import RUN_KIND_LABELS, RUN_KINDS
from ..models.contracts import Assessment, Contract
from ..models.pay import AttendanceRecord, Payment, PayrollRun
from ..models.people import Person, Region
from ..models.policy import Fund
from ..models.posts import Post
from . import audit
from .clock_binding import now_of
from .oversight import scan_after_payroll_approval
from .permissions import can, get_scoped, id_number_search, require, scope_regions
from .settings import county_of, int_setting, setting

PAYMENT = Payment.__table__
RUN = PayrollRun.__table__
ATTENDANCE = AttendanceRecord.__table__
_RUN_LOCK = 7243002  # advisory-lock namespace: one township-month's run
_FUND_LOCK = 7243003  # advisory-lock namespace: one fund's remaining allocation
PAID_ATTENDANCE = ("approved", "locked")
SHOWN_NAMES = 8  # how many names a refusal message spells out


# ---------------------------------------------------------------- loading and locking


def load_township(session: Session, actor, township_id: Any, action: str) -> Region:
    try:
        tid = int(township_id)
    except (TypeError, ValueError):
        raise NotFound("乡镇") from None
    township = session.get(Region, tid)
    if township is None or township.level != "township":
        raise NotFound("乡镇")
    require(actor, action, township, what="乡镇")
    return township


def load_run(session: Session, actor, run_id: Any, action: str = "view_payroll") -> PayrollRun:
    try:
        rid = int(run_id)
    except (TypeError, ValueError):
        raise NotFound("发放清册") from None
    return get_scoped(session, actor, PayrollRun, rid, action, "发放清册")


def _lock_run_key(session: Session, township_id: int, month: str) -> None:
    """PostgreSQL: serialise prepare/approve/void of one township-month until commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:k))"),
            {"ns": _RUN_LOCK, "k": f"{township_id}:{month}"},
        )


def _lock_funds(session: Session, fund_ids: Iterable[int]) -> bool:
    """PostgreSQL: serialise the allocation check of these funds (in id order, so no deadlock).
    True when locks were taken (SQLite needs none: its writers are serialised anyway)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    for fid in sorted({f for f in fund_ids if f is not None}):
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"), {"ns": _FUND_LOCK, "id": fid})
    return True


def run_months_for(session: Session, township: Region, month: str) -> list[str]:
    """The months a run for `month` covers, by the county's pay frequency in force at the month's end."""
    county = county_of(session, township)
    frequency = setting(session, county.id, "pay_frequency", month_bounds(month)[1])
    try:
        return rules.run_months(month, frequency)
    except ValueError:
        raise DomainError(
            "payroll_quarterly_month",
            f"本县按季度发放（县级设置“发放周期”为按季度）：{month_heading(month)}不是季度末月份。"
            "请为季度末月份（3、6、9、12月）造册，该清册包含本季度三个月的明细",
        ) from None


# ---------------------------------------------------------------- inputs and lines


@dataclass
class Unpaid:
    """A holder covered by the month who gets no line, and why."""

    contract_id: int
    contract_code: str
    person_id: int
    name: str
    id_number: str
    village_id: int
    post_title: str
    month: str
    reason: str

    @property
    def cause(self) -> str:
        """The reason without its particulars (the date of death), for counting."""
        return "已故" if self.reason.startswith("已故") else self.reason.split("，")[0]


def unpaid_summary(unpaid: Iterable[Unpaid], extra: Iterable[str] = ()) -> str:
    """“考勤待审核2人、无考勤记录1人” — how many holders are left out, per cause (most first)."""
    counts: dict[str, int] = {}
    for cause in [u.cause for u in unpaid] + list(extra):
        counts[cause] = counts.get(cause, 0) + 1
    return "、".join(f"{c}{n}人" for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


# Module-level aliases: the statement's cache key stays the same from call to call, so SQLAlchemy
# compiles it once.
_POST_FUND = aliased(Fund, name="post_fund")
_YEAR_FUND = aliased(Fund, name="year_fund")
_EXISTING = aliased(Payment, name="existing")
_REGULAR = literal_column("'regular'")


def _input_rows(session: Session, township_id: int, month: str):
    """Every contract of the township covering `month`, with what its line needs — one SELECT."""
    # Core execution (no ORM row loading): tens of thousands of plain rows, unpacked by position in _lines
    return session.connection().execute(_input_statement(month), {"in_township": township_id}).all()


@lru_cache(maxsize=64)
def _input_statement(month: str):
    """_input_rows' SELECT for `month`, township bound as :in_township (built once per month)."""
    township_id = bindparam("in_township", type_=Integer)
    first, last = month_bounds(month)
    year = int(month[:4])
    post_fund, year_fund, existing = _POST_FUND, _YEAR_FUND, _EXISTING
    q = (
        select(
            Contract.id.label("contract_id"),
            Contract.code,
            Contract.person_id,
            Contract.start_on,
            Contract.end_on,
            Contract.exit_on,
            Contract.allowance_fen,
            Contract.required_days,
            Contract.perf_excellent_fen,
            Contract.perf_pass_fen,
            Person.name,
            Person.id_number,
            Person.account_kind,
            Person.account_no,
            Person.account_name,
            Person.death_date,
            Post.title,
            Post.village_id,
            # the post's fund, or the fund of the same name for the month's year (allocations are yearly)
            func.coalesce(year_fund.id, Post.fund_id).label("fund_id"),
            AttendanceRecord.status.label("att_status"),
            AttendanceRecord.days_worked,
            Assessment.grade,
            # a scalar subquery, not a join: one index probe per contract, whatever the statistics say
            # (a payroll inserts thousands of payments faster than PostgreSQL's autoanalyze notices)
            # ('regular' written into the SQL, not bound: PostgreSQL's generic plan for a prepared
            # statement can then still use the partial unique index … WHERE kind = 'regular')
            select(existing.run_id)
            .where(existing.contract_id == Contract.id, existing.month == month, existing.kind == _REGULAR)
            .scalar_subquery()
            .label("paid_run_id"),
        )
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id)
        .join(post_fund, post_fund.id == Post.fund_id)
        .outerjoin(
            year_fund,
            and_(
                year_fund.county_id == post_fund.county_id,
                year_fund.name == post_fund.name,
                year_fund.year == year,
            ),
        )
        .outerjoin(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, AttendanceRecord.month == month),
        )
        .outerjoin(
            Assessment,
            and_(
                Assessment.contract_id == Contract.id,
                Assessment.kind == "monthly",
                Assessment.period == month,
            ),
        )
        # status || '' keeps SQLite's planner (no statistics) from scanning every contract of the county
        # through the status index: it starts from the township's posts instead
        .where(
            Post.township_id == township_id,
            (Contract.status + "").in_(rules.PAYABLE_CONTRACT_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
        )
        .order_by(Post.village_id, Person.name, Contract.id)
    )
    return q


def _lines(rows, month: str, run_id: int | None) -> tuple[list[dict], list[Unpaid]]:
    """Payment rows (dicts for executemany) and the unpaid holders, from _input_rows."""
    first, last = month_bounds(month)
    d = (last - first).days + 1
    lines, unpaid = [], []
    compute = rules.compute_line
    for (
        contract_id,
        code,
        person_id,
        start_on,
        end_on,
        exit_on,
        allowance_fen,
        required_days,
        perf_excellent,
        perf_pass,
        name,
        id_number,
        account_kind,
        account_no,
        account_name,
        death_date,
        title,
        village_id,
        fund_id,
        att_status,
        days_worked,
        grade,
        paid_run_id,
    ) in rows:
        if paid_run_id is not None and paid_run_id != run_id:
            continue  # paid in another run (e.g. a quarterly one)
        paid_to = exit_on or end_on
        if death_date is not None and death_date < paid_to:
            paid_to = death_date
        lo = max(first, start_on)
        hi = min(last, paid_to)
        c = (hi - lo).days + 1
        if c <= 0 or att_status not in PAID_ATTENDANCE:
            reason = (
                f"已故（{death_date.isoformat()}），当月不予计发"
                if c <= 0
                else "无考勤记录"
                if att_status is None
                else "考勤待审核"
            )
            unpaid.append(
                Unpaid(contract_id, code, person_id, name, id_number, village_id, title, month, reason)
            )
            continue
        line = compute(allowance_fen, required_days, days_worked, c, d, grade, perf_excellent, perf_pass)
        lines.append(
            {
                "contract_id": contract_id,
                "person_id": person_id,
                "fund_id": fund_id,
                "month": month,
                "standard_fen": allowance_fen,
                "required_days": required_days,
                "attended_days": days_worked,
                "covered_days": c,
                "month_days": d,
                "cap_fen": line.cap_fen,
                "base_fen": line.base_fen,
                "grade": grade,
                "performance_fen": line.performance_fen,
                "amount_fen": line.amount_fen,
                "calc_text": line.calc_text,
                "account_kind": account_kind,
                "account_no": account_no,
                "account_name": account_name,
            }
        )
    return lines, unpaid


def compute_run(session: Session, township_id: int, months: list[str], run_id: int | None):
    """(lines, unpaid) for a township and the run's months; no writes."""
    lines, unpaid = [], []
    for m in months:
        ls, us = _lines(_input_rows(session, township_id, m), m, run_id)
        lines += ls
        unpaid += us
    return lines, unpaid


# ---------------------------------------------------------------- prepare / void


def prepare_run(
    session: Session, actor, township_id: Any, month: Any, today: date, kind: str = "regular"
) -> PayrollRun:
    """Compute (or recompute) the township's run for the month as a preview.

    kind="regular": the month's one regular run (月度清册). kind="supplementary" (补充清册): only once the
    regular run is approved; it pays, by the same rules, every holder with approved attendance and no
    regular line for the month (attendance approved after the regular run) — a holder already paid in any
    run is skipped, and the unique regular line per contract-month refuses any double payment. At most one
    preview per township-month (either kind): re-preparing replaces its lines."""
    township = load_township(session, actor, township_id, "prepare_payroll")
    month = parse_month(month)
    if kind not in RUN_KINDS:
        raise DomainError("payroll_run_kind", f"清册类型只能为月度清册或补充清册，收到“{kind}”")
    if month_bounds(month)[1] >= today:
        raise DomainError(
            "payroll_month_not_over",
            f"{month_heading(month)}尚未结束，不能造册：请在该月最后一天之后为其生成发放清册",
        )
    months = run_months_for(session, township, month)
    _lock_run_key(session, township.id, month)
    live = session.scalars(
        select(PayrollRun)
        .where(PayrollRun.township_id == township.id, PayrollRun.month == month, PayrollRun.status != "void")
        .order_by(PayrollRun.id)
    ).all()
    for r in live:
        session.refresh(r)  # the lock may have waited for another transaction's commit
    live = [r for r in live if r.status != "void"]
    where = f"{township.name}{month_heading(month)}"  # a failed flush expires every loaded object
    regular = next((r for r in live if r.kind == "regular"), None)
    preview = next((r for r in live if r.status == "preview"), None)
    if kind == "regular":
        run = regular
        if run is not None and run.status == "approved":
            raise Conflict(
                "payroll_already_approved",
                f"{where}的发放清册（第{run.id}号）已审批，不能重新生成；考勤在审批后才审核的人员请生成补充清册，"
                "已发放明细如有差错请办理补发或扣回",
            )
    else:
        if regular is None or regular.status != "approved":
            raise DomainError(
                "supplementary_needs_approved_run",
                f"{where}还没有已审批的月度清册，不能生成补充清册：请先生成并审批该月的月度清册",
            )
        if preview is not None and preview.kind == "regular":  # cannot happen: the regular run is approved
            preview = None
        run = preview
    now = now_of(session)
    before = None
    if run is None:
        run = PayrollRun(
            township_id=township.id,
            month=month,
            kind=kind,
            status="preview",
            prepared_by_id=actor.id,
            prepared_at=now,
        )
        session.add(run)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                "payroll_run_exists",
                f"{where}的{RUN_KIND_LABELS[kind]}已由他人同时生成，请刷新页面后查看该清册",
            ) from None
    else:
        before = {
            "total_fen": run.total_fen,
            "line_count": run.line_count,
            "unpaid_count": run.unpaid_count,
            "prepared_by_id": run.prepared_by_id,
        }
        session.execute(delete(PAYMENT).where(PAYMENT.c.run_id == run.id))
        run.prepared_by_id, run.prepared_at = actor.id, now

    lines, unpaid = compute_run(session, township.id, months, run.id)
    if not lines and not unpaid and kind == "regular":
        raise DomainError(
            "payroll_no_holders",
            f"{township.name}{month_heading(month)}没有在岗人员（无覆盖该月的有效合同），无需造册",
        )
    if kind == "supplementary" and not lines:
        raise DomainError(
            "supplementary_nobody",
            f"{where}没有可补充计发的人员：已审批清册之外没有考勤已审核的人员"
            + (f"（仍未计发{len(unpaid)}人：{unpaid_summary(unpaid)}；请先审核其考勤）" if unpaid else ""),
        )
    for ln in lines:
        ln.update(
            run_id=run.id,
            kind="regular",
            status="pending",
            bank_batch=1,
            created_by_id=actor.id,
            created_at=now,
        )
    if lines:
        try:
            _insert_payments(session, lines)
        except IntegrityError:
            raise Conflict(
                "payroll_lines_exist", f"{where}有人员的补贴已在其他清册中，请刷新后重试"
            ) from None
    run.total_fen = sum(ln["amount_fen"] for ln in lines)
    run.line_count = len(lines)
    run.unpaid_count = len(unpaid)
    session.flush()
    after = {
        "township": township.name,
        "month": month,
        "months": months,
        "kind": kind,
        "total_fen": run.total_fen,
        "line_count": run.line_count,
        "unpaid_count": run.unpaid_count,
    }
    audit.record(
        session,
        actor,
        "prepare_payroll" if before is None else "reprepare_payroll",
        "payroll_run",
        run.id,
        before=before,
        after=after,
        summary=f"{'生成' if before is None else '重新生成'}"
        f"{'发放清册' if kind == 'regular' else '补充清册'}：{township.name}{month_heading(month)}，"
        f"{run.line_count}人，合计{yuan(run.total_fen)}；无已审核考勤未计发{run.unpaid_count}人",
    )
    return run


_PAYMENT_COLUMNS = (
    "run_id",
    "contract_id",
    "person_id",
    "fund_id",
    "month",
    "kind",
    "standard_fen",
    "required_days",
    "attended_days",
    "covered_days",
    "month_days",
    "cap_fen",
    "base_fen",
    "grade",
    "performance_fen",
    "amount_fen",
    "calc_text",
    "account_kind",
    "account_no",
    "account_name",
    "status",
    "bank_batch",
    "created_by_id",
    "created_at",
)


def _insert_payments(session: Session, lines: list[dict]) -> None:
    """One executemany INSERT of the lines, handed to the driver as it is (values are ints, strings and
    None; the one timestamp is converted once by its column type), skipping SQLAlchemy's per-row
    parameter processing — it costs more than the insert itself for a county's lines."""
    conn = session.connection()
    compiled = PAYMENT.insert().compile(dialect=conn.dialect, column_keys=list(_PAYMENT_COLUMNS))
    to_db = PAYMENT.c.created_at.type.bind_processor(conn.dialect)
    if to_db is not None:
        created = to_db(lines[0]["created_at"])
        for ln in lines:
            ln["created_at"] = created
    if conn.dialect.name == "postgresql":  # COPY: PostgreSQL's bulk load, several times an executemany
        row = itemgetter(*_PAYMENT_COLUMNS)
        sql = f"COPY payment ({', '.join(_PAYMENT_COLUMNS)}) FROM STDIN"
        try:
            with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
                for ln in lines:
                    copy.write_row(row(ln))
        except conn.dialect.dbapi.IntegrityError as err:  # as SQLAlchemy would have raised it
            raise IntegrityError(sql, None, err) from err
    elif compiled.positional:
        row = itemgetter(*compiled.positiontup)
        conn.exec_driver_sql(compiled.string, [row(ln) for ln in lines])
    else:
        conn.exec_driver_sql(compiled.string, lines)


def void_run(session: Session, actor, run_id: Any, reason: str, today: date) -> PayrollRun:
    """作废 a preview: its lines are deleted, and a new run may be prepared for the month."""
    run = load_run(session, actor, run_id, "prepare_payroll")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("reason_required", "请填写作废原因（至少2个字）")
    _lock_run_key(session, run.township_id, run.month)
    session.refresh(run)
    if run.status != "preview":
        raise Conflict(
            "payroll_not_preview",
            f"第{run.id}号清册状态为“{rules_label(run.status)}”，只有待审批的清册可以作废",
        )
    before = {"status": run.status, "total_fen": run.total_fen, "line_count": run.line_count}
    session.execute(delete(PAYMENT).where(PAYMENT.c.run_id == run.id))
    run.status = "void"
    session.flush()
    audit.record(
        session,
        actor,
        "void_payroll",
        "payroll_run",
        run.id,
        before=before,
        after={"status": "void", "reason": reason},
        summary=f"作废发放清册：{run.township.name}{month_heading(run.month)}（第{run.id}号），原因：{reason}",
    )
    return run


def rules_label(status: str) -> str:
    from ..domain.pay import RUN_STATE_LABELS

    return RUN_STATE_LABELS.get(status, status)


# ---------------------------------------------------------------- the checks a preview shows


@dataclass
class FundCheck:
    fund_id: int
    name: str
    year: int
    allocation_fen: int
    used_fen: int  # approved payments charged to the fund, outside this run
    run_fen: int  # this run's lines charged to the fund

    @property
    def remaining_fen(self) -> int:
        return self.allocation_fen - self.used_fen

    @property
    def after_fen(self) -> int:
        return self.remaining_fen - self.run_fen

    @property
    def exceeded(self) -> bool:
        return self.after_fen < 0

    @property
    def message(self) -> str:
        return (
            f"资金“{self.name}”（{self.year}年）剩余额度不足：年度拨款{yuan(self.allocation_fen)}，"
            f"已审批发放{yuan(self.used_fen)}，剩余{yuan(self.remaining_fen)}，本清册需{yuan(self.run_fen)}，"
            f"超出{yuan(-self.after_fen)}"
        )


def fund_checks(session: Session, run: PayrollRun, *, lock: bool = False) -> list[FundCheck]:
    """Each fund the run charges: allocation − approved payments elsewhere − this run (two aggregates).
    lock=True (approval) takes the funds' locks between finding them and summing their use."""
    per_fund = dict(
        session.execute(
            select(Payment.fund_id, func.sum(Payment.amount_fen))
            .where(Payment.run_id == run.id)
            .group_by(Payment.fund_id)
        ).all()
    )
    per_fund.pop(None, None)
    if not per_fund:
        return []
    if lock:
        _lock_funds(session, per_fund)
    # approved use per fund, summed from ix_payment_fund_run alone (no payment rows read), as a scalar
    # subquery per fund: one statement for the funds and their use
    used = (
        select(func.coalesce(func.sum(PAYMENT.c.amount_fen), 0))
        .select_from(PAYMENT.join(RUN, PAYMENT.c.run_id == RUN.c.id))
        .where(PAYMENT.c.fund_id == Fund.id, RUN.c.status == "approved", PAYMENT.c.run_id != run.id)
        .scalar_subquery()
    )
    funds = session.execute(
        select(Fund.id, Fund.name, Fund.year, Fund.allocation_fen, used)
        .where(Fund.id.in_(per_fund))
        .order_by(Fund.name, Fund.year)
    ).all()
    return [
        FundCheck(fid, name, year, allocation, int(used_fen or 0), int(per_fund[fid]))
        for fid, name, year, allocation, used_fen in funds
    ]


@dataclass
class Blocker:
    payment_id: int
    name: str
    reason: str


def account_blockers(session: Session, run_id: int) -> list[Blocker]:
    """Lines that cannot go to the holder's own account: no account, or an account in another name."""
    rows = session.execute(
        select(Payment.id, Person.name, Payment.account_no, Payment.account_name)
        .join(Person, Payment.person_id == Person.id)
        .where(
            Payment.run_id == run_id,
            Payment.amount_fen > 0,
            or_(
                Payment.account_no.is_(None),
                Payment.account_no == "",
                and_(
                    Payment.account_name.is_not(None),
                    Payment.account_name != "",
                    Payment.account_name != Person.name,
                ),
            ),
        )
        .order_by(Person.name)
    ).all()
    out = []
    for r in rows:
        if not r.account_no:
            out.append(Blocker(r.id, r.name, "未登记本人银行卡或社保卡账号"))
        else:
            out.append(Blocker(r.id, r.name, f"账户开户人“{r.account_name}”与本人姓名不符（不得代领）"))
    return out


@dataclass
class RunView:
    run: PayrollRun
    months: list[str]
    unpaid: list[Unpaid]
    funds: list[FundCheck]
    blockers: list[Blocker]
    villages: dict[int, str]
    by_status: dict[str, tuple[int, int]]  # status → (lines, fen)
    pending_batches: list[int]
    failed_count: int
    stale: list[str] = field(default_factory=list)  # names whose inputs changed since preparing
    related: list[PayrollRun] = field(default_factory=list)  # the township-month's other live runs

    @property
    def fund_exceeded(self) -> list[FundCheck]:
        return [f for f in self.funds if f.exceeded]

    @property
    def late(self) -> list[Unpaid]:
        """Holders a supplementary run would pay: approved attendance, no regular line in any run."""
        return [u for u in self.unpaid if u.reason == LATE_REASON]

    @property
    def open_preview(self) -> PayrollRun | None:
        """Another run of the township-month awaiting approval (a supplementary run would be refused)."""
        return next((r for r in self.related if r.status == "preview"), None)

    @property
    def left_count(self) -> int:
        """Holders of the township-month left 未计发 once this run is approved: without a line in any run
        (no approved attendance, attendance approved late, deceased) or, in a preview, with an account problem."""
        return len(self.unpaid) + (len(self.blockers) if self.run.status == "preview" else 0)

    @property
    def left_summary(self) -> str:
        """The approval confirmation's sentence: how many holders are left 未计发 and why."""
        if not self.left_count:
            return "本乡镇该月覆盖的人员均已计发，无人未计发"
        extra = ["账户有问题（须先更正）"] * len(self.blockers) if self.run.status == "preview" else []
        return f"本乡镇该月仍有{self.left_count}人未计发：{unpaid_summary(self.unpaid, extra)}"


def _line_months(session: Session, run: PayrollRun) -> list[str]:
    """The distinct months of the run's lines, in order."""
    return list(
        session.scalars(
            select(Payment.month).where(Payment.run_id == run.id).distinct().order_by(Payment.month)
        ).all()
    )


def run_months(run: PayrollRun, session: Session) -> list[str]:
    """Every month the run covers: those of its pay frequency and those its lines have (a quarterly run
    whose lines fill only some months must still see attendance approved later for the others)."""
    try:
        intended = run_months_for(session, run.township, run.month)
    except DomainError:
        intended = [run.month]
    return sorted(set(intended) | set(_line_months(session, run)))


def run_view(session: Session, actor, run_id: Any, today: date) -> RunView:
    """A run with what its page shows beside the lines: unpaid holders, funds, blockers, status counts."""
    run = load_run(session, actor, run_id)
    months = run_months(run, session)
    unpaid, stale = [], []
    if run.status != "void":
        fresh, unpaid = compute_run(session, run.township_id, months, run.id)
        if run.status == "preview":
            stale = _stale_names(session, run, months)
        else:
            unpaid += _late_holders(session, run, fresh)
    villages = dict(
        session.execute(select(Region.id, Region.name).where(Region.parent_id == run.township_id)).all()
    )
    by_status = {
        s: (int(n), int(f or 0))
        for s, n, f in session.execute(
            select(Payment.status, func.count(Payment.id), func.sum(Payment.amount_fen))
            .where(Payment.run_id == run.id)
            .group_by(Payment.status)
        ).all()
    }
    pending_batches = list(
        session.scalars(
            select(Payment.bank_batch)
            .where(Payment.run_id == run.id, Payment.status == "pending", Payment.amount_fen > 0)
            .distinct()
            .order_by(Payment.bank_batch)
        )
    )
    related = session.scalars(
        select(PayrollRun)
        .where(
            PayrollRun.township_id == run.township_id,
            PayrollRun.month == run.month,
            PayrollRun.status != "void",
            PayrollRun.id != run.id,
        )
        .order_by(PayrollRun.id)
    ).all()
    return RunView(
        run,
        months,
        unpaid,
        fund_checks(session, run),
        account_blockers(session, run.id),
        villages,
        by_status,
        pending_batches,
        by_status.get("failed", (0, 0))[0],
        stale,
        list(related),
    )


_STALE_KEYS = (
    "amount_fen",
    "attended_days",
    "covered_days",
    "standard_fen",
    "grade",
    "fund_id",
    "account_no",
    "account_name",
)


LATE_REASON = "考勤在清册审批后才审核，未列入本清册"


def _late_holders(session: Session, run: PayrollRun, fresh: list[dict]) -> list[Unpaid]:
    """Holders who would have a line now but are not in the approved run (attendance approved late)."""
    stored = set(
        session.execute(
            select(Payment.contract_id, Payment.month).where(
                Payment.run_id == run.id, Payment.kind == "regular"
            )
        ).all()
    )
    late = {(ln["contract_id"], ln["month"]) for ln in fresh} - stored
    if not late:
        return []
    who = {
        r.id: r
        for r in session.execute(
            select(
                Contract.id,
                Contract.code,
                Contract.person_id,
                Person.name,
                Person.id_number,
                Post.village_id,
                Post.title,
            )
            .join(Person, Contract.person_id == Person.id)
            .join(Post, Contract.post_id == Post.id)
            .where(Contract.id.in_({cid for cid, _ in late}))
        ).all()
    }
    return [
        Unpaid(
            cid,
            who[cid].code,
            who[cid].person_id,
            who[cid].name,
            who[cid].id_number,
            who[cid].village_id,
            who[cid].title,
            m,
            LATE_REASON,
        )
        for cid, m in sorted(late, key=lambda k: (k[1], who[k[0]].name))
    ]


def _stale_names_computed(session: Session, run: PayrollRun, fresh: list[dict]) -> list[str]:
    """Holders whose line would now come out differently, found by comparing the run's lines with a
    re-computation (`fresh`, from compute_run) — the reference the set-based _stale_names is tested against."""
    cols = [PAYMENT.c[k] for k in _STALE_KEYS]
    stored = {
        (cid, m): (pid, rest)
        for cid, m, pid, *rest in session.connection()
        .execute(
            select(PAYMENT.c.contract_id, PAYMENT.c.month, PAYMENT.c.person_id, *cols).where(
                PAYMENT.c.run_id == run.id, PAYMENT.c.kind == "regular"
            )
        )
        .all()
    }
    changed_persons = set()
    for ln in fresh:
        old = stored.pop((ln["contract_id"], ln["month"]), None)
        if old is None or old[1] != [ln[k] for k in _STALE_KEYS]:
            changed_persons.add(ln["person_id"])
    changed_persons.update(pid for pid, _ in stored.values())  # lines that would no longer be made
    if not changed_persons:
        return []
    return list(
        session.scalars(select(Person.name).where(Person.id.in_(changed_persons)).order_by(Person.name))
    )


def _covered_days(dialect: str, contract, person, first: date, last: date):
    """c of the rule in SQL: days from max(start, first) to min(exit or end, death, last), both included."""
    lo_args = (contract.start_on, literal(first, Date))
    hi_args = (
        func.coalesce(contract.exit_on, contract.end_on),
        func.coalesce(person.death_date, func.coalesce(contract.exit_on, contract.end_on)),
        literal(last, Date),
    )
    if dialect == "postgresql":
        return func.least(*hi_args) - func.greatest(*lo_args) + 1
    # SQLite: dates are ISO strings; min()/max() with several arguments are its scalar least/greatest
    return cast(func.julianday(func.min(*hi_args)) - func.julianday(func.max(*lo_args)), Integer) + 1


@lru_cache(maxsize=64)
def _stale_statement(dialect: str, month: str):
    """Ids of the persons whose line in run :st_run (of township :st_township) for `month` is stale, in ONE
    statement (built once per dialect and month — building it costs more than running it):
    (a) a line with no current row giving exactly its inputs — the contract (still payable, covering the
        month, same standard, required days and covered days), attendance still approved (or locked) with
        the same days, the same grade and performance component, the same fund, the person's current
        account number and name; or
    (b) a contract of the township covering the month, with approved attendance (and alive on a day of
        the month), that has no regular line in any run (attendance approved after the preview).
    Same inputs → the same line: compute_line is a pure function of them."""
    first, last = month_bounds(month)
    run_id, township_id = bindparam("st_run", type_=Integer), bindparam("st_township", type_=Integer)
    post_fund, year_fund = _POST_FUND, _YEAR_FUND
    p = PAYMENT.alias("p")
    perf = case(
        (Assessment.grade == "优秀", Contract.perf_excellent_fen),
        (Assessment.grade == "合格", Contract.perf_pass_fen),
        else_=0,
    )
    current = (
        select(literal(1))
        .select_from(Contract)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id)
        .join(post_fund, post_fund.id == Post.fund_id)
        .outerjoin(
            year_fund,
            and_(
                year_fund.county_id == post_fund.county_id,
                year_fund.name == post_fund.name,
                year_fund.year == int(month[:4]),
            ),
        )
        .join(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, AttendanceRecord.month == month),
        )
        .outerjoin(
            Assessment,
            and_(
                Assessment.contract_id == Contract.id,
                Assessment.kind == "monthly",
                Assessment.period == month,
            ),
        )
        .where(
            Contract.id == p.c.contract_id,
            Contract.person_id == p.c.person_id,
            p.c.month_days == (last - first).days + 1,
            Post.township_id == township_id,
            Contract.status.in_(rules.PAYABLE_CONTRACT_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
            Contract.allowance_fen == p.c.standard_fen,
            Contract.required_days == p.c.required_days,
            _covered_days(dialect, Contract, Person, first, last) == p.c.covered_days,
            AttendanceRecord.status.in_(PAID_ATTENDANCE),
            AttendanceRecord.days_worked == p.c.attended_days,
            Assessment.grade.is_not_distinct_from(p.c.grade),
            perf == p.c.performance_fen,
            func.coalesce(year_fund.id, Post.fund_id).is_not_distinct_from(p.c.fund_id),
            Person.account_no.is_not_distinct_from(p.c.account_no),
            Person.account_name.is_not_distinct_from(p.c.account_name),
        )
    )
    changed = select(p.c.person_id).where(
        p.c.run_id == run_id, p.c.kind == _REGULAR, p.c.month == month, ~current.exists()
    )
    existing = _EXISTING
    late = (
        select(Contract.person_id)
        .join(Post, Contract.post_id == Post.id)
        .join(Person, Contract.person_id == Person.id)
        # month || '' and status || '' : SQLite's planner starts from the township's posts, not from the
        # county's attendance of the month (see _input_rows)
        .join(
            AttendanceRecord,
            and_(AttendanceRecord.contract_id == Contract.id, (AttendanceRecord.month + "") == month),
        )
        .where(
            Post.township_id == township_id,
            (Contract.status + "").in_(rules.PAYABLE_CONTRACT_STATES),
            Contract.start_on <= last,
            func.coalesce(Contract.exit_on, Contract.end_on) >= first,
            or_(
                Person.death_date.is_(None),
                Person.death_date
                >= func.coalesce(case((Contract.start_on > first, Contract.start_on)), literal(first, Date)),
            ),
            AttendanceRecord.status.in_(PAID_ATTENDANCE),
            # a scalar subquery, not NOT EXISTS: PostgreSQL would plan an anti-join on statistics that
            # predate the preview's lines (scanning the month's lines per contract); this is one probe
            # of the partial unique index per contract, as in _input_rows (keyed on the attendance's
            # contract_id, so that it runs after the township's contracts are found, not on every contract)
            select(existing.id)
            .where(
                existing.contract_id == AttendanceRecord.contract_id,
                existing.month == month,
                existing.kind == _REGULAR,
            )
            .scalar_subquery()
            .is_(None),
        )
    )
    return union_all(changed, late)


def _stale_names(
    session: Session, run: PayrollRun, months: list[str], *, months_of_lines: bool = False
) -> list[str]:
    """Holders whose line would now come out differently (attendance, grade, contract, account changed) or
    who would now get a line but have none — one set-based statement per month of the run, no re-computation.
    months_of_lines=True: `months` are the distinct months of the run's lines (run_months found lines), so no
    line lies outside them and that check is skipped."""
    conn = session.connection()
    dialect = conn.dialect.name
    persons = set()
    for m in months:
        persons.update(
            conn.execute(
                _stale_statement(dialect, m), {"st_run": run.id, "st_township": run.township_id}
            ).scalars()
        )
    # a line for a month outside the run's months cannot be checked against anything: stale
    if not months_of_lines:
        persons.update(
            conn.execute(
                select(PAYMENT.c.person_id).where(
                    PAYMENT.c.run_id == run.id, PAYMENT.c.kind == _REGULAR, PAYMENT.c.month.not_in(months)
                )
            ).scalars()
        )
    if not persons:
        return []
    return list(session.scalars(select(Person.name).where(Person.id.in_(persons)).order_by(Person.name)))


def _names(names: list[str]) -> str:
    shown = "、".join(names[:SHOWN_NAMES])
    return shown + (f"等{len(names)}人" if len(names) > SHOWN_NAMES else "")


# ---------------------------------------------------------------- approve


def approve_run(session: Session, actor, run_id: Any, today: date) -> PayrollRun:
    """Approve a preview: a second person, current inputs, own accounts, funds sufficient. Exactly once."""
    if not can(actor, "approve_payroll"):
        raise Forbidden("只有乡镇经办人或县级管理员可以审批发放清册（村级录入员、纪检监察人员不能审批）")
    run = load_run(session, actor, run_id, "approve_payroll")
    if run.prepared_by_id == actor.id:
        raise DomainError(
            "four_eyes_required",
            f"第{run.id}号清册由您本人生成，造册人不能审批自己的清册：请由另一名乡镇经办人或县级管理员审批（双人复核）",
        )
    _lock_run_key(session, run.township_id, run.month)
    session.refresh(run)
    if run.status != "preview":
        raise Conflict(
            "payroll_not_preview",
            f"第{run.id}号清册状态为“{rules_label(run.status)}”，只有待审批的清册可以审批（可能已被他人审批）",
        )
    if run.prepared_by_id == actor.id:  # re-prepared by this approver meanwhile
        raise DomainError(
            "four_eyes_required", f"第{run.id}号清册已由您本人重新生成，造册人不能审批自己的清册"
        )
    if run.line_count == 0:
        raise DomainError(
            "payroll_empty",
            f"第{run.id}号清册没有可发放的明细（无人有已审核的考勤），无需审批；可作废后待考勤审核再造册",
        )
    months = run_months(run, session)  # includes every month of the lines: none can lie outside them
    stale = _stale_names(session, run, months, months_of_lines=True)
    if stale:
        raise DomainError(
            "payroll_stale",
            f"造册后考勤、考核、合同或账户有变动（{_names(stale)}），清册已不是最新：请重新生成清册后再审批",
        )
    blockers = account_blockers(session, run.id)
    if blockers:
        raise DomainError(
            "payroll_accounts",
            f"{len(blockers)}人不能发放到本人账户，请先更正人员账户信息再重新生成清册："
            + "；".join(f"{b.name}：{b.reason}" for b in blockers[:SHOWN_NAMES]),
            details=[f"{b.name}：{b.reason}" for b in blockers],
        )
    checks = fund_checks(session, run, lock=True)
    exceeded = [f for f in checks if f.exceeded]
    if exceeded:
        raise DomainError(
            "fund_exceeded", "；".join(f.message for f in exceeded) + "。请调整资金或待追加拨款后再审批"
        )
    now = now_of(session)
    won = session.execute(
        RUN.update()
        .where(RUN.c.id == run.id, RUN.c.status == "preview", RUN.c.prepared_by_id != actor.id)
        .values(status="approved", approved_by_id=actor.id, approved_at=now, approved_on=today)
    )
    if won.rowcount != 1:
        raise Conflict("payroll_not_preview", f"第{run.id}号清册已被他人审批或作废，请刷新页面")
    # the values just written, as loaded state (no re-SELECT of the run; the refresh above is this transaction's)
    for key, value in (
        ("status", "approved"),
        ("approved_by_id", actor.id),
        ("approved_at", now),
        ("approved_on", today),
    ):
        set_committed_value(run, key, value)
    locked = session.execute(
        ATTENDANCE.update()
        .where(
            ATTENDANCE.c.status == "approved",
            tuple_(ATTENDANCE.c.contract_id, ATTENDANCE.c.month).in_(
                select(PAYMENT.c.contract_id, PAYMENT.c.month).where(
                    PAYMENT.c.run_id == run.id, PAYMENT.c.kind == "regular"
                )
            ),
        )
        .values(status="locked")
    ).rowcount
    session.flush()
    audit.record(
        session,
        actor,
        "approve_payroll",
        "payroll_run",
        run.id,
        before={"status": "preview"},
        after={
            "status": "approved",
            "kind": run.kind,
            "total_fen": run.total_fen,
            "line_count": run.line_count,
            "unpaid_count": run.unpaid_count,
            "attendance_locked": locked,
            "funds": [
                {"fund": f.name, "year": f.year, "run_fen": f.run_fen, "after_fen": f.after_fen}
                for f in checks
            ],
        },
        summary=f"审批{'发放清册' if run.kind == 'regular' else '补充清册'}："
        f"{run.township.name}{month_heading(run.month)}（第{run.id}号），"
        f"{run.line_count}人，合计{yuan(run.total_fen)}；锁定考勤{locked}条；"
        f"造册时未计发{run.unpaid_count}人",
    )
    scan_after_payroll_approval(
        session, run, today
    )  # 纪检监察: the anomaly rules over the township (issue 9)
    audit.take_checkpoint(session, actor, "approve_payroll")  # the chain's head, kept outside the chain
    return run


# ---------------------------------------------------------------- the bank


def _next_batch(session: Session, run_id: int) -> int:
    """Where a new pending line goes: the newest batch while the bank has answered none of its
    lines, otherwise the next one."""
    top = session.scalar(select(func.max(Payment.bank_batch)).where(Payment.run_id == run_id)) or 1
    answered = session.scalar(
        select(func.count(Payment.id)).where(
            Payment.run_id == run_id, Payment.bank_batch == top, Payment.status != "pending"
        )
    )
    return top + 1 if answered else top


def current_batch(session: Session, run: PayrollRun) -> int | None:
    """The newest batch with pending lines to send, or None."""
    return session.scalar(
        select(func.max(Payment.bank_batch)).where(
            Payment.run_id == run.id, Payment.status == "pending", Payment.amount_fen > 0
        )
    )


def bank_file_rows(
    session: Session, run: PayrollRun, batch: int | None = None
) -> tuple[int | None, list[BankRow]]:
    """(batch, rows) of the payment file: the pending lines of the batch (the current one by default),
    to the holder's own account, with a reference the bank sends back with its result."""
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批，不能生成银行代发文件")
    if batch is None:
        batch = current_batch(session, run)
    if batch is None:
        return None, []
    rows = session.execute(
        select(
            Payment.id,
            Payment.account_no,
            Payment.account_name,
            Payment.account_kind,
            Payment.amount_fen,
            Payment.month,
            Payment.kind,
            Person.name,
        )
        .join(Person, Payment.person_id == Person.id)
        .where(
            Payment.run_id == run.id,
            Payment.bank_batch == batch,
            Payment.status == "pending",
            Payment.amount_fen > 0,
        )
        .order_by(Payment.id)
    ).all()
    out = []
    for r in rows:
        memo = f"{month_heading(r.month)}公益性岗位补贴" + ("" if r.kind == "regular" else r.kind)
        out.append(
            BankRow(
                r.account_no or "",
                r.account_name or r.name,
                r.amount_fen,
                rules.bank_reference(r.id, batch),
                r.account_kind or "",
                memo,
            )
        )
    return batch, out


@dataclass
class BankImport:
    paid: int
    failed: int
    paid_fen: int
    failed_fen: int


def import_bank_results(
    session: Session, actor, run_id: Any, filename: str, data: bytes, today: date
) -> BankImport:
    """Record the bank's answer: each row (业务参考号, 状态 成功/失败, 失败原因, 日期) marks a pending
    line of this run paid or failed. Any row in error refuses the whole file, naming the rows."""
    run = load_run(session, actor, run_id, "record_bank_result")
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批，不能导入银行结果")
    return _apply_bank_results(session, actor, run, read_results(filename, data), filename, today)


def import_bank_result_rows(
    session: Session, actor, run_id: Any, rows: list[dict], today: date
) -> BankImport:
    """The same as import_bank_results, for rows given as dicts (reference, status, reason, date) — the API."""
    run = load_run(session, actor, run_id, "record_bank_result")
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批，不能导入银行结果")
    if not rows:
        raise DomainError("bank_file_no_rows", "没有结果行")
    parsed = [
        ResultRow(
            n,
            str(r.get("reference") or "").strip(),
            str(r.get("status") or "").strip(),
            str(r.get("reason") or "").strip(),
            r.get("date"),
        )
        for n, r in enumerate(rows, start=1)
    ]
    return _apply_bank_results(session, actor, run, parsed, "API", today)


def _apply_bank_results(
    session: Session, actor, run: PayrollRun, rows: list[ResultRow], filename: str, today: date
) -> BankImport:
    parsed = []
    for r in rows:
        ref = rules.parse_bank_reference(r.reference)
        if ref is None:
            parsed.append((r, None, None))
        else:
            parsed.append((r, ref[0], ref[1]))
    ids = [pid for _, pid, _ in parsed if pid is not None]
    lines = {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk : chunk + 5000]
        lines.update(
            {
                p.id: p
                for p in session.execute(
                    select(
                        Payment.id, Payment.run_id, Payment.status, Payment.bank_batch, Payment.amount_fen
                    ).where(Payment.id.in_(part))
                ).all()
            }
        )
    errors, seen = [], set()
    paid_rows, failed_rows = [], []
    paid_fen = failed_fen = 0
    for r, pid, batch in parsed:
        where = f"第{r.line}行" if filename != "API" else f"第{r.line}条"
        if pid is None:
            errors.append(f"{where}：业务参考号“{r.reference}”不是本系统生成的参考号（应如 PW123-1）")
            continue
        if r.reference.upper() in seen:
            errors.append(f"{where}：业务参考号{r.reference}在文件中重复")
            continue
        seen.add(r.reference.upper())
        line = lines.get(pid)
        if line is None or line.run_id != run.id:
            errors.append(f"{where}：业务参考号{r.reference}不属于第{run.id}号清册")
            continue
        if line.bank_batch != batch:
            errors.append(
                f"{where}：业务参考号{r.reference}是第{batch}批的，该笔现属第{line.bank_batch}批，请导入最新批次的结果"
            )
            continue
        if line.status != "pending":
            errors.append(
                f"{where}：业务参考号{r.reference}已登记为“{'已发放' if line.status == 'paid' else '发放失败'}”，不能重复导入"
            )
            continue
        status = rules.bank_status(r.status)
        if status is None:
            errors.append(f"{where}：状态“{r.status}”无效，只能为“成功”或“失败”")
            continue
        when = result_date(r.date)
        if isinstance(when, str):
            try:
                when = parse_date(when, "日期")
            except DomainError as err:
                errors.append(f"{where}：{err.message}")
                continue
        if when is not None and when > today:
            errors.append(f"{where}：日期{when.isoformat()}晚于今天{today.isoformat()}")
            continue
        if status == "paid":
            paid_rows.append({"pid": pid, "b_paid_on": when or today, "b_ref": r.reference.upper()})
            paid_fen += line.amount_fen
        else:
            if not r.reason:
                errors.append(f"{where}：发放失败须有失败原因（如 账户已销户、户名不符）")
                continue
            failed_rows.append({"pid": pid, "b_reason": r.reason[:500], "b_ref": r.reference.upper()})
            failed_fen += line.amount_fen
    if errors:
        raise DomainError(
            "bank_results_invalid",
            f"银行结果文件有{len(errors)}处错误，整份文件未导入，请更正后重新上传",
            details=errors,
        )
    if paid_rows:
        session.execute(
            PAYMENT.update()
            .where(PAYMENT.c.id == bindparam("pid"), PAYMENT.c.status == "pending")
            .values(
                status="paid",
                paid_on=bindparam("b_paid_on"),
                bank_ref=bindparam("b_ref"),
                failure_reason=None,
            ),
            paid_rows,
        )
    if failed_rows:
        session.execute(
            PAYMENT.update()
            .where(PAYMENT.c.id == bindparam("pid"), PAYMENT.c.status == "pending")
            .values(status="failed", failure_reason=bindparam("b_reason"), bank_ref=bindparam("b_ref")),
            failed_rows,
        )
    session.flush()
    result = BankImport(len(paid_rows), len(failed_rows), paid_fen, failed_fen)
    audit.record(
        session,
        actor,
        "import_bank_results",
        "payroll_run",
        run.id,
        after={
            "file": filename,
            "paid": result.paid,
            "failed": result.failed,
            "paid_fen": paid_fen,
            "failed_fen": failed_fen,
            "failures": [{"payment_id": f["pid"], "reason": f["b_reason"]} for f in failed_rows[:200]],
        },
        summary=f"导入银行结果：第{run.id}号清册，成功{result.paid}笔{yuan(paid_fen)}，"
        f"失败{result.failed}笔{yuan(failed_fen)}",
    )
    return result


def retry_failed(session: Session, actor, run_id: Any, today: date) -> int:
    """Put failed lines into the next bank batch as pending, with the holder's current account
    (corrected in the meantime, perhaps). The amount is never changed."""
    run = load_run(session, actor, run_id, "record_bank_result")
    if run.status != "approved":
        raise DomainError("payroll_not_approved", f"第{run.id}号清册尚未审批")
    failed = session.execute(
        select(
            Payment.id,
            Payment.failure_reason,
            Payment.account_no,
            Payment.bank_batch,
            Person.name,
            Person.account_no.label("new_no"),
            Person.account_name.label("new_name"),
        )
        .join(Person, Payment.person_id == Person.id)
        .where(Payment.run_id == run.id, Payment.status == "failed")
        .order_by(Payment.id)
    ).all()
    if not failed:
        raise DomainError("nothing_failed", f"第{run.id}号清册没有发放失败的明细")
    bad = [
        f"{r.name}：未登记本人账号" if not r.new_no else f"{r.name}：开户人“{r.new_name}”与本人姓名不符"
        for r in failed
        if not r.new_no or (r.new_name and r.new_name != r.name)
    ]
    if bad:
        raise DomainError(
            "retry_accounts",
            "以下人员的账户仍不能用于发放，请先更正后再重新发放：" + "；".join(bad[:SHOWN_NAMES]),
            details=bad,
        )
    batch = max(_next_batch(session, run.id), max(r.bank_batch for r in failed) + 1)
    person_account = select(Person.account_no).where(Person.id == PAYMENT.c.person_id).scalar_subquery()
    person_kind = select(Person.account_kind).where(Person.id == PAYMENT.c.person_id).scalar_subquery()
    person_holder = select(Person.account_name).where(Person.id == PAYMENT.c.person_id).scalar_subquery()
    n = session.execute(
        PAYMENT.update()
        .where(PAYMENT.c.run_id == run.id, PAYMENT.c.status == "failed")
        .values(
            status="pending",
            bank_batch=batch,
            failure_reason=None,
            bank_ref=None,
            account_no=person_account,
            account_kind=person_kind,
            account_name=person_holder,
        )
    ).rowcount
    session.flush()
    audit.record(
        session,
        actor,
        "retry_failed_payments",
        "payroll_run",
        run.id,
        before={
            "failed": [
                {
                    "payment_id": r.id,
                    "reason": r.failure_reason,
                    "account_no": r.account_no,
                    "batch": r.bank_batch,
                }
                for r in failed[:500]
            ]
        },
        after={"status": "pending", "bank_batch": batch, "count": n},
        summary=f"重新发放：第{run.id}号清册失败的{n}笔转入第{batch}批（金额不变，账户按人员当前登记）",
    )
    return n


# ---------------------------------------------------------------- corrections

CORRECTION_KINDS = ("补发", "扣回")


def correct_payment(
    session: Session, actor, payment_id: Any, kind: str, amount_fen: int, reason: str, today: date
) -> Payment:
    """补发 or 扣回 against a line of an approved run: a NEW line (扣回 stored negative) with the reason;
    the original line is never changed."""
    try:
        pid = int(payment_id)
    except (TypeError, ValueError):
        raise NotFound("发放明细") from None
    original = session.get(Payment, pid)
    if original is None or original.run is None:
        raise NotFound("发放明细")
    require(actor, "correct_payment", original.run, what="发放明细")
    if kind not in CORRECTION_KINDS:
        raise DomainError("correction_kind", f"更正类型只能为“补发”或“扣回”，收到“{kind}”")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DomainError("reason_required", "请写明补发或扣回的原因（至少4个字），发放对象可以看到")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError("correction_amount", "补发或扣回金额须大于0")
    if original.kind != "regular":
        raise DomainError(
            "correction_of_correction", "只能对月度发放明细办理补发或扣回，不能对更正明细再更正"
        )
    run = original.run
    if run.status != "approved":
        raise DomainError(
            "payroll_not_approved",
            f"第{run.id}号清册尚未审批：待审批的清册请更正考勤后重新生成，无需补发或扣回",
        )
    _lock_run_key(session, run.township_id, run.month)
    net = (
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
                Payment.original_payment_id == original.id
            )
        )
        or 0
    )
    net_total = original.amount_fen + int(net)
    if kind == "扣回" and amount_fen > net_total:
        raise DomainError(
            "recovery_too_large",
            f"扣回金额{yuan(amount_fen)}超过该笔已发放净额{yuan(net_total)}（原发{yuan(original.amount_fen)}，"
            f"此前更正{yuan(int(net))}）",
        )
    if kind == "补发" and original.fund_id is not None:
        _lock_funds(session, [original.fund_id])
        fund = session.get(Fund, original.fund_id)
        used = (
            session.scalar(
                select(func.coalesce(func.sum(Payment.amount_fen), 0))
                .join(PayrollRun, Payment.run_id == PayrollRun.id)
                .where(Payment.fund_id == fund.id, PayrollRun.status == "approved")
            )
            or 0
        )
        if amount_fen > fund.allocation_fen - used:
            check = FundCheck(fund.id, fund.name, fund.year, fund.allocation_fen, int(used), amount_fen)
            raise DomainError("fund_exceeded", check.message)
    person = original.person
    signed = amount_fen if kind == "补发" else -amount_fen
    line = Payment(
        run_id=run.id,
        contract_id=original.contract_id,
        person_id=original.person_id,
        fund_id=original.fund_id,
        month=original.month,
        kind=kind,
        standard_fen=original.standard_fen,
        required_days=original.required_days,
        attended_days=original.attended_days,
        covered_days=original.covered_days,
        month_days=original.month_days,
        cap_fen=original.cap_fen,
        base_fen=0,
        grade=original.grade,
        performance_fen=0,
        amount_fen=signed,
        calc_text=f"{kind} {rules.money(amount_fen)}（更正第{original.id}号明细 {rules.money(original.amount_fen)}）：{reason}",
        account_kind=person.account_kind,
        account_no=person.account_no,
        account_name=person.account_name,
        status="pending",
        bank_batch=_next_batch(session, run.id),
        reason=reason,
        original_payment_id=original.id,
        created_by_id=actor.id,
    )
    session.add(line)
    session.flush()
    audit.record(
        session,
        actor,
        "correct_payment",
        "payment",
        line.id,
        before={
            "original_payment_id": original.id,
            "original_amount_fen": original.amount_fen,
            "original_status": original.status,
        },
        after={"kind": kind, "amount_fen": signed, "reason": reason, "bank_batch": line.bank_batch},
        summary=f"{kind}：{person.name} {month_heading(original.month)} {yuan(amount_fen)}，原因：{reason}"
        f"（原明细第{original.id}号不变）",
    )
    return line


# ---------------------------------------------------------------- lists


def run_query(actor, *, township_id: int | None = None, month: str | None = None, status: str | None = None):
    """Runs in the actor's scope, newest month first."""
    q = scope_regions(actor, select(PayrollRun), PayrollRun.township_id)
    if township_id:
        q = q.where(PayrollRun.township_id == township_id)
    if month:
        q = q.where(PayrollRun.month == month)
    if status:
        q = q.where(PayrollRun.status == status)
    return q.options(joinedload(PayrollRun.township)).order_by(
        PayrollRun.month.desc(), PayrollRun.township_id, PayrollRun.id.desc()
    )


def line_query(
    run_id: int, *, status: str | None = None, village_id: int | None = None, q: str = "", actor=None
):
    """A run's lines with their person, in village and name order (a search by number as `actor` may)."""
    stmt = (
        select(Payment)
        .join(Person, Payment.person_id == Person.id)
        .where(Payment.run_id == run_id)
        .options(joinedload(Payment.person), joinedload(Payment.contract))
    )
    if status:
        stmt = stmt.where(Payment.status == status)
    if village_id:
        stmt = stmt.where(
            Payment.contract_id.in_(
                select(Contract.id)
                .join(Post, Contract.post_id == Post.id)
                .where(Post.village_id == village_id)
            )
        )
    if q:
        stmt = stmt.where(
            or_(Person.name.contains(q, autoescape=True), id_number_search(actor, Person.id_number, q))
        )
    return stmt.order_by(Payment.month, Person.village_id, Person.name, Payment.id)


def count_awaiting_approval(session: Session, actor) -> tuple[int, int]:
    """(runs awaiting approval in scope, of which the actor may approve — not prepared by them)."""
    q = scope_regions(actor, select(PayrollRun.prepared_by_id), PayrollRun.township_id).where(
        PayrollRun.status == "preview"
    )
    preparers = session.scalars(q).all()
    return len(preparers), sum(1 for p in preparers if p != actor.id)


# ---------------------------------------------------------------- documents


@dataclass
class SheetLine:
    seq: int
    name: str
    id_number: str
    village: str
    post_title: str
    month: str
    required_days: int
    attended_days: int
    amount_fen: int
    contract_start: date
    contract_end: date


def sheet_lines(session: Session, run: PayrollRun) -> list[SheetLine]:
    """The run's regular lines for the 汇总表 and the 公示表, in village and name order."""
    rows = session.execute(
        select(
            Person.name,
            Person.id_number,
            Region.name.label("village"),
            Post.title,
            Payment.month,
            Payment.required_days,
            Payment.attended_days,
            Payment.amount_fen,
            Contract.start_on,
            Contract.end_on,
            Contract.exit_on,
        )
        .select_from(Payment)
        .join(Person, Payment.person_id == Person.id)
        .join(Contract, Payment.contract_id == Contract.id)
        .join(Post, Contract.post_id == Post.id)
        .join(Region, Post.village_id == Region.id)
        .where(Payment.run_id == run.id, Payment.kind == "regular")
        .order_by(Payment.month, Region.code, Person.name, Payment.id)
    ).all()
    return [
        SheetLine(
            n,
            r.name,
            r.id_number,
            r.village,
            r.title,
            r.month,
            r.required_days,
            r.attended_days,
            r.amount_fen,
            r.start_on,
            r.exit_on or r.end_on,
        )
        for n, r in enumerate(rows, start=1)
    ]


# ---------------------------------------------------------------- arrears (拖欠)


@dataclass
class ArrearsRow:
    township_id: int
    township: str
    month: str
    roster: int = 0  # contracts covering the month
    lines: int = 0  # regular lines in an approved run
    paid: int = 0  # of which paid
    unpaid_lines: int = 0  # of which still pending or failed (positive amounts)
    unpaid_fen: int = 0
    run_id: int | None = None
    run_status: str | None = None
    approved_on: date | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


def _recent_months(today: date, count: int) -> list[str]:
    """The `count` months that ended before today, newest last."""
    y, m = today.year, today.month
    out = []
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append(f"{y:04d}-{m:02d}")
    return list(reversed(out))


def arrears(
    session: Session,
    actor,
    today: date,
    *,
    months: int = 12,
    township_id: int | None = None,
    month: str | None = None,
    flagged_only: bool = True,
) -> tuple[int, list[ArrearsRow]]:
    """(arrears_days, rows): per township-month of the last `months` ended months, the roster (contracts
    covering the month) against approved lines and lines paid; flagged when the month ended more than
    arrears_days ago without an approved run, when an approved run still has unpaid lines more than
    arrears_days after approval, or when fewer people were paid than the roster lists."""
    require(actor, "view_arrears")
    region = actor.region
    county = county_of(session, region) if region is not None else None
    limit = int_setting(session, county.id, "arrears_days", today) if county else 30
    month_list = [month] if month else _recent_months(today, months)
    bounds = {m: month_bounds(m) for m in month_list}
    months_t = union_all(
        *[
            select(literal(m).label("month"), literal(b[0]).label("first"), literal(b[1]).label("last"))
            for m, b in bounds.items()
        ]
    ).subquery("m")
    rows: dict[tuple[int, str], ArrearsRow] = {}
    towns = dict(
        session.execute(
            scope_regions(actor, select(Region.id, Region.name), Region.id).where(Region.level == "township")
        ).all()
    )
    if township_id:
        towns = {k: v for k, v in towns.items() if k == township_id}
    if not towns:
        return limit, []

    def row(tid, m):
        key = (tid, m)
        if key not in rows:
            rows[key] = ArrearsRow(tid, towns.get(tid, ""), m)
        return rows[key]

    roster_q = (
        select(Post.township_id, months_t.c.month, func.count(Contract.id))
        .select_from(Contract)
        .join(Post, Contract.post_id == Post.id)
        .join(
            months_t,
            and_(
                Contract.start_on <= months_t.c.last,
                func.coalesce(Contract.exit_on, Contract.end_on) >= months_t.c.first,
            ),
        )
        .where(Contract.status.in_(rules.PAYABLE_CONTRACT_STATES), Post.township_id.in_(towns))
        .group_by(Post.township_id, months_t.c.month)
    )
    for tid, m, n in session.execute(roster_q).all():
        row(tid, m).roster = int(n)
    positive_unpaid = and_(Payment.status != "paid", Payment.amount_fen > 0)
    pay_q = (
        select(
            PayrollRun.township_id,
            Payment.month,
            func.max(PayrollRun.id),
            func.min(PayrollRun.approved_on),
            func.count(Payment.id),
            func.sum(case((Payment.status == "paid", 1), else_=0)),
            func.sum(case((positive_unpaid, 1), else_=0)),
            func.sum(case((positive_unpaid, Payment.amount_fen), else_=0)),
        )
        .join(PayrollRun, Payment.run_id == PayrollRun.id)
        .where(
            PayrollRun.status == "approved",
            Payment.kind == "regular",
            Payment.month.in_(month_list),
            PayrollRun.township_id.in_(towns),
        )
        .group_by(PayrollRun.township_id, Payment.month)
    )
    for tid, m, rid, approved_on, n, paid, unpaid, unpaid_fen in session.execute(pay_q).all():
        r = row(tid, m)
        r.run_id, r.run_status = rid, "approved"
        r.approved_on = approved_on
        r.lines, r.paid, r.unpaid_lines, r.unpaid_fen = (
            int(n),
            int(paid or 0),
            int(unpaid or 0),
            int(unpaid_fen or 0),
        )
    for rid, tid, m, status, approved_on in session.execute(
        select(
            PayrollRun.id, PayrollRun.township_id, PayrollRun.month, PayrollRun.status, PayrollRun.approved_on
        ).where(
            PayrollRun.status != "void", PayrollRun.month.in_(month_list), PayrollRun.township_id.in_(towns)
        )
    ):
        r = row(tid, m)
        if r.run_id is None:
            r.run_id, r.run_status = rid, status
            r.approved_on = approved_on
    out = []
    for (tid, m), r in rows.items():
        month_end = bounds[m][1]
        past_month = (today - month_end).days
        if r.run_status != "approved" and r.roster and past_month > limit:
            r.reasons.append(
                f"月末已过{past_month}天仍未审批发放（拖欠认定{limit}天）"
                + ("，清册待审批" if r.run_status == "preview" else "")
            )
        if (
            r.run_status == "approved"
            and r.unpaid_lines
            and r.approved_on
            and (today - r.approved_on).days > limit
        ):
            r.reasons.append(
                f"审批后{(today - r.approved_on).days}天仍有{r.unpaid_lines}人未发放成功，共{yuan(r.unpaid_fen)}"
            )
        if r.roster and r.paid < r.roster and past_month > limit:
            r.reasons.append(f"花名册{r.roster}人，实发{r.paid}人")
        if r.reasons or not flagged_only:
            out.append(r)
    out.sort(key=lambda r: (r.month, r.township_id), reverse=True)
    return limit, out
