"""Roles and what each may do. services/permissions.py applies this table to objects and scopes."""

from __future__ import annotations

COUNTY_ADMIN = "county_admin"
TOWNSHIP_CLERK = "township_clerk"
VILLAGE_CLERK = "village_clerk"
INSPECTOR = "inspector"
HOLDER = "holder"
ROLES = (COUNTY_ADMIN, TOWNSHIP_CLERK, VILLAGE_CLERK, INSPECTOR, HOLDER)
ROLE_LABELS = {
    COUNTY_ADMIN: "县级管理员",
    TOWNSHIP_CLERK: "乡镇经办人",
    VILLAGE_CLERK: "村级录入员",
    INSPECTOR: "纪检监察",
    HOLDER: "岗位人员",
}
# The region level each role's scope must be.
SCOPE_LEVEL = {
    COUNTY_ADMIN: "county",
    TOWNSHIP_CLERK: "township",
    VILLAGE_CLERK: "village",
    INSPECTOR: "county",
    HOLDER: None,
}
STAFF = (COUNTY_ADMIN, TOWNSHIP_CLERK, VILLAGE_CLERK)
READERS = (COUNTY_ADMIN, TOWNSHIP_CLERK, VILLAGE_CLERK, INSPECTOR)

# action -> roles that may perform it (before the object's scope is checked).
# Inspectors appear only on view_* actions and their own flag workflow (work_flag, dispose_flag, run_scan):
# they change nothing else anywhere.
ACTIONS: dict[str, tuple[str, ...]] = {
    "view_dashboard": ROLES,
    "view_person": READERS,  # plus a holder for their own person, see permissions.can
    "view_full_id_number": (COUNTY_ADMIN, TOWNSHIP_CLERK, VILLAGE_CLERK),
    "edit_person": STAFF,
    "import_roster": STAFF,
    "export_roster": READERS,
    "view_audit": (COUNTY_ADMIN, INSPECTOR),
    "verify_audit": (COUNTY_ADMIN, INSPECTOR),
    "manage_users": (COUNTY_ADMIN,),
    "manage_policy": (COUNTY_ADMIN,),  # categories, standards, funds, settings, holidays
    "view_policy": READERS,
    "manage_regions": (COUNTY_ADMIN,),  # 区划代码 import
    "import_records": (
        COUNTY_ADMIN,
    ),  # records from other departments (deaths, 参保, rosters, cadres, categories)
    "view_records": READERS,
    "record_death": STAFF,
    "manage_cadres": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    # 按需设岗 / 以岗聘任
    "view_post": READERS,
    "propose_post": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "approve_post": (COUNTY_ADMIN,),
    "close_post": (COUNTY_ADMIN, TOWNSHIP_CLERK),  # 撤销 a post no longer needed
    "open_recruitment": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "enter_application": STAFF,
    "publish_shortlist": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "record_objection": STAFF,
    "resolve_objection": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "hire": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "sign_contract": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "view_contract": READERS,  # plus a holder for their own contract, see permissions.can
    "record_insurance": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "activate_contract": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "renew_contract": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "void_contract": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    # 在岗领补
    "enter_attendance": STAFF,
    "approve_attendance": (COUNTY_ADMIN, TOWNSHIP_CLERK),  # also sends an approved month back (reopen)
    "view_attendance": READERS,  # attendance sheets and grades, read only
    "enter_assessment": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "prepare_payroll": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "approve_payroll": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "record_bank_result": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "correct_payment": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "view_payroll": READERS,
    "view_arrears": (COUNTY_ADMIN, TOWNSHIP_CLERK, INSPECTOR),  # 拖欠: approved but unpaid, roster vs paid
    "answer_payment_objection": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    # 有序退岗 and after the post
    "view_exit": READERS,  # exits, late reports, the worklist, colours, 311 records (read only)
    "propose_exit": STAFF,
    "confirm_exit": (COUNTY_ADMIN, TOWNSHIP_CLERK),  # confirm or dismiss a proposed exit, record placement
    "record_followup": STAFF,  # 311 services
    # the holder's own records
    "view_own_records": (HOLDER,),
    "raise_payment_objection": (HOLDER,),
    # 纪检监察 (anomaly flags): the inspector's own workflow is the one place an inspector writes;
    # the county admin reads flags (and may run a scan) but never disposes; township staff see none.
    "view_flags": (INSPECTOR, COUNTY_ADMIN),
    "run_scan": (INSPECTOR, COUNTY_ADMIN),
    "work_flag": (INSPECTOR,),  # assign, note
    "dispose_flag": (INSPECTOR,),  # confirm / dismiss, rectification items
    "view_person_history": (INSPECTOR, COUNTY_ADMIN),
    # what each dashboard shows (web/dashboard.py @card) and a few page layouts
    "view_card_registry": READERS,
    "view_card_flags": (INSPECTOR, COUNTY_ADMIN),
    "view_card_county_posts": (COUNTY_ADMIN,),
    "view_card_township_posts": (TOWNSHIP_CLERK,),
    "view_card_vacancies": READERS,
    "view_card_hiring": READERS,
    "view_card_contracts": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "view_card_attendance_approval": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "view_card_attendance_inspector": (INSPECTOR,),
    "view_card_attendance_village": (VILLAGE_CLERK,),
    "view_card_payroll": (COUNTY_ADMIN, TOWNSHIP_CLERK),
    "view_card_arrears": (COUNTY_ADMIN, TOWNSHIP_CLERK, INSPECTOR),
    "view_card_affected": (COUNTY_ADMIN, TOWNSHIP_CLERK, INSPECTOR),
    "view_card_exits": READERS,
    "view_late_assessments": (COUNTY_ADMIN, TOWNSHIP_CLERK, INSPECTOR),
    # the attendance page of a clerk with one village is that village's sheet (no summary to go back to)
    "attendance_straight_to_sheet": (VILLAGE_CLERK,),
}

DASHBOARD_TITLES = {
    COUNTY_ADMIN: "县级工作台",
    TOWNSHIP_CLERK: "乡镇工作台",
    VILLAGE_CLERK: "村级工作台",
    INSPECTOR: "纪检监察工作台",
    HOLDER: "我的岗位",
}
