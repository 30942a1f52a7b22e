"""A hostile workbook uploaded to the roster import: refused with 422 in Chinese, quickly, nothing written."""

import time

from sqlalchemy import func, select

from pwposts.models.audit import AuditEntry
from pwposts.models.people import Person
from tests.hostile_files import SHEET_HEAD, SHEET_TAIL, blank_rows, repeated_part, streamed_part


def _counts(session):
    return (
        session.scalar(select(func.count()).select_from(Person)),
        session.scalar(select(func.count()).select_from(AuditEntry)),
    )


def _post(client, path):
    with open(path, "rb") as fh:
        started = time.monotonic()
        r = client.post(
            "/people/roster/import", data={"file": (fh, "花名册.xlsx")}, content_type="multipart/form-data"
        )
    return r, time.monotonic() - started


def test_zip_bomb_and_blank_row_flood_are_refused_and_nothing_is_written(session, login_as, tmp_path):
    client = login_as("town")
    before = _counts(session)
    bomb = repeated_part(
        tmp_path / "bomb.xlsx",
        "xl/worksheets/sheet1.xml",
        head=SHEET_HEAD,
        fill=b"\0",
        megabytes=943,
        tail=SHEET_TAIL,
    )
    r, elapsed = _post(client, bomb)
    assert r.status_code == 422 and elapsed < 5
    assert "解压后达943.0 MB" in r.get_data(as_text=True)
    rows = streamed_part(tmp_path / "rows.xlsx", "xl/worksheets/sheet1.xml", blank_rows(2_000_000))
    r, elapsed = _post(client, rows)
    assert r.status_code == 422 and elapsed < 5
    assert "空行也计算在内" in r.get_data(as_text=True)
    assert _counts(session) == before


def test_an_xls_saved_by_wps_is_read_not_refused(session, login_as):
    """WPS's default .xls reaches the roster check (its float ID number is refused there, row by row)."""
    from pathlib import Path

    client = login_as("town")
    before = _counts(session)
    r, _ = _post(client, Path(__file__).resolve().parent.parent / "fixtures" / "roster_wps.xls")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "科学计数法" in page and "共 2 行，发现 1 处错误" in page
    assert _counts(session) == before
