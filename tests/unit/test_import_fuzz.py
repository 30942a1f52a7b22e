"""Every import parser, fed what hostile or careless users send: it answers with a DomainError (a
Chinese refusal)
or a parsed result — never another exception, which would be a 500 (issue 10.6 b, hypothesis)."""

from __future__ import annotations

import io

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pwposts.documents.attendance_xlsx import read_attendance
from pwposts.documents.bank_files import read_results
from pwposts.documents.holidays_xlsx import read_holidays
from pwposts.documents.roster_xlsx import HEADERS as ROSTER_HEADERS
from pwposts.documents.roster_xlsx import read_roster
from pwposts.documents.tables import Column, read_table
from pwposts.domain.errors import DomainError

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell = st.one_of(
    st.none(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        [
            "合计",
            "制表人：",
            "2026-02-30",
            "９９９９－１２",
            '=HYPERLINK("x")',
            "522701199001011234",
            "  ",
            "\t",
            "600元",
            "-1",
            "2026年3月",
        ]
    ),
)
rows = st.lists(st.lists(cell, min_size=0, max_size=20), min_size=0, max_size=8)


def _xlsx(header: list, body: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in body:
        try:
            ws.append(r)
        except (
            Exception
        ):  # openpyxl itself refuses some values (control characters): a user's Excel would too
            continue
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _only_domain_errors(fn):
    try:
        fn()
    except DomainError as err:
        assert err.message  # a refusal says something
    # anything else propagates and fails the test


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes_are_refused_in_chinese_by_every_reader(data):
    _only_domain_errors(lambda: read_roster(io.BytesIO(data)))
    _only_domain_errors(lambda: read_attendance(io.BytesIO(data)))
    _only_domain_errors(lambda: read_holidays(io.BytesIO(data)))
    _only_domain_errors(lambda: read_results("结果.xlsx", data))
    _only_domain_errors(lambda: read_results("结果.csv", data))
    cols = [Column("id_number", "身份证号"), Column("day", "死亡日期")]
    _only_domain_errors(lambda: read_table(data, "x.csv", cols))
    _only_domain_errors(lambda: read_table(data, "x.xlsx", cols))


@FAST
@given(rows)
def test_rosters_with_any_cells_parse_or_are_refused(body):
    data = _xlsx(list(ROSTER_HEADERS), body)
    _only_domain_errors(lambda: read_roster(io.BytesIO(data)))


@FAST
@given(rows)
def test_department_tables_with_any_cells_parse_or_are_refused(body):
    cols = [
        Column("id_number", "身份证号"),
        Column("day", "死亡日期"),
        Column("name", "姓名", required=False),
    ]
    data = _xlsx(["身份证号", "死亡日期", "姓名"], body)
    _only_domain_errors(lambda: read_table(data, "deaths.xlsx", cols))
    text = "\n".join(",".join("" if c is None else str(c).replace(",", "，") for c in r) for r in body)
    _only_domain_errors(lambda: read_table(("身份证号,死亡日期,姓名\n" + text).encode(), "deaths.csv", cols))


@FAST
@given(rows)
def test_bank_result_csv_with_any_cells_parse_or_are_refused(body):
    text = "\n".join(",".join("" if c is None else str(c) for c in r) for r in body)
    _only_domain_errors(lambda: read_results("结果.csv", ("序号,账号,姓名,金额,结果\n" + text).encode()))
