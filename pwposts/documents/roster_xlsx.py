"""花名册 (roster) workbooks: read an uploaded .xlsx; write the export, the empty template
and the error report. Plain values in and out — no queries, no rules about persons here.

Reading locates columns by their header text, not by position: extra spaces, full-width
characters, a "*" marking a required column, reordered or unknown columns and a title row
above the header are all tolerated. Values are returned as Excel gave them (str, int,
float, datetime or None) so the caller can tell a number-formatted 身份证号 from a text one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Any, Iterable, Sequence

from ..domain.errors import DomainError
from ..domain.people import ACCOUNT_KINDS, CATEGORIES, WORK_CAPACITIES
from .cells import safe_row
from .workbooks import first_sheet

# (key, header) in the order of DOMAIN.md §4, then 账户类型 (an extra column this system adds so
# that the account kind survives an export → import round trip).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("seq", "序号"),
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("household", "户编号"),
    ("categories", "人员类别"),
    ("work_capacity", "劳动能力"),
    ("village", "所在村组"),
    ("phone", "联系电话"),
    ("account_no", "银行/社保卡账号"),
    ("account_name", "开户人"),
    ("post_name", "岗位名称"),
    ("employer", "使用单位"),
    ("fund", "资金来源"),
    ("full_time", "全日制/非全日制"),
    ("allowance", "月补贴标准"),
    ("required_days", "规定出勤天数"),
    ("contract_dates", "协议起止日期"),
    ("exit", "退岗日期及原因"),
    ("account_kind", "账户类型"),
)
KEYS = tuple(k for k, _ in COLUMNS)
HEADERS = dict(COLUMNS)
REQUIRED = ("name", "id_number", "village")
POST_KEYS = (
    "post_name",
    "employer",
    "fund",
    "full_time",
    "allowance",
    "required_days",
    "contract_dates",
    "exit",
)
TEXT_KEYS = frozenset({"id_number", "household", "phone", "account_no"})  # always written as text cells
MAX_DATA_ROWS = 100_000
HEADER_SCAN_ROWS = 20
EXAMPLE_MARK = "示例"  # a row whose 序号 starts with this is the template's example and is skipped
SHEET_NAME = "花名册"
HELP_SHEET = "填写说明"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_ALIASES = {
    "seq": ("序号",),
    "name": ("姓名", "人员姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "household": ("户编号", "户号", "户籍编号"),
    "categories": ("人员类别", "人员类型", "类别"),
    "work_capacity": ("劳动能力",),
    "village": ("所在村组", "村组", "所在村", "所在村(组)"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式"),
    "account_no": (
        "银行/社保卡账号",
        "银行社保卡账号",
        "银行/社保卡号",
        "社保卡/银行卡账号",
        "银行卡/社保卡账号",
        "银行账号",
        "银行卡号",
        "社保卡号",
        "社保卡账号",
        "账号",
        "卡号",
    ),
    "account_name": ("开户人", "开户人姓名", "户名", "持卡人"),
    "post_name": ("岗位名称", "岗位"),
    "employer": ("使用单位", "用人单位"),
    "fund": ("资金来源",),
    "full_time": ("全日制/非全日制", "用工形式"),
    "allowance": ("月补贴标准", "补贴标准", "月补贴标准(元)"),
    "required_days": ("规定出勤天数",),
    "contract_dates": ("协议起止日期", "协议起止时间", "合同起止日期"),
    "exit": ("退岗日期及原因",),
    "account_kind": ("账户类型", "卡类型", "账户种类"),
}


def normalize_header(text: Any) -> str:
    """'身份证号码 ', '银行／社保卡账号', '*姓名' → comparable text (NFKC, no spaces, no '*')."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"[\s*]", "", t)


_HEADER_INDEX = {normalize_header(a): key for key, names in _ALIASES.items() for a in names}


def header_key(text: Any) -> str | None:
    """The column key a header cell names, or None for an unknown header."""
    h = normalize_header(text)
    if not h:
        return None
    if h in _HEADER_INDEX:
        return _HEADER_INDEX[h]
    base = re.sub(r"\([^()]*\)$", "", h)  # '联系电话(手机)', '姓名(必填)'
    return _HEADER_INDEX.get(base)


@dataclass
class RosterRow:
    number: int  # the row number as Excel shows it
    values: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.values.get(key)


@dataclass
class SkippedRow:
    """A row below the header that is not a person: a 合计/小计 line, a signature line, a note."""

    number: int
    reason: str
    text: str  # the row's cells, joined, as shown in the preview


@dataclass
class RosterSheet:
    sheet_name: str
    header_row: int
    present: frozenset[str]  # keys whose header was found
    rows: list[RosterRow] = field(default_factory=list)
    unknown_headers: list[str] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)


# Rows real 花名册 carry below the people: totals, the signature block (in one merged cell or spread over
# several), notes. Recognised by the row's first filled cell, and only when the row has no ID number.
_TOTAL = re.compile(r"^(本页|本表|全村|全镇|全乡|本村|本镇)?(合计|小计|总计|共计|累计)")
_SIGNATURE = re.compile(
    r"^(单位|主要|分管|主管)?(制表|填表|填报|审核|复核|审批|审定|负责|经办|统计|领导|签字|签名|盖章|日期)"
    r"(人|日期|时间|领导|单位)?(\((签字|签名|盖章)\)|签字|签名|盖章)?([:：]|$)"
)
_NOTE = re.compile(r"^(注|备注|说明|填表说明|附注)[:：\d]")
_ID_LIKE = re.compile(r"\d{15}")


_SPACES = re.compile(r"\s+")


def _cell_text(value: Any) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(value))) if value is not None else ""


def skip_reason(cells: Sequence[Any], id_value: Any) -> str | None:
    """Why a data row is not a person (合计行 / 签字栏 / 备注说明), or None for a person row.

    Only a row without anything like an ID number is ever skipped: a person row is never lost.
    """
    if type(id_value) is str and _ID_LIKE.search(id_value):  # the common case, as typed
        return None
    if _ID_LIKE.search(_cell_text(id_value)):
        return None
    first = next((t for t in (_cell_text(c) for c in cells) if t), "")
    if _TOTAL.match(first):
        return "合计/小计行"
    if _SIGNATURE.match(first):
        return "签字栏（制表人、审核人、日期等）"
    if _NOTE.match(first):
        return "备注说明"
    return None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _column_name(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"第{get_column_letter(index + 1)}列"


def _match_header(row: Sequence[Any]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, cell in enumerate(row):
        key = header_key(cell)
        if key:
            found.setdefault(key, []).append(i)
    return found


def _is_header(found: dict[str, list[int]]) -> bool:
    return len(found) >= 2 and ("name" in found or "id_number" in found)


def read_roster(stream: IO[bytes]) -> RosterSheet:
    """Read the roster sheet of an uploaded workbook.

    Raises DomainError (code roster_unreadable / roster_header / roster_too_large) when the
    file as a whole cannot be used; problems in single cells are left to the caller.
    """
    sheet = first_sheet(
        stream,
        _read_sheet,
        code="roster_unreadable",
        preferred=SHEET_NAME,
        skip=HELP_SHEET,
        max_rows=MAX_DATA_ROWS + HEADER_SCAN_ROWS,
    )
    if sheet is not None:
        return sheet
    names = "”“".join(HEADERS[k] for k in REQUIRED)
    raise DomainError(
        "roster_header",
        f"未找到花名册表头：表格前{HEADER_SCAN_ROWS}行中没有包含“{names}”等列名的表头行。"
        "请使用系统提供的模板，可在表头上方保留一行标题",
    )


def _read_sheet(ws) -> RosterSheet | None:
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # some producers write a wrong <dimension>; read every row
    rows = ws.iter_rows(values_only=True)
    header_row, found = 0, {}
    for number, row in enumerate(rows, start=1):
        if number > HEADER_SCAN_ROWS:
            return None
        found = _match_header(row or ())
        if _is_header(found):
            header_row = number
            header_cells = list(row)
            break
    else:
        return None

    dupes = [(k, cols) for k, cols in found.items() if len(cols) > 1]
    if dupes:
        k, cols = dupes[0]
        raise DomainError(
            "roster_header",
            f"第{header_row}行表头中“{HEADERS[k]}”出现了多次（"
            + "、".join(_column_name(c) for c in cols)
            + "），请只保留一列",
        )
    missing = [HEADERS[k] for k in REQUIRED if k not in found]
    if missing:
        raise DomainError(
            "roster_header",
            "花名册缺少必需的列："
            + "、".join(f"“{m}”" for m in missing)
            + f"（表头在第{header_row}行）。请勿修改模板中的列名",
        )
    positions = {k: cols[0] for k, cols in found.items()}
    known = set(positions.values())
    unknown = [str(c).strip() for i, c in enumerate(header_cells) if i not in known and not _is_blank(c)]
    sheet = RosterSheet(ws.title, header_row, frozenset(positions), unknown_headers=unknown)
    for number, row in enumerate(rows, start=header_row + 1):
        row = row or ()
        values = {k: (row[i] if i < len(row) else None) for k, i in positions.items()}
        seq = values.get("seq")
        if isinstance(seq, str) and unicodedata.normalize("NFKC", seq).strip().startswith(EXAMPLE_MARK):
            continue
        reason = skip_reason(row, values.get("id_number"))
        if reason:  # also when it sits in the 序号 column alone (a merged cell) or in unnamed columns
            text = " ".join(str(c).strip() for c in row if not _is_blank(c))
            sheet.skipped.append(SkippedRow(number, reason, text[:80]))
            continue
        if all(_is_blank(v) for k, v in values.items() if k != "seq"):
            continue
        if len(sheet.rows) >= MAX_DATA_ROWS:
            raise DomainError(
                "roster_too_large", f"一次最多导入{MAX_DATA_ROWS:,}行，请按乡镇或村拆分文件后分批导入"
            )
        sheet.rows.append(RosterRow(number, values))
    return sheet


# ---------------------------------------------------------------- writing

# openpyxl is imported by the functions that write (the services import this module for its reader and
# headers, and openpyxl takes ~0.1 s to load); the styles are made once, on first use


@lru_cache(maxsize=1)
def _styles():
    """(head font, head fill, example font)."""
    from openpyxl.styles import Font, PatternFill

    return Font(bold=True), PatternFill("solid", fgColor="DCE6F1"), Font(color="808080", italic=True)


_WIDTHS = {
    "seq": 6,
    "name": 10,
    "id_number": 21,
    "household": 16,
    "categories": 22,
    "work_capacity": 9,
    "village": 18,
    "phone": 15,
    "account_no": 23,
    "account_name": 10,
    "post_name": 12,
    "employer": 16,
    "fund": 20,
    "full_time": 14,
    "allowance": 11,
    "required_days": 12,
    "contract_dates": 24,
    "exit": 20,
    "account_kind": 10,
}


def _set_widths(ws) -> None:
    from openpyxl.utils import get_column_letter

    for i, key in enumerate(KEYS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(key, 12)


def write_roster(out: IO[bytes], rows: Iterable[Sequence[Any]]) -> int:
    """Write the export: one header row, then `rows` (values in COLUMNS order). Returns the row count.

    Write-only mode, so memory stays flat for 100,000 rows; 身份证号, 户编号, 电话 and 账号 are
    text cells so Excel never turns them into 5.22701E+17.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_NAME)
    _set_widths(ws)
    ws.freeze_panes = "C2"
    ws.append(safe_row([_head_cell(ws, h) for _, h in COLUMNS]))
    text_positions = [i for i, k in enumerate(KEYS) if k in TEXT_KEYS]
    n = 0
    for values in rows:
        cells = list(values)
        for i in text_positions:
            c = WriteOnlyCell(ws, value=None if cells[i] in (None, "") else str(cells[i]))
            c.number_format = "@"
            cells[i] = c
        ws.append(safe_row(cells))
        n += 1
    wb.save(out)
    return n


def _head_cell(ws, text: str):
    from openpyxl.cell import WriteOnlyCell

    c = WriteOnlyCell(ws, value=text)
    c.font, c.fill, _example = _styles()
    return c


def help_rows() -> list[tuple[str, str, str]]:
    """(列名, 是否必填, 填写要求) for the 填写说明 sheet and the import page."""
    cats = "、".join(CATEGORIES)
    return [
        ("序号", "否", "可留空，导入时不读取。填“示例”的行是模板示例，导入时跳过。"),
        ("姓名", "是", "本人姓名，不能为空。"),
        (
            "身份证号",
            "是",
            "18位居民身份证号，末位可为X；系统按号码核对位数、出生日期和校验位。人员以身份证号识别："
            "系统中已有此号码则更新该人员，没有则新增。出生日期和性别由身份证号自动得出，无需填写。"
            "请先把本列单元格格式设为“文本”再录入，否则 Excel 会把号码变成 5.22701E+17 并丢失末几位。",
        ),
        (
            "户编号",
            "否",
            "本户的户编号。系统中没有的户编号将在“所在村组”的村下新建一户；已有的户编号必须属于同一个村。",
        ),
        (
            "人员类别",
            "否",
            f"可填一个或多个，用“、”“，”或“；”分隔。可选值：{cats}。"
            "新填的类别自第一次导入之日起生效；已有且未结束的类别保持不变；"
            "本次未填写的已有类别不会被结束（结束类别请在人员信息中办理）。",
        ),
        ("劳动能力", "否", f"可选值：{'、'.join(WORK_CAPACITIES)}。新增人员留空按“全劳力”登记。"),
        (
            "所在村组",
            "是",
            "填村的12位统计用区划代码，或村名，或“村名+组”（如“东坪一村3组”）。"
            "本县有同名村时，请写“乡镇名+村名”或区划代码。只能填写您管辖范围内的村。",
        ),
        ("联系电话", "否", "11位手机号（1开头），或带区号的固定电话（如 0851-12345678）。"),
        (
            "银行/社保卡账号",
            "否",
            "本人的银行卡或社会保障卡金融账号，只能是数字（空格会被去掉）；请设为“文本”格式。",
        ),
        ("开户人", "否", "账户的开户人姓名，应为本人。"),
        (
            "岗位名称",
            "否",
            "与下列岗位、协议各列一样：本版本导入时暂不读取（仅随模板和导出保留），岗位和协议请在系统中办理。",
        ),
        ("使用单位", "否", "暂不读取。"),
        ("资金来源", "否", "暂不读取。"),
        ("全日制/非全日制", "否", "暂不读取。"),
        ("月补贴标准", "否", "暂不读取（单位：元）。"),
        ("规定出勤天数", "否", "暂不读取。"),
        ("协议起止日期", "否", "暂不读取。"),
        ("退岗日期及原因", "否", "暂不读取。"),
        ("账户类型", "否", f"可选值：{'、'.join(ACCOUNT_KINDS)}。"),
    ]


GENERAL_NOTES = (
    "表头须保留在一行内，列的先后顺序可以调整，表头上方可以有一行标题；系统按列名识别各列。",
    "导入前系统检查整个文件：只要有一处错误，整个文件都不导入，并列出每处错误所在的行、列和原因；改正后重新上传即可。",
    "除姓名、身份证号、所在村组外，已有人员的某一格留空表示“不修改”；导入不会清空已有信息。",
    "同一身份证号在文件中只能出现一次；系统中已有的身份证号，姓名须与登记的姓名一致（改名请在人员信息中办理）。",
    "村级录入员只能导入本村人员；乡镇经办人只能导入本乡镇各村人员。已登记在管辖范围以外的人员不能通过导入修改。",
    "同一文件重复导入不会产生任何变更。",
    "人员名单下方的合计、小计行，制表人、审核人、负责人、填表日期等签字栏（合并单元格或分散在几格中均可）和“注：”说明行，"
    "只要该行没有身份证号，导入时会自动识别并跳过，并在检查结果中逐行列出。",
)


def write_template(out: IO[bytes], example: Sequence[Any]) -> None:
    """The empty template: header, one greyed example row (序号 “示例”, skipped on import), and 填写说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    head_font, head_fill, example_font = _styles()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    _set_widths(ws)
    ws.append(safe_row([h for _, h in COLUMNS]))
    for cell in ws[1]:
        cell.font = head_font
        cell.fill = head_fill
    ws.append(safe_row(list(example)))
    for cell in ws[2]:
        cell.font = example_font
    for i, key in enumerate(KEYS, start=1):
        if key in TEXT_KEYS:
            letter = get_column_letter(i)
            ws.column_dimensions[letter].number_format = "@"
            for r in range(2, 1001):
                ws[f"{letter}{r}"].number_format = "@"
    ws.freeze_panes = "C2"
    for key, values in (("work_capacity", WORK_CAPACITIES), ("account_kind", ACCOUNT_KINDS)):
        letter = get_column_letter(KEYS.index(key) + 1)
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="填写错误",
            error="请从下拉列表中选择",
        )
        dv.add(f"{letter}3:{letter}100000")
        ws.add_data_validation(dv)

    hs = wb.create_sheet(HELP_SHEET)
    hs.column_dimensions["A"].width = 18
    hs.column_dimensions["B"].width = 10
    hs.column_dimensions["C"].width = 100
    hs.append(safe_row(["花名册填写说明"]))
    hs["A1"].font = Font(bold=True, size=14)
    for note in GENERAL_NOTES:
        hs.append(safe_row([None, None, note]))
    hs.append(safe_row([]))
    hs.append(safe_row(["列名", "是否必填", "填写要求和可选值"]))
    for cell in hs[hs.max_row]:
        cell.font = head_font
        cell.fill = head_fill
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in help_rows():
        hs.append(safe_row(list(row)))
        for cell in hs[hs.max_row]:
            cell.alignment = wrap
    for r in range(2, 2 + len(GENERAL_NOTES)):
        hs.cell(row=r, column=3).alignment = wrap
    wb.save(out)


def write_error_report(out: IO[bytes], errors: Iterable[Sequence[Any]], *, filename: str = "") -> None:
    """The refusal as a workbook: one line per problem (行号, 列, 填写的值, 问题)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误清单")
    for letter, width in zip("ABCD", (8, 16, 28, 90), strict=True):
        ws.column_dimensions[letter].width = width
    if filename:
        ws.append(safe_row([f"文件：{filename}"]))
    ws.append(safe_row([_head_cell(ws, h) for h in ("行号", "列", "填写的值", "问题")]))
    for row, column, value, reason in errors:
        v = WriteOnlyCell(ws, value=None if value in (None, "") else str(value))
        v.number_format = "@"
        ws.append(safe_row([row or None, column, v, reason]))
    wb.save(out)
