from pwposts.domain.audit_labels import change_rows
from pwposts.models.audit import AuditEntry
from pwposts.services import audit


def test_change_rows_in_yuan_with_labels():
    rows = change_rows('{"status": "preview"}', '{"status": "approved", "total_fen": 123456}')
    assert ("状态", "preview", "approved", True) in rows
    assert ("合计", "", "1,234.56 元", True) in rows


def test_audit_detail_table_and_login_filter(login_as, county, session):
    c = login_as("inspector")
    audit.record(
        session,
        county.users["admin"],
        "approve_payroll",
        "payroll_run",
        9,
        before={"status": "preview"},
        after={"status": "approved", "total_fen": 42000},
        summary="审批",
    )
    session.commit()
    e = session.query(AuditEntry).filter_by(action="approve_payroll").one()
    page = c.get(f"/audit/{e.id}").get_data(as_text=True)
    assert "420.00 元" in page and "审批发放" in page and "发放表" in page
    page = c.get("/audit/?hide_logins=1").get_data(as_text=True)
    assert "登录</td>" not in page
