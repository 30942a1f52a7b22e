"""Downloads of personal data leave an audit entry: who took which file, how many rows, with which filters."""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import audit

KINDS = {
    "roster": "花名册",
    "contracts": "合同清单",
    "bank_file": "银行代发文件",
    "attendance_template": "考勤表",
    "contract_pdf": "合同PDF",
    "contracts_batch_pdf": "合同批量打印PDF",
    "exits": "退岗台账",
    "exit_notices_pdf": "退岗通知书批量打印PDF",
}


def record_export(
    session: Session,
    actor,
    kind: str,
    rows: int,
    *,
    full_numbers: bool,
    filters: dict | None = None,
    object_id=None,
) -> None:
    """One audit entry for one download of a file with personal data (ID or account numbers)."""
    shown = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    audit.record(
        session,
        actor,
        "export_data",
        kind,
        object_id,
        after={"rows": rows, "full_numbers": full_numbers, "filters": shown},
        summary=(
            f"导出{KINDS.get(kind, kind)} {rows} "
            f"行（{'含完整证件/账号' if full_numbers else '证件号已脱敏'}）"
        ),
    )
