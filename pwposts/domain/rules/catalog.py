"""The 15 anomaly rules of DOMAIN.md §3: stable id, version, Chinese title and explanation, severity.

Raise a rule's version when its detection changes meaning; flags keep the version they were raised by.
"""
from __future__ import annotations

from . import Rule

RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("CADRE_KIN", 1, "村干部及其家庭成员在岗", "优亲厚友",
         "岗位人员与在任村干部同户，或是其配偶、父母、子女、兄弟姐妹、儿媳/女婿、公婆/岳父母，且干部任期与聘用期重叠；"
         "或与审批其聘用、发放的工作人员有上述关系。村干部及其家庭成员不得聘用为公益性岗位人员。", "high"),
    Rule("ROTATION", 1, "岗位在少数家庭间轮流", "轮流坐庄",
         "同一村内，两个以上家庭的岗位人员在逐年之间离岗又返岗、交替占据岗位：岗位在固定几户间轮换，"
         "而其他符合条件的家庭始终未获安置。", "medium"),
    Rule("PAID_AFTER_DEATH", 1, "死亡后仍发放补贴", "虚报冒领",
         "发放月份在本人死亡日期之后（死亡当月按死亡后天数折算）仍有发放记录。每一笔均列为证据，金额为死亡后部分。", "high"),
    Rule("PAID_OUTSIDE_CONTRACT", 1, "合同期外发放", "有岗无人 / 虚报冒领",
         "发放月份不在合同起止期内（合同生效前、退岗后），或合同为草稿、已作废仍有发放。", "high"),
    Rule("PAID_NO_ATTENDANCE", 1, "无考勤发放", "在岗领补",
         "正常发放明细没有对应的已审核（或已锁定）考勤记录：不在岗不得领取补贴。", "high"),
    Rule("SHARED_ACCOUNT", 1, "一个账户代领多人补贴或开户人非本人", "代领 / 截留",
         "同一银行卡或社保卡账号收取两名以上岗位人员的补贴，或岗位人员的开户人姓名不是本人。补贴只能发放到本人账户。", "high"),
    Rule("SHARED_PHONE", 1, "多户岗位人员共用同一电话", "代管",
         "同一手机号码登记在两个以上家庭的岗位人员（或村干部）名下。同户夫妻共用电话不在此列。此规则较弱，"
         "只作佐证，须与账户、考勤等其他证据一并核实。", "low", weak=True),
    Rule("MULTI_POST", 1, "一人多岗", "一人多岗",
         "同一身份证号在同一时期持有两个以上岗位（本系统合同期重叠，或同月领取两个岗位的补贴；"
         "其他部门导入的岗位名册接入后一并比对）。", "high"),
    Rule("HOUSEHOLD_LIMIT", 1, "一户多岗超限", "一户多岗",
         "同一户籍家庭同时在岗人数超过县定上限（默认每户1人）。", "medium"),
    Rule("ABOVE_STANDARD", 1, "超标准发放", "超标准发放",
         "发放金额高于按合同标准计算的结果：月补贴不得超过“标准×合同覆盖天数÷当月天数”及按出勤折算的金额，"
         "绩效不得超过考核等次对应金额；补发后当月合计亦不得超过上限。", "high"),
    Rule("INELIGIBLE", 1, "不符合聘用条件", "人岗不符",
         "聘用（合同起始）日不属于任何帮扶类别、未满16周岁、超过县定年龄上限，或资金限定类别而本人不属于该类别。", "high"),
    Rule("EMPLOYED_ELSEWHERE", 1, "在外全职就业仍领补贴", "吃空饷",
         "导入的社会保险参保记录显示本人在发放月份有全日制就业，同时领取公益性岗位补贴。", "high"),
    Rule("IMPOSSIBLE_ATTENDANCE", 1, "不可能的考勤", "虚假考勤",
         "考勤日期在合同期外或不在所属月份，出勤、请假、缺勤天数合计超过当月天数，或出勤月份不在合同期内。", "medium"),
    Rule("ARREARS", 1, "审批后拖欠发放", "拖欠",
         "发放清册审批后超过县定天数（默认30天）仍有未发放或发放失败未重发的明细。", "medium"),
    Rule("FUND_OVERRUN", 1, "超资金额度或超范围支付", "挤占挪用",
         "计入某资金来源的发放合计超过其年度拨款额度，或限定类别的资金（如光伏收益）支付给发放月份不属于限定类别的人员。", "high"),
)}

RULE_IDS = tuple(RULES)


def rule_label(rule_id: str) -> str:
    r = RULES.get(rule_id)
    return f"{r.title}（{r.id}）" if r else rule_id
