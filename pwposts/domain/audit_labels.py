"""Chinese names for audit actions and object types (shown to inspectors; unknown codes are shown as they are)."""
from __future__ import annotations

ACTION_LABELS = {
    "login": "登录", "create_user": "新建用户", "activate_user": "启用用户", "deactivate_user": "停用用户",
    "reset_password": "重置密码", "issue_token": "签发接口令牌", "revoke_token": "吊销接口令牌",
    "logout": "退出登录", "change_password": "修改本人密码", "unlock_user": "解除登录锁定", "export_data": "导出个人信息",
    "demo_generate": "生成演示数据",
    "create_person": "新增人员", "update_person": "修改人员", "import_roster": "导入花名册",
    "propose_post": "新设岗位", "update_post": "修改岗位", "submit_post": "提交岗位审批", "approve_post": "批准岗位",
    "reject_post": "退回岗位", "revise_post": "修订岗位", "close_post": "撤销岗位", "mark_staffing": "标记岗位在岗情况",
    "open_recruitment": "发起招聘", "publish_notice": "发布招聘公告", "close_notice": "结束报名",
    "enter_application": "录入报名", "recheck_application": "复核报名资格", "publish_shortlist": "发布拟聘公示",
    "record_objection": "登记公示异议", "resolve_objection": "处理公示异议", "end_publicity": "结束公示", "hire": "聘用",
    "sign_contract": "签订合同", "record_insurance": "录入意外险", "activate_contract": "合同生效",
    "renew_contract": "续签合同", "end_contract": "终止合同", "void_contract": "作废合同",
    "enter_attendance": "录入考勤", "approve_attendance": "审核考勤", "reopen_attendance": "退回考勤",
    "set_monthly_grade": "评定月度考核", "set_annual_grade": "评定年度考核",
    "prepare_payroll": "生成发放表", "reprepare_payroll": "重新生成发放表", "approve_payroll": "审批发放",
    "void_payroll": "作废发放表", "import_bank_results": "导入银行回盘", "retry_failed_payments": "重发失败款项",
    "correct_payment": "更正发放", "raise_payment_objection": "提出发放申诉", "answer_payment_objection": "答复发放申诉",
    "change_setting": "修改县级设置", "add_holiday": "登记节假日", "import_holidays": "导入节假日",
}

OBJECT_LABELS = {
    "user": "用户", "user_account": "用户", "api_token": "接口令牌", "region": "行政区划", "person": "人员",
    "person_category": "人员类别", "household": "家庭户", "relation": "亲属关系", "cadre": "村干部",
    "roster": "花名册", "post": "岗位", "post_category": "岗位类别", "standard": "补贴标准", "fund": "资金来源",
    "fund_category": "资金可支付类别", "notice": "招聘公告", "application": "报名", "publicity": "拟聘公示",
    "objection": "公示异议", "contract": "合同", "insurance_policy": "意外险保单", "employment_record": "在岗记录",
    "attendance_record": "考勤", "assessment": "考核", "payroll_run": "发放表", "payment": "发放明细",
    "payment_objection": "发放申诉", "county_setting": "县级设置", "holiday": "节假日",
}


def action_label(code: str | None) -> str:
    return ACTION_LABELS.get(code or "", code or "")


def object_label(code: str | None) -> str:
    return OBJECT_LABELS.get(code or "", code or "")
