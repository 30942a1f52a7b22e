"""Chinese names for audit actions and object types (shown to inspectors;
unknown codes are shown as they are)."""

from __future__ import annotations

ACTION_LABELS = {
    "login": "登录",
    "create_user": "新建用户",
    "activate_user": "启用用户",
    "deactivate_user": "停用用户",
    "reset_password": "重置密码",
    "issue_token": "签发接口令牌",
    "revoke_token": "吊销接口令牌",
    "logout": "退出登录",
    "change_password": "修改本人密码",
    "unlock_user": "解除登录锁定",
    "export_data": "导出个人信息",
    "demo_generate": "生成演示数据",
    "create_person": "新增人员",
    "update_person": "修改人员",
    "import_roster": "导入花名册",
    "propose_post": "新设岗位",
    "update_post": "修改岗位",
    "submit_post": "提交岗位审批",
    "approve_post": "批准岗位",
    "reject_post": "退回岗位",
    "revise_post": "修订岗位",
    "close_post": "撤销岗位",
    "mark_staffing": "标记岗位在岗情况",
    "open_recruitment": "发起招聘",
    "publish_notice": "发布招聘公告",
    "close_notice": "结束报名",
    "enter_application": "录入报名",
    "recheck_application": "复核报名资格",
    "publish_shortlist": "发布拟聘公示",
    "record_objection": "登记公示异议",
    "resolve_objection": "处理公示异议",
    "end_publicity": "结束公示",
    "hire": "聘用",
    "sign_contract": "签订合同",
    "record_insurance": "录入意外险",
    "activate_contract": "合同生效",
    "renew_contract": "续签合同",
    "end_contract": "终止合同",
    "void_contract": "作废合同",
    "enter_attendance": "录入考勤",
    "approve_attendance": "审核考勤",
    "reopen_attendance": "退回考勤",
    "set_monthly_grade": "评定月度考核",
    "set_annual_grade": "评定年度考核",
    "prepare_payroll": "生成发放表",
    "reprepare_payroll": "重新生成发放表",
    "approve_payroll": "审批发放",
    "void_payroll": "作废发放表",
    "import_bank_results": "导入银行回盘",
    "retry_failed_payments": "重发失败款项",
    "correct_payment": "更正发放",
    "raise_payment_objection": "提出发放申诉",
    "answer_payment_objection": "答复发放申诉",
    "init_county": "初始化县",
    "import_regions": "导入区划代码",
    "import_records": "导入部门数据",
    "create_post_category": "新增岗位类别",
    "update_post_category": "修改岗位类别",
    "delete_post_category": "删除岗位类别",
    "add_standard": "新增补贴标准",
    "update_standard": "补贴标准止期",
    "delete_standard": "删除补贴标准",
    "create_fund": "新增资金来源",
    "update_fund": "修改资金来源",
    "delete_fund": "删除资金来源",
    "record_death": "登记死亡",
    "add_person_category": "新增人员类别",
    "end_person_category": "终止人员类别",
    "add_relation": "登记亲属关系",
    "delete_relation": "删除亲属关系",
    "add_cadre": "登记村干部",
    "end_cadre": "村干部离任",
    "move_household": "变更户籍",
    "change_setting": "修改县级设置",
    "add_holiday": "登记节假日",
    "import_holidays": "导入节假日",
}

OBJECT_LABELS = {
    "user": "用户",
    "user_account": "用户",
    "api_token": "接口令牌",
    "region": "行政区划",
    "person": "人员",
    "person_category": "人员类别",
    "household": "家庭户",
    "relation": "亲属关系",
    "cadre": "村干部",
    "roster": "花名册",
    "post": "岗位",
    "post_category": "岗位类别",
    "standard": "补贴标准",
    "fund": "资金来源",
    "fund_category": "资金可支付类别",
    "notice": "招聘公告",
    "application": "报名",
    "publicity": "拟聘公示",
    "objection": "公示异议",
    "contract": "合同",
    "insurance_policy": "意外险保单",
    "employment_record": "在岗记录",
    "attendance_record": "考勤",
    "assessment": "考核",
    "payroll_run": "发放表",
    "payment": "发放明细",
    "payment_objection": "发放申诉",
    "county_setting": "县级设置",
    "holiday": "节假日",
    "import_batch": "导入批次",
    "external_post_record": "其他部门岗位",
}

# 有序退岗 and after the post
ACTION_LABELS.update(
    {
        "propose_exit": "提出退岗",
        "confirm_exit": "确认退岗",
        "dismiss_exit": "驳回退岗建议",
        "exit_placement": "登记后续安置",
        "terminate_contract": "合同退岗",
        "record_exit_date": "登记退岗日期",
        "set_colour": "四色预警变化",
        "record_followup": "登记311服务",
        "update_exit_proposal": "更新退岗建议",
    }
)
OBJECT_LABELS.update({"contract_exit": "退岗", "followup_service": "311服务", "person_colour": "四色预警"})


def action_label(code: str | None) -> str:
    return ACTION_LABELS.get(code or "", code or "")


def object_label(code: str | None) -> str:
    return OBJECT_LABELS.get(code or "", code or "")


# 纪检监察 (issue 9)
ACTION_LABELS.update(
    {
        "raise_flag": "提出线索",
        "update_flag_evidence": "更新线索证据",
        "run_scan": "线索扫描",
        "assign_flag": "指派线索",
        "note_flag": "线索备注",
        "dispose_flag": "处置线索",
        "complete_rectification": "完成整改事项",
        "download_case_report": "下载核查报告",
    }
)
OBJECT_LABELS.update(
    {
        "oversight_flag": "线索",
        "oversight_scan": "线索扫描",
        "oversight_disposition": "线索处置",
        "oversight_rectification": "整改事项",
    }
)

# Readable names of the fields that appear in before/after; *_fen amounts are shown in 元.
FIELD_LABELS = {
    "status": "状态",
    "name": "姓名",
    "phone": "电话",
    "account_no": "账号",
    "account_name": "开户人",
    "account_kind": "账户类型",
    "death_date": "死亡日期",
    "village_id": "村",
    "household_id": "户",
    "work_capacity": "劳动能力",
    "title": "名称",
    "headcount": "岗位数",
    "start_on": "起始日期",
    "end_on": "截止日期",
    "exit_on": "退岗日期",
    "end_reason": "终止原因",
    "month": "月份",
    "days_worked": "出勤天数",
    "leave_days": "请假天数",
    "absent_days": "缺勤天数",
    "grade": "考核等次",
    "reason": "理由",
    "note": "备注",
    "line_count": "笔数",
    "attendance_locked": "锁定考勤条数",
    "funds": "资金",
    "fund": "资金",
    "year": "年度",
    "rows": "行数",
    "seed": "随机种子",
    "kind": "类型",
    "role": "角色",
    "username": "用户名",
    "display_name": "显示名",
    "active": "启用",
    "rule": "规则",
    "subject": "对象",
    "evidence_hash": "证据哈希",
    "previous_flag_id": "原线索",
    "reason_code": "理由代码",
    "rectification": "整改事项",
    "assigned_to_id": "承办人",
    "found": "发现",
    "new": "新增",
    "reraised": "重新提出",
    "updated": "更新",
    "suppressed": "已处置未变",
    "rules": "规则",
    "region": "区划",
    "from": "起始",
    "to": "截止",
    "count": "数量",
    "bank_batch": "银行批次",
    "value": "值",
    "key": "设置项",
    "effective_from": "生效日期",
    "allowance_fen": "月补贴",
    "amount_fen": "金额",
    "total_fen": "合计",
    "money_fen": "涉及金额",
    "run_fen": "本清册金额",
    "after_fen": "审批后累计",
    "allocation_fen": "拨款额度",
    "standard_fen": "标准",
    "performance_fen": "绩效",
    "base_fen": "基本补贴",
    "cap_fen": "封顶",
    "monthly_allowance_fen": "月补贴标准",
    "paid_fen": "已发放",
    "failed_fen": "发放失败",
    "unpaid_fen": "未发放",
    "used_fen": "已使用",
    "perf_excellent_fen": "优秀绩效",
    "perf_pass_fen": "合格绩效",
    "perf_fail_fen": "不合格绩效",
    "original_amount_fen": "原金额",
}


def _yuan(fen) -> str:
    from .formats import yuan

    try:
        return yuan(int(fen))
    except (TypeError, ValueError):
        return str(fen)


def field_label(key: str) -> str:
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    return FIELD_LABELS.get(key[:-4], key[:-4]) + "（元）" if key.endswith("_fen") else key


def show_value(key: str, value) -> str:
    """A before/after value for people: amounts in 元, lists and objects spelled out, booleans in words."""
    if value is None:
        return "—"
    if key.endswith("_fen") and not isinstance(value, (dict, list)):
        return _yuan(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(show_value(key, v) for v in value) or "—"
    if isinstance(value, dict):
        return "，".join(f"{field_label(k)} {show_value(k, v)}" for k, v in value.items())
    return str(value)


def change_rows(before_json: str | None, after_json: str | None) -> list[tuple[str, str, str, bool]]:
    """(field, before, after, changed) rows of an audit entry, for a before/after table."""
    import json

    def load(text):
        if not text:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            return {"value": text}
        return data if isinstance(data, dict) else {"value": data}

    before, after = load(before_json), load(after_json)
    keys = list(before) + [k for k in after if k not in before]
    return [
        (
            field_label(k),
            show_value(k, before.get(k)) if k in before else "",
            show_value(k, after.get(k)) if k in after else "",
            before.get(k) != after.get(k),
        )
        for k in keys
    ]


# downloads of personal data (services/exports.py)
ACTION_LABELS.setdefault("export_data", "导出个人数据")
OBJECT_LABELS.update(
    {
        k: v
        for k, v in {
            "contracts": "合同清单",
            "bank_file": "银行代发文件",
            "attendance_template": "考勤表",
            "contract_pdf": "合同PDF",
            "contracts_batch_pdf": "合同批量打印PDF",
            "exits": "退岗台账",
            "exit_notices_pdf": "退岗通知书批量打印PDF",
        }.items()
        if k not in OBJECT_LABELS
    }
)
