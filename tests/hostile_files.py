"""Hostile .xlsx files built in a temporary folder: zip bombs, millions of blank rows, huge rows.

Each starts from a small valid workbook and replaces (or adds) one part. Large runs of one byte are
written as one deflated 1 MB block repeated (a full flush makes every block identical), so a 943 MB
bomb costs a second to build, as it cost its author.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Iterable

from openpyxl import Workbook

MB = 1024 * 1024


def base_workbook(rows: Iterable[list] = (("姓名", "身份证号", "所在村组"),)) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _copy_except(zf: zipfile.ZipFile, base: bytes, name: str) -> None:
    with zipfile.ZipFile(io.BytesIO(base)) as src:
        for info in src.infolist():
            if info.filename != name:
                zf.writestr(info, src.read(info.filename))


def repeated_part(
    path: Path, name: str, *, head: bytes, fill: bytes, megabytes: int, tail: bytes, base: bytes | None = None
) -> Path:
    """A workbook whose part `name` is head + `megabytes` MB of the byte `fill` + tail, deflated ~1000×."""
    chunk = fill * MB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    ends = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = ends.compress(head) + ends.flush(zlib.Z_FULL_FLUSH)
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    closing = last.compress(tail) + last.flush(zlib.Z_FINISH)
    raw = first + block * megabytes + closing
    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + megabytes * MB + len(tail)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _copy_except(zf, base or base_workbook(), name)
        info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = size, len(raw), crc
        info.header_offset = zf.fp.tell()
        zf.fp.write(info.FileHeader(False))
        zf.fp.write(raw)
        zf.filelist.append(info)
        zf.NameToInfo[name] = info
        zf.start_dir = zf.fp.tell()
        zf._didModify = True
    return path


def streamed_part(
    path: Path, name: str, pieces: Iterable[bytes], *, stored: bool = False, base: bytes | None = None
) -> Path:
    """A workbook whose part `name` is written piece by piece (never whole in memory)."""
    kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        _copy_except(zf, base or base_workbook(), name)
        info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0))
        info.compress_type = kind
        with zf.open(info, "w", force_zip64=True) as out:
            for piece in pieces:
                out.write(piece)
    return path


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7</t></is></c>'
    b'<c r="C1" t="inlineStr"><is><t>\xe6\x89\x80\xe5\x9c\xa8\xe6\x9d\x91\xe7\xbb\x84</t></is></c></row>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def blank_rows(count: int, batch: int = 10_000) -> Iterable[bytes]:
    """The sheet XML of a header and `count` blank <row r="n"/> entries, in pieces."""
    yield SHEET_HEAD
    for start in range(2, count + 2, batch):
        yield b"".join(b'<row r="%d"/>' % n for n in range(start, min(start + batch, count + 2)))
    yield SHEET_TAIL


_ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
    ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest'
    ' xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/"'
    ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_cell(value, repeat: int = 1) -> str:
    """One .ods cell as LibreOffice writes it (text, number or None for empty), optionally repeated."""
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is None:
        return f"<table:table-cell{rep}/>"
    if isinstance(value, (int, float)):
        return (
            f'<table:table-cell{rep} office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return f'<table:table-cell{rep} office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def ods_row(cells: Iterable, repeat: int = 1) -> str:
    rep = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f"<table:table-row{rep}>"
        + "".join(c if isinstance(c, str) and c.startswith("<") else ods_cell(c) for c in cells)
        + "</table:table-row>"
    )


def ods_workbook(rows_xml: Iterable[str], *, sheet: str = "花名册", trailing_blank: bool = True) -> bytes:
    """An .ods spreadsheet (mimetype stored first, as LibreOffice writes it) of one sheet with the given rows;
    trailing_blank adds LibreOffice's empty rest of the sheet (one blank row repeated 1,048,000 times)."""
    body = "".join(rows_xml)
    if trailing_blank:
        body += ods_row([ods_cell(None, 1024)], repeat=1_048_000)
    content = _ODS_HEAD + f'<table:table table:name="{sheet}">' + body + "</table:table>"
    content += "</office:spreadsheet></office:body></office:document-content>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
    return buf.getvalue()
