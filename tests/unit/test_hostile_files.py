"""Hostile uploads are refused before parsing, quickly, with little memory, and in Chinese (issue 10.2).

The files are built in tmp: a 0.9 MB workbook whose sheet unpacks to 943 MB of zeros, one 200 MB shared
string, 2 million blank rows (deflated and stored), a gap of 2 million rows that openpyxl would fill,
a row of 20,000 cells, too many parts.
"""

import io
import time
import tracemalloc
import zipfile

import pytest

from pwposts.documents import attendance_xlsx, bank_files, holidays_xlsx, roster_xlsx, workbooks
from pwposts.domain.errors import DomainError
from tests.hostile_files import (
    SHEET_HEAD,
    SHEET_TAIL,
    base_workbook,
    blank_rows,
    ods_cell,
    ods_row,
    ods_workbook,
    repeated_part,
    streamed_part,
)

SHEET = "xl/worksheets/sheet1.xml"


def _refused(read, path, *, seconds=5.0, megabytes=100):
    """Run read(stream) on the file; it must raise DomainError
    within `seconds` growing memory < `megabytes`."""
    data = path.read_bytes()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(DomainError) as err:
            read(io.BytesIO(data))
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"refused after {elapsed:.1f} s"
    assert peak < megabytes * 1024 * 1024, f"memory grew by {peak / 1e6:.0f} MB"
    return err.value


def test_943_mb_of_zeros_in_a_09_mb_file(tmp_path):
    bomb = repeated_part(
        tmp_path / "bomb.xlsx", SHEET, head=SHEET_HEAD, fill=b"\0", megabytes=943, tail=SHEET_TAIL
    )
    assert bomb.stat().st_size < 1024 * 1024
    err = _refused(roster_xlsx.read_roster, bomb, seconds=1)
    assert err.code == "roster_unreadable"
    assert "解压后达943.0 MB" in err.message and "拒绝读取" in err.message


def test_one_200_mb_shared_string(tmp_path):
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    )
    bomb = repeated_part(
        tmp_path / "sst.xlsx",
        "xl/sharedStrings.xml",
        head=head,
        fill=b"a",
        megabytes=200,
        tail=b"</t></si></sst>",
    )
    assert bomb.stat().st_size < 300 * 1024
    err = _refused(roster_xlsx.read_roster, bomb, seconds=1)
    assert "压缩比异常" in err.message and "xl/sharedStrings.xml" in err.message


def test_shared_strings_above_their_limit_even_when_they_compress_normally(tmp_path, monkeypatch):
    monkeypatch.setattr(workbooks, "MAX_SHARED_STRINGS", 1000)
    sst = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"".join(b"<si><t>%d</t></si>" % n for n in range(200))
        + b"</sst>"
    )
    path = streamed_part(tmp_path / "sst.xlsx", "xl/sharedStrings.xml", [sst])
    err = _refused(roster_xlsx.read_roster, path)
    assert "共享字符串表" in err.message


@pytest.mark.parametrize("stored", [False, True], ids=["deflated", "stored"])
def test_two_million_blank_rows(tmp_path, stored):
    path = streamed_part(tmp_path / "rows.xlsx", SHEET, blank_rows(2_000_000), stored=stored)
    assert path.stat().st_size < (40 if stored else 6) * 1024 * 1024
    err = _refused(
        roster_xlsx.read_roster, path
    )  # nothing unusual about the archive: the row count refuses it
    limit = roster_xlsx.MAX_DATA_ROWS + roster_xlsx.HEADER_SCAN_ROWS
    assert err.message.startswith(f"工作表超过{limit:,}行（空行也计算在内）")


def test_two_million_bare_row_elements_in_a_file_of_a_few_hundred_kb(tmp_path):
    """The probe's file: 287 KB holding 2,000,000 <row/> (no
    numbers) — refused by its ratio or its row count."""
    pieces = [SHEET_HEAD, *[b"<row/>" * 100_000] * 20, SHEET_TAIL]
    path = streamed_part(tmp_path / "bare.xlsx", SHEET, pieces)
    assert path.stat().st_size < 400 * 1024
    err = _refused(roster_xlsx.read_roster, path)
    assert "空行也计算在内" in err.message or "压缩比异常" in err.message


def test_blank_rows_count_for_the_attendance_limit_too(tmp_path):
    path = streamed_part(tmp_path / "att.xlsx", SHEET, blank_rows(6_000), stored=True)
    err = _refused(attendance_xlsx.read_attendance, path)
    assert err.code == "attendance_file_unreadable" and "空行也计算在内" in err.message


def test_a_sheet_far_larger_than_the_rows_an_importer_takes(tmp_path):
    """Attendance takes 5,015 rows: a 20 MB sheet (stored,
    so the ratio is 1) is refused from the directory."""
    filler = b"<!--" + b"x" * (1024 * 1024 - 7) + b"-->"
    path = streamed_part(tmp_path / "big.xlsx", SHEET, [SHEET_HEAD, *[filler] * 20, SHEET_TAIL], stored=True)
    err = _refused(attendance_xlsx.read_attendance, path, seconds=1)
    assert "超过本项导入的上限16.0 MB" in err.message


def test_a_gap_openpyxl_would_fill_with_empty_rows_counts_row_by_row(tmp_path):
    """Two <row> elements, the second numbered 2,000,000: openpyxl yields every row in between."""
    xml = (
        SHEET_HEAD
        + b'<row r="2000000"><c r="A2000000" t="inlineStr"><is><t>x</t></is></c></row>'
        + SHEET_TAIL
    )
    path = streamed_part(tmp_path / "gap.xlsx", SHEET, [xml])
    err = _refused(
        lambda s: workbooks.first_sheet(
            s, lambda ws: list(ws.iter_rows(values_only=True)), code="t", preferred="花名册", max_rows=1_000
        ),
        path,
    )
    assert "超过1,000行（空行也计算在内）" in err.message


def test_a_row_of_more_cells_than_excel_has_columns(tmp_path):
    row = b'<row r="2">' + b"<c/>" * 20_000 + b"</row>"
    path = streamed_part(tmp_path / "wide.xlsx", SHEET, [SHEET_HEAD, row, SHEET_TAIL])
    err = _refused(roster_xlsx.read_roster, path)
    assert "超过16,384个单元格" in err.message


def test_too_many_parts(tmp_path):
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        with zipfile.ZipFile(io.BytesIO(base_workbook())) as src:
            for info in src.infolist():
                zf.writestr(info, src.read(info.filename))
        for n in range(workbooks.MAX_ENTRIES + 1):
            zf.writestr(f"xl/media/x{n}.bin", b"")
    err = _refused(roster_xlsx.read_roster, path)
    assert "部件" in err.message


def test_time_budget(tmp_path):
    path = streamed_part(tmp_path / "ok.xlsx", SHEET, blank_rows(10))
    with pytest.raises(DomainError) as err:
        workbooks.open_workbook(io.BytesIO(path.read_bytes()), code="t", max_rows=100, seconds=-1)
    assert "秒仍未完成" in err.value.message and "未写入任何数据" in err.value.message


def test_holiday_and_bank_result_readers_use_the_same_checks(tmp_path):
    bomb = repeated_part(
        tmp_path / "bomb.xlsx", SHEET, head=SHEET_HEAD, fill=b"\0", megabytes=400, tail=SHEET_TAIL
    )
    assert "拒绝读取" in _refused(holidays_xlsx.read_holidays, bomb).message
    assert "拒绝读取" in _refused(lambda s: bank_files.read_results("结果.xlsx", s.read()), bomb).message


def test_a_normal_workbook_still_reads(tmp_path):
    ok = base_workbook([("姓名", "身份证号", "所在村组"), ("张三", "11010519491231002X", "东坪一村")])
    sheet = roster_xlsx.read_roster(io.BytesIO(ok))
    assert [r.values["name"] for r in sheet.rows] == ["张三"]


def test_a_csv_of_blank_lines_is_refused_counting_every_line():
    import pytest

    from pwposts.documents.tables import Column, read_table
    from pwposts.documents.workbooks import DEFAULT_MAX_ROWS
    from pwposts.domain.errors import DomainError

    data = ("身份证号,死亡日期\n" + "\n" * (DEFAULT_MAX_ROWS + 5)).encode()
    with pytest.raises(DomainError) as e:
        read_table(data, "blank.csv", [Column("id_number", "身份证号", required=True)])
    assert e.value.code == "import_too_many_rows" and "空行" in e.value.message


# ---------------------------------------------------------------- .xls (WPS) and .ods (LibreOffice)

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent.parent / "fixtures"


def test_an_xls_saved_by_wps_reads_like_the_xlsx():
    """WPS's default .xls (OLE2, not zip): a title row above the header, a number phone, an ID number that
    Excel stored as a float (refused later by the roster service, as from .xlsx)."""
    sheet = roster_xlsx.read_roster(io.BytesIO((FIXTURES / "roster_wps.xls").read_bytes()))
    assert sheet.header_row == 2 and sheet.sheet_name == "花名册"
    first, second = (r.values for r in sheet.rows)
    assert first["id_number"] == "11010519491231002X" and first["phone"] == 13812345678
    assert first["seq"] == 1 and isinstance(first["seq"], int)
    assert isinstance(second["id_number"], float) and second["categories"] is None


def test_an_xls_above_its_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(workbooks, "MAX_XLS", 1000)
    with pytest.raises(DomainError) as err:
        roster_xlsx.read_roster(io.BytesIO((FIXTURES / "roster_wps.xls").read_bytes()))
    assert err.value.code == "roster_unreadable" and ".xls 文件达" in err.value.message


def test_a_broken_ole2_file_and_random_bytes_are_refused_in_chinese():
    for data in (workbooks._OLE2 + b"\0" * 2000, b"not a workbook at all", b""):
        with pytest.raises(DomainError) as err:
            roster_xlsx.read_roster(io.BytesIO(data))
        assert err.value.code == "roster_unreadable" and "文件无法读取" in err.value.message


def test_an_ods_saved_by_libreoffice_reads_with_its_million_blank_rows_skipped(tmp_path):
    path = tmp_path / "roster.ods"
    path.write_bytes(
        ods_workbook(
            [
                ods_row(["东坪一村花名册"]),
                ods_row(["姓名", "身份证号", "所在村组", "联系电话"]),
                ods_row(["张三", "11010519491231002X", "东坪一村", 13812345678]),
            ]
        )
    )
    tracemalloc.start()
    try:
        sheet = roster_xlsx.read_roster(io.BytesIO(path.read_bytes()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sheet.header_row == 2
    assert [(r.values["name"], r.values["phone"]) for r in sheet.rows] == [("张三", 13812345678)]
    assert peak < 20 * 1024 * 1024


def test_an_ods_row_with_a_value_repeated_a_million_times_is_refused(tmp_path):
    path = tmp_path / "rep.ods"
    path.write_bytes(
        ods_workbook([ods_row(["姓名", "身份证号", "所在村组"]), ods_row(["x"], repeat=1_000_000)])
    )
    err = _refused(roster_xlsx.read_roster, path, seconds=2)
    assert "空行也计算在内" in err.message


def test_an_ods_cell_repeated_past_excel_s_last_column_is_refused(tmp_path):
    path = tmp_path / "wide.ods"
    path.write_bytes(ods_workbook([ods_row(["姓名", "身份证号", ods_cell("x", 20_000)])]))
    err = _refused(roster_xlsx.read_roster, path, seconds=2)
    assert "超过16,384个单元格" in err.message


def test_an_ods_bomb_is_refused_from_the_directory(tmp_path):
    bomb = tmp_path / "bomb.ods"
    base = ods_workbook([ods_row(["姓名"])], trailing_blank=False)
    repeated_part(bomb, "content.xml", head=b"<x>", fill=b" ", megabytes=200, tail=b"</x>", base=base)
    err = _refused(roster_xlsx.read_roster, bomb, seconds=1)
    assert "拒绝读取" in err.message and "content.xml" in err.message


def test_a_used_area_wider_than_the_reader_holds_is_refused_before_reading(tmp_path):
    """One cell at XFD (column 16,384) and 1,000 short rows: calamine would hold 16 million cells."""
    rows = [
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n) for n in range(2, 1002)
    ]
    wide = b'<row r="1002"><c r="XFD1002" t="inlineStr"><is><t>x</t></is></c></row>'
    path = streamed_part(tmp_path / "area.xlsx", SHEET, [SHEET_HEAD, *rows, wide, SHEET_TAIL])
    err = _refused(roster_xlsx.read_roster, path, seconds=2)
    assert "使用区域达1,002行×16,384列" in err.message
