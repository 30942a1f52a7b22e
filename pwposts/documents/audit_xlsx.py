"""The audit trail as .xlsx for inspectors. Numbers are masked as on the page; hashes are kept whole."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from ..domain.audit_labels import action_label, object_label
from ..domain.formats import beijing
from ..domain.people import mask_numbers_in_text
from ..models.audit import AuditEntry
from .cells import safe_row

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 200_000
COLUMNS = (
    AuditEntry.id,
    AuditEntry.at,
    AuditEntry.actor_label,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.summary,
    AuditEntry.before_json,
    AuditEntry.after_json,
    AuditEntry.prev_hash,
    AuditEntry.entry_hash,
)
HEADERS = (
    "序号",
    "时间（北京时间）",
    "操作人",
    "操作",
    "对象",
    "对象编号",
    "摘要",
    "变更前",
    "变更后",
    "前序哈希",
    "本条哈希",
)
WIDTHS = (8, 18, 24, 16, 12, 10, 40, 40, 40, 20, 20)


def audit_workbook(rows, heading: str) -> bytes:
    """rows: tuples in COLUMNS order. Written in write-only mode, so large exports stay small in memory."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计记录")
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    title = WriteOnlyCell(ws, value=heading)
    title.font = Font(bold=True, size=13)
    ws.append(safe_row([title]))
    header = []
    for h in HEADERS:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        header.append(c)
    ws.append(safe_row(header))
    for eid, at, actor, action, obj_type, obj_id, summary, before, after, prev_hash, entry_hash in rows:
        ws.append(
            safe_row(
                [
                    eid,
                    beijing(at),
                    actor,
                    action_label(action),
                    object_label(obj_type),
                    obj_id or "",
                    mask_numbers_in_text(summary),
                    mask_numbers_in_text(before),
                    mask_numbers_in_text(after),
                    prev_hash,
                    entry_hash,
                ]
            )
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
