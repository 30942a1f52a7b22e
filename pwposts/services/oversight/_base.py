"""What every rule module shares: SQL fragments per dialect, the scan context, and batched record
loaders for evidence (one query per kind of record for a whole rule, never one per person)."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ...domain.people import mask_id_number
from ...domain.rules import Finding
from ...models.contracts import Contract
from ...models.pay import Payment
from ...models.people import Person, Region
from ...models.posts import Post
from .. import bulk

_CHUNK = 900  # ids per IN (…) of the evidence loaders


class Sql:
    """Date fragments spelled for the dialect (dates are ISO text in SQLite, DATE in PostgreSQL)."""

    def __init__(self, dialect: str):
        self.pg = dialect == "postgresql"

    def month(self, col: str) -> str:
        return f"to_char({col}, 'YYYY-MM')" if self.pg else f"substr({col}, 1, 7)"

    def ymd(self, col: str) -> str:
        return (
            f"CAST(to_char({col}, 'YYYYMMDD') AS INTEGER)"
            if self.pg
            else f"CAST(strftime('%Y%m%d', {col}) AS INTEGER)"
        )

    def day(self, col: str) -> str:
        return (
            f"CAST(EXTRACT(DAY FROM {col}) AS INTEGER)"
            if self.pg
            else f"CAST(substr({col}, 9, 2) AS INTEGER)"
        )

    def year(self, col: str) -> str:
        return (
            f"CAST(EXTRACT(YEAR FROM {col}) AS INTEGER)"
            if self.pg
            else f"CAST(substr({col}, 1, 4) AS INTEGER)"
        )

    def month_days(self, month_col: str) -> str:
        if self.pg:
            return (
                f"CAST(EXTRACT(DAY FROM (to_date({month_col}, "
                "'YYYY-MM') + interval '1 month' - interval '1 day'))"
                " AS INTEGER)"
            )
        return f"CAST(strftime('%d', date({month_col} || '-01', '+1 month', '-1 day')) AS INTEGER)"


def as_date(value) -> date | None:
    """A date from a raw text() row (SQLite hands back ISO strings)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# The kinds of subject one payroll run can change (Subjects' sets): a scoped rule's SQL filters its subjects
# by them, bound as :scope_<kind> (Context.only, Context.rows_of).
_RUN_KINDS = ("persons", "contracts", "funds", "posts", "accounts", "months", "runs", "townships")


@dataclass(frozen=True)
class Subjects:
    """The subjects one payroll run's lines can change findings about: its payees, their accounts (on the
    lines and on the persons), its contracts and their posts, its funds, the run itself and its
    township's months. A scan limited to them detects only their findings, each with the evidence the
    whole-county scan gives it (the rules filter subjects, never the records a subject's evidence
    is made of), and records no other finding (covers)."""

    run_id: int
    township_id: int
    persons: frozenset[int]
    contracts: frozenset[int]
    posts: frozenset[int]
    funds: frozenset[int]
    accounts: frozenset[str]
    months: frozenset[str]

    @classmethod
    def of_run(cls, session: Session, run_id: int, township_id: int) -> "Subjects":
        # the contract's post and the person's account by one index probe per line (scalar subqueries;
        # both rows exist: foreign keys): joined, PostgreSQL estimated the run's fresh lines at a few dozen
        # and merge-joined them with every contract in id order (10 of 15 ms at 50,000 persons)
        stmt = select(
            Payment.person_id,
            Payment.contract_id,
            select(Contract.post_id).where(Contract.id == Payment.contract_id).scalar_subquery(),
            Payment.fund_id,
            Payment.account_no,
            select(Person.account_no).where(Person.id == Payment.person_id).scalar_subquery(),
            Payment.month,
        ).where(Payment.run_id == run_id)
        # on the connection (Core rows: the ORM's processing of the run's lines cost more than reading them),
        # after what the session has pending, as its autoflush did
        session.flush()
        rows = session.connection().execute(stmt).all()
        cols = list(zip(*rows, strict=True)) or [()] * 7
        return cls(
            run_id,
            township_id,
            frozenset(cols[0]),
            frozenset(cols[1]),
            frozenset(cols[2]),
            frozenset(x for x in cols[3] if x is not None),
            frozenset(x for x in cols[4] + cols[5] if x is not None),
            frozenset(cols[6]),
        )

    def values(self, kind: str) -> list:
        """The set of `kind` (one of _RUN_KINDS), as a sorted list (an array parameter)."""
        if kind == "runs":
            return [self.run_id]
        if kind == "townships":
            return [self.township_id]
        return sorted(getattr(self, kind))

    def covers(self, subject_key: str) -> bool:
        """Whether a finding about this subject (its subject_key) is one the run can change."""
        kind, _, rest = subject_key.partition(":")
        if kind in ("person", "account_name"):
            return _int(rest) in self.persons
        if kind == "contract":
            return _int(rest) in self.contracts
        if kind == "post":
            return _int(rest) in self.posts
        if kind == "account":
            return rest in self.accounts
        if kind == "payroll_run":
            return _int(rest) == self.run_id
        if kind == "roster":  # roster:<township>:<month>
            town, _, month = rest.partition(":")
            return _int(town) == self.township_id and month in self.months
        if kind == "fund":  # fund:<id> or fund:<id>:person:<id>
            fund, _, person = rest.partition(":person:")
            return _int(fund) in self.funds and (not person or _int(person) in self.persons)
        return False


def array_literal(values: list) -> str:
    """A PostgreSQL array literal of ints or strings: '{1,2}', '{"a","b"}' (each string quoted, its
    backslashes and double quotes escaped, so any text stays one element)."""
    parts = (
        str(v) if isinstance(v, int) else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
        for v in values
    )
    return "{" + ",".join(parts) + "}"


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@dataclass
class Context:
    session: Session
    today: date
    sql: Sql
    regions: dict[int, Any] = field(default_factory=dict)  # id -> row(id, code, name, level, parent_id)
    _persons: dict[int, dict] = field(default_factory=dict)
    subjects: Subjects | None = None  # None: every subject of the database
    _sets: dict[str, Any] = field(default_factory=dict)  # kind -> the run's set as a parameter (q)

    @classmethod
    def open(cls, session: Session, today: date, subjects: Subjects | None = None) -> "Context":
        ctx = cls(session, today, Sql(session.get_bind().dialect.name), subjects=subjects)
        for r in session.execute(select(Region.id, Region.code, Region.name, Region.level, Region.parent_id)):
            ctx.regions[r.id] = r  # (through the session: autoflush, the rules read its changes too)
        return ctx

    def execute(self, statement, params=None):
        """The rules' and loaders' statements, on the session's connection: their rows are plain rows, and
        through the ORM each statement and row cost its machinery more than the row itself (the rules only
        read; the session was flushed when the context opened)."""
        return self.session.connection().execute(statement, params)

    def q(self, sql: str, **params) -> list:
        if self.subjects is not None:
            for kind in _RUN_KINDS:
                if f":scope_{kind}" in sql:
                    params[f"scope_{kind}"] = self._set(kind)
        return self.execute(text(sql), params).all()

    def _set(self, kind: str) -> Any:
        """The run's set of `kind` as a statement parameter, made once per scan. On PostgreSQL an array
        literal ('{1,2,3}', typed by the statement: `= ANY(…)` or CAST(… AS INTEGER[])): the driver would
        otherwise convert the same thousand-element lists again for each of the scan's statements
        (1.3–1.7 ms each in psycopg, 13 conversions an approval). On SQLite a JSON array, read by
        json_each (only)."""
        if kind not in self._sets:
            values = self.subjects.values(kind)
            self._sets[kind] = array_literal(values) if self.sql.pg else json.dumps(values)
        return self._sets[kind]

    def only(self, column: str, kind: str) -> str:
        """' AND <column> IN (<the run's set of kind>)' when the scan is limited to a run's subjects,
        else ''. Put it only where it selects whole subjects: every record of a kept subject must
        still be read, so that its evidence is the same as in the whole-county scan.

        PostgreSQL gets the set as an array (= ANY): it then plans for its real size and probes the
        indexes — an IN (subquery) over the run's lines, just inserted and not yet in the statistics,
        was planned as a hash join over every payment line. SQLite (no statistics) probes the indexes
        with the list json_each reads from the set's JSON array — the set Subjects.of_run already read,
        not a subquery over the run's lines evaluated again wherever a statement filters by it (the
        run's accounts: 1.7 ms each time for a township of 727 lines at 50,000 persons; SHARED_ACCOUNT's
        statement 9.3 → 5.5 ms)."""
        if self.subjects is None:
            return ""
        if self.sql.pg:
            return f" AND {column} = ANY(:scope_{kind})"
        return f" AND {column} IN (SELECT value FROM json_each(:scope_{kind}))"

    def rows_of(self, table: str, alias: str, column: str, kind: str) -> str:
        """A FROM item: `table alias` — in an approval scan on PostgreSQL, only the rows whose `column`
        is in the run's set of `kind`, found by one index probe per value (a LATERAL subquery per
        element of the array, OFFSET 0 keeping it from being flattened into the join).

        With the set as `column = ANY(:scope_…)` in the WHERE clause PostgreSQL chose from estimates:
        a few thousand payees against payment's statistics (taken before the month's lines, a dozen
        lines per person) made it read every payment line (seq scan, 30 ms a statement on the
        200,000-person county, growing with every month paid) where the probes read a few thousand.
        The caller adds `only(column, kind)` for SQLite, which plans from that filter, and leaves it out on
        PostgreSQL (`if ctx.probes`): there it would be the same set again, one more copy of a
        thousand-element array to plan and to test on every row."""
        if self.subjects is None or not self.sql.pg:
            return f"{table} {alias}"
        cast = "VARCHAR" if kind == "accounts" else "INTEGER"
        return (
            f"(SELECT {alias}_r.* FROM unnest(CAST(:scope_{kind} AS {cast}[])) AS {alias}_k (k) "
            f"CROSS JOIN LATERAL (SELECT * FROM {table} WHERE {column} = {alias}_k.k OFFSET 0) {alias}_r)"
            f" {alias}"
        )

    @property
    def probes(self) -> bool:
        """An approval scan on PostgreSQL: a rule may start from the run's subjects (rows_of) and read
        their payment lines by one index probe each (lines_of)."""
        return self.subjects is not None and self.sql.pg

    @staticmethod
    def lines_of(alias: str, column: str, outer: str, where: str = "") -> str:
        """A LATERAL join: the payment lines whose `column` is `outer`, one index probe per outer row
        (OFFSET 0 keeps the subquery from being flattened back into a join PostgreSQL may hash). Put it
        last: its rows have no column statistics, so no join should need estimates of them. `where`: more
        conditions on the lines (as `{alias}_l`), planned inside the probe."""
        return (
            f"CROSS JOIN LATERAL (SELECT * FROM payment {alias}_l WHERE {alias}_l.{column} = {outer}"
            f"{where} OFFSET 0) {alias}"
        )

    # -- regions
    def township_of(self, region_id: int | None) -> int | None:
        r = self.regions.get(region_id)
        while r is not None and r.level != "township":
            r = self.regions.get(r.parent_id)
        return r.id if r is not None else None

    def code(self, region_id: int | None) -> str | None:
        r = self.regions.get(region_id)
        return r.code if r is not None else None

    def region_name(self, region_id: int | None) -> str:
        names, r = [], self.regions.get(region_id)
        while r is not None and r.level != "county":
            names.append(r.name)
            r = self.regions.get(r.parent_id)
        return "".join(reversed(names))

    def county_id(self) -> int | None:
        return next((r.id for r in self.regions.values() if r.level == "county"), None)

    # -- batched loaders
    def persons(self, ids: Iterable[int]) -> dict[int, dict]:
        """Person facts for evidence, loaded once for the whole rule."""
        missing = sorted({i for i in ids if i is not None} - set(self._persons))
        for chunk in bulk.chunks(missing, _CHUNK):
            for p in self.execute(
                select(
                    Person.id,
                    Person.name,
                    Person.id_number,
                    Person.village_id,
                    Person.household_id,
                    Person.phone,
                    Person.account_no,
                    Person.account_name,
                    Person.death_date,
                    Person.birth_date,
                    Person.sex,
                ).where(Person.id.in_(chunk))
            ):
                self._persons[p.id] = {
                    "id": p.id,
                    "name": p.name,
                    "id_masked": mask_id_number(p.id_number),
                    "village": self.region_name(p.village_id),
                    "village_id": p.village_id,
                    "household_id": p.household_id,
                    "phone": p.phone,
                    "account_no": p.account_no,
                    "account_name": p.account_name,
                    "death_date": p.death_date.isoformat() if p.death_date else None,
                    "birth_date": p.birth_date.isoformat(),
                    "sex": p.sex,
                }
        return {i: self._persons[i] for i in ids if i in self._persons}

    def contracts(self, ids: Iterable[int]) -> dict[int, dict]:
        out = {}
        for chunk in bulk.chunks(sorted(set(ids)), _CHUNK):
            for c in self.execute(
                select(
                    Contract.id,
                    Contract.code,
                    Contract.person_id,
                    Contract.status,
                    Contract.start_on,
                    Contract.end_on,
                    Contract.exit_on,
                    Contract.allowance_fen,
                    Contract.required_days,
                    Contract.signed_by_id,
                    Post.title,
                    Post.village_id,
                    Post.fund_id,
                )
                .join(Post, Post.id == Contract.post_id)
                .where(Contract.id.in_(chunk))
            ):
                out[c.id] = {
                    "id": c.id,
                    "code": c.code,
                    "person_id": c.person_id,
                    "status": c.status,
                    "start_on": c.start_on.isoformat(),
                    "end_on": c.end_on.isoformat(),
                    "exit_on": c.exit_on.isoformat() if c.exit_on else None,
                    "allowance_fen": c.allowance_fen,
                    "required_days": c.required_days,
                    "post": c.title,
                    "village": self.region_name(c.village_id),
                    "village_id": c.village_id,
                }
        return out

    def payments_of(
        self, contract_ids: Iterable[int] = (), person_ids: Iterable[int] = ()
    ) -> dict[int, list[dict]]:
        """All payment lines of the given contracts or persons, keyed by person id, by month."""
        out: dict[int, list[dict]] = defaultdict(list)
        cids, pids = sorted(set(contract_ids)), sorted(set(person_ids))
        for col, ids in ((Payment.contract_id, cids), (Payment.person_id, pids)):
            for chunk in bulk.chunks(ids, _CHUNK):
                for p in self.execute(
                    select(
                        Payment.id,
                        Payment.person_id,
                        Payment.contract_id,
                        Payment.run_id,
                        Payment.month,
                        Payment.kind,
                        Payment.amount_fen,
                        Payment.status,
                        Payment.account_no,
                        Payment.account_name,
                        Payment.attended_days,
                        Payment.covered_days,
                        Payment.month_days,
                        Payment.paid_on,
                    )
                    .where(col.in_(chunk))
                    .order_by(Payment.month, Payment.id)
                ):
                    out[p.person_id].append(payment_dict(p))
        for k in out:  # a line can come through both lists
            seen, lines = set(), []
            for line in out[k]:
                if line["id"] not in seen:
                    seen.add(line["id"])
                    lines.append(line)
            out[k] = lines
        return out


def payment_dict(p) -> dict:
    return {
        "id": p.id,
        "person_id": p.person_id,
        "contract_id": p.contract_id,
        "run_id": p.run_id,
        "month": p.month,
        "kind": p.kind,
        "amount_fen": int(p.amount_fen),
        "status": p.status,
        "account_no": p.account_no,
        "account_name": p.account_name,
        "attended_days": p.attended_days,
        "covered_days": p.covered_days,
        "month_days": p.month_days,
        "paid_on": as_date(p.paid_on).isoformat() if p.paid_on else None,
    }


def months_span(months: Iterable[str]) -> tuple[str | None, str | None]:
    ms = sorted(m for m in months if m)
    return (ms[0], ms[-1]) if ms else (None, None)


def contract_months(c: dict) -> tuple[str, str]:
    return c["start_on"][:7], (c["exit_on"] or c["end_on"])[:7]


LIVE_CONTRACT = "c.status NOT IN ('draft', 'void')"


def make_finding(
    ctx: Context,
    rule,
    subject_key: str,
    title: str,
    key: list[str],
    evidence: dict,
    *,
    money_fen: int = 0,
    person_id: int | None = None,
    village_id: int | None = None,
    township_id: int | None = None,
    months: Iterable[str] = (),
    severity: str | None = None,
) -> Finding:
    period_from, period_to = months_span(months)
    township = township_id or ctx.township_of(village_id)
    evidence.setdefault("money_fen", max(0, int(money_fen)))
    return Finding(
        rule=rule,
        subject_key=subject_key,
        title=title,
        key=key,
        evidence=evidence,
        money_fen=max(0, int(money_fen)),
        person_id=person_id,
        village_id=village_id,
        township_id=township,
        period_from=period_from,
        period_to=period_to,
        region_code=ctx.code(village_id) or ctx.code(township),
        severity=severity,
    )


def person_node(p: dict, role: str) -> dict:
    """A person as the evidence graph draws them."""
    return {
        "id": p["id"],
        "name": p["name"],
        "id_masked": p["id_masked"],
        "village": p["village"],
        "role": role,
        "household_id": p.get("household_id"),
    }


def positive(lines: list[dict]) -> list[dict]:
    return [x for x in lines if x["amount_fen"] > 0 and x["status"] != "failed"]
