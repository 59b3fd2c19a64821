"""Find the header row (one or two rows high) by matching known column names and their synonyms."""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ImportFileError

# field → (label shown in messages, synonyms as offices write them). Category.column_synonyms adds more.
FIELDS = {
    "name": (
        gettext_lazy("姓名"),
        (
            "户主姓名",
            "姓名",
            "户主",
            "户主名",
            "申请人",
            "申请人姓名",
            "对象姓名",
            "救助对象",
            "补贴对象",
            "享受人姓名",
        ),
    ),
    "id_number": (
        gettext_lazy("身份证号"),
        (
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "身份证",
            "证件号码",
            "身份证件号码",
            "户主身份证号",
            "户主身份证号码",
            "公民身份证号码",
        ),
    ),
    "group": (gettext_lazy("村民小组"), ("村民小组", "组别", "组", "所在组", "小组", "所属小组", "村组", "所在村组")),
    "household_size": (
        gettext_lazy("保障人数"),
        ("保障人数", "享受人数", "家庭人口", "家庭人口数", "人口数", "保障人口", "家庭人数", "享受人口", "户人口数"),
    ),
    "amount": (
        gettext_lazy("金额"),
        (
            "月保障金额",
            "保障金额",
            "发放金额",
            "金额",
            "补助金额",
            "补贴金额",
            "月发放金额",
            "救助金额",
            "实发金额",
            "月保障金",
            "保障金",
            "月补助金额",
        ),
    ),
    "assistance_class": (
        gettext_lazy("保障类别"),
        ("保障类别", "类别", "档次", "保障档次", "救助类别", "分类", "保障类型", "供养类别"),
    ),
    "bank_account": (
        gettext_lazy("银行账号"),
        ("银行账号", "账号", "银行卡号", "卡号", "一卡通账号", "社保卡号", "存折账号", "银行帐号", "帐号"),
    ),
    "remark": (gettext_lazy("备注"), ("备注", "说明", "备注说明")),
    "approved_on": (
        gettext_lazy("批准日期"),
        ("批准日期", "审批日期", "保障起始日期", "起始日期", "享受起始时间", "起始时间", "审批时间", "批准时间"),
    ),
}
REQUIRED_COLUMNS = ("name", "id_number")
HEADER_SCAN_ROWS = 30
_PARENS = re.compile(r"[(（\[【].*?[)）\]】]")
_NOISE = re.compile(r"[\s\u3000:：*＊·.。、/]+")


def label(field_name):
    return str(FIELDS[field_name][0])


def normalize_header(value):
    """``月保障金额\n（元）`` → ``月保障金额``: NFKC, no spaces, no units in brackets, no punctuation."""
    if value is None:
        return ""
    cleaned = unicodedata.normalize("NFKC", str(value))
    cleaned = _NOISE.sub("", cleaned)
    without_units = _PARENS.sub("", cleaned)
    return (without_units or cleaned).lower()


def synonym_table(category=None):
    """``{normalized header text: field}`` including the category's extra synonyms."""
    table = {}
    extra = (getattr(category, "column_synonyms", None) or {}) if category is not None else {}
    for field_name, (_label, synonyms) in FIELDS.items():
        for synonym in (*extra.get(field_name, ()), *synonyms):
            table.setdefault(normalize_header(synonym), field_name)
    for synonym_field, synonyms in extra.items():  # fields unknown to FIELDS are ignored
        if synonym_field not in FIELDS:
            continue
        for synonym in synonyms:
            table[normalize_header(synonym)] = synonym_field
    return table


@dataclass
class Header:
    row_index: int  # 0-based index of the first header row
    height: int  # 1 or 2
    columns: dict = field(default_factory=dict)  # field → column index
    labels: dict = field(default_factory=dict)  # field → header text as written in the file

    @property
    def data_start(self):
        return self.row_index + self.height

    def label(self, field_name):
        return self.labels.get(field_name) or label(field_name)


def _cell_text(row, index):
    if index >= len(row) or row[index] is None:
        return ""
    return str(row[index]).strip()


def _match(rows, table):
    """Map columns of a one- or two-row header; the lower cell wins, then the two joined, then the upper."""
    columns, labels = {}, {}
    width = max(len(r) for r in rows)
    for index in range(width):
        cells = [_cell_text(r, index) for r in rows]
        candidates = [cells[-1], "".join(cells), cells[0]] if len(cells) == 2 else [cells[0]]
        for candidate in candidates:
            field_name = table.get(normalize_header(candidate)) if candidate else None
            if field_name and field_name not in columns:
                columns[field_name] = index
                written = re.sub(r"\s+", "", unicodedata.normalize("NFKC", candidate))
                labels[field_name] = _PARENS.sub("", written) or written
                break
    return columns, labels


def detect_header(rows, category=None):
    """The best header among the first rows, or ImportFileError naming what is missing."""
    table = synonym_table(category)
    best = None
    for index in range(min(HEADER_SCAN_ROWS, len(rows))):
        if not any(_cell_text(rows[index], i) for i in range(len(rows[index]))):
            continue
        options = [(1, _match([rows[index]], table))]
        if index + 1 < len(rows):
            options.append((2, _match([rows[index], rows[index + 1]], table)))
        for height, (columns, labels) in options:
            if best is None or len(columns) > len(best.columns):
                best = Header(row_index=index, height=height, columns=columns, labels=labels)
    if best is not None and best.height == 2:
        columns, labels = _match([rows[best.row_index + 1]], table)
        if len(columns) == len(best.columns):  # the upper row was a title, not half of the header
            best = Header(row_index=best.row_index + 1, height=1, columns=columns, labels=labels)
    if best is None or len(best.columns) == 0:
        raise ImportFileError(
            _("没有找到表头：前 %(n)s 行里没有“姓名”“身份证号”等列名。请使用模板，或把表头改成常用列名。")
            % {"n": HEADER_SCAN_ROWS}
        )
    missing = [label(f) for f in REQUIRED_COLUMNS if f not in best.columns]
    if missing:
        raise ImportFileError(
            _("表头缺少必需的列：%(missing)s（在第 %(row)s 行找到的表头）。")
            % {"missing": "、".join(f"「{m}」" for m in missing), "row": best.row_index + 1}
        )
    return best
