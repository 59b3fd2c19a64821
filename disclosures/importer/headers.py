"""Find the header row (one or two rows high) by matching known column names and their synonyms.

How a header cell becomes a column (``match_cell``), best first:

1. a household **total** (合计, 合计金额, 金额合计 …, or 合计/小计/总计 under an amount or head-count
   heading of a two-row header) — the amount a household receives is its total, not one of its parts;
2. an **exact** synonym, in the order of ``FIELDS`` (户主姓名 before 姓名, 保障人口 before 家庭人口,
   实发金额 before 月保障金 …);
3. **containment**: the longest synonym (two characters or more) written inside the header text
   (保障对象身份证号码 → 身份证号码), unless the header names something else (``NOT_CONTAINED``:
   联系电话, 开户行, 序号, 面积, 标准, 人均 …), so 补贴标准（元/亩）, 月人均补差 or 承包面积 never
   become the amount and 监护人姓名 or 家庭成员姓名 never become the name;
4. only the upper cell of a two-row header.

Each field takes its best column (the leftmost on a tie). Per-capita columns (月人均补差) are never
the amount: with 月保障金 next to them the household's 月保障金 is the amount; without it the amount
column is reported missing, saying why.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .cells import INVISIBLE
from .errors import ImportFileError, NoHeaderError

# field → (label shown in messages, synonyms as offices write them, best first). Category.column_synonyms
# adds more (ranked before these). relation, member_name, seq and village are read, never stored.
FIELDS = {
    "name": (
        gettext_lazy("姓名"),
        (
            "户主姓名",
            "户主名",
            "保障对象姓名",
            "救助对象姓名",
            "供养对象姓名",
            "特困人员姓名",
            "补贴对象姓名",
            "补助对象姓名",
            "申请人姓名",
            "享受人姓名",
            "农户姓名",
            "户主",
            "姓名",
            "申请人",
            "保障对象",
            "救助对象",
            "补贴对象",
            "补助对象",
            "对象姓名",
            "户名",
        ),
    ),
    "id_number": (
        gettext_lazy("身份证号"),
        (
            "户主身份证号码",
            "户主身份证号",
            "户主公民身份号码",
            "身份证号码",
            "身份证号",
            "公民身份号码",
            "公民身份证号码",
            "公民身份证号",
            "身份证件号码",
            "身份证件号",
            "证件号码",
            "证件号",
            "身份证",
        ),
    ),
    "group": (
        gettext_lazy("村民小组"),
        ("村民小组", "组别", "组", "所在组", "小组", "所属小组", "村组", "所在村组", "村民组", "社", "组名"),
    ),
    "household_size": (
        gettext_lazy("保障人数"),
        (
            "保障人数",
            "保障人口",
            "保障人口数",
            "家庭保障人口",
            "家庭保障人数",
            "享受人数",
            "享受人口",
            "享受人口数",
            "供养人数",
            "救助人数",
            "保障户人数",
            "家庭人口",
            "家庭人口数",
            "家庭人数",
            "户人口数",
            "人口数",
            "家庭成员人数",
        ),
    ),
    "amount": (
        gettext_lazy("金额"),
        (
            "实发金额",
            "本月实发金额",
            "本月发放金额",
            "本月保障金额",
            "本月保障金",
            "月发放金额",
            "发放金额",
            "应发金额",
            "月保障金额",
            "月保障金",
            "保障金额",
            "保障金",
            "月供养金",
            "供养金额",
            "供养金",
            "月救助金额",
            "救助金额",
            "救助金",
            "月补助金额",
            "补助金额",
            "补助资金",
            "补贴金额",
            "补贴资金",
            "补差金额",
            "月补差金额",
            "发放资金",
            "基本生活费",
            "金额",
        ),
    ),
    "assistance_class": (
        gettext_lazy("保障类别"),
        (
            "保障类别",
            "保障档次",
            "类别",
            "档次",
            "救助类别",
            "对象类别",
            "人员类别",
            "供养类别",
            "保障类型",
            "分类",
            "补贴类别",
            "补助类别",
            "改造方式",
            "供养方式",
        ),
    ),
    "bank_account": (
        gettext_lazy("银行账号"),
        (
            "银行账号",
            "银行帐号",
            "银行卡号",
            "一卡通账号",
            "一卡通帐号",
            "一卡通卡号",
            "一卡通号",
            "一卡通号码",
            "惠农一卡通号",
            "社保卡号",
            "社会保障卡号",
            "社保卡账号",
            "存折账号",
            "存折号",
            "开户账号",
            "收款账号",
            "账号",
            "帐号",
            "卡号",
            "一卡通",
        ),
    ),
    "remark": (gettext_lazy("备注"), ("备注", "说明", "备注说明", "备注栏")),
    "approved_on": (
        gettext_lazy("批准日期"),
        (
            "批准日期",
            "审批日期",
            "保障起始日期",
            "起始日期",
            "享受起始时间",
            "起始时间",
            "审批时间",
            "批准时间",
            "纳入时间",
            "纳入日期",
        ),
    ),
    "relation": (
        gettext_lazy("与户主关系"),
        (
            "与户主关系",
            "与户主的关系",
            "与申请人关系",
            "与申请人的关系",
            "家庭关系",
            "成员关系",
            "关系",
            "称谓",
            "是否户主",
        ),
    ),
    "member_name": (
        gettext_lazy("家庭成员姓名"),
        ("家庭成员姓名", "成员姓名", "家庭成员", "共同生活家庭成员", "共同生活家庭成员姓名", "成员"),
    ),
    "sex": (gettext_lazy("性别"), ("性别", "户主性别")),
    "seq": (gettext_lazy("序号"), ("序号", "编号", "序", "顺序号", "no", "户序号")),
    "village": (gettext_lazy("村（社区）"), ("村", "村社区", "行政村", "村名", "所在村", "村居", "村委会", "社区")),
}
REQUIRED_COLUMNS = ("name", "id_number")
HEADER_SCAN_ROWS = 30
# a total column: the amount (or head count) of the whole household
TOTALS = ("合计", "总计", "小计", "合计金额", "金额合计", "总金额", "发放合计", "合计发放", "合计发放金额", "总额")
# a lower cell of a two-row header that says little without the heading above it, and what it hints at
HINTS = {"金额": "amount", "元": "amount", "人数": "household_size", "人": "household_size", "人口": "household_size"}
# containment never matches a header that names one of these
NOT_CONTAINED = (
    "电话",
    "手机",
    "开户",
    "银行名称",
    "序号",
    "面积",
    "标准",
    "人均",
    "单价",
    "性别",
    "民族",
    "年龄",
    "出生",
    "住址",
    "地址",
    "残疾",
    "证件类型",
    "有效期",
    "户籍",
    "户口",
    "健康",
    "劳动",
    "原因",
    "签字",
    "签名",
    "签章",
    "盖章",
    "手印",
    "监护",
    "代领",
    "代办",
    "经办",
    "联系人",
    "成员",
    "是否",
    "账户名",
    "上月",
    "调整前",
    "原保障",
    "原金额",
    "扣减",
    "扣除",
    "乡镇",
    "街道",
)
PER_CAPITA = re.compile(r"人均.*(?:补差|保障|补助|救助|金额|收入)")
CONTAINED_MAX = 16  # longer texts are prose, not headers
TIER_TOTAL, TIER_EXACT, TIER_CONTAINED, TIER_UPPER = 0, 1, 2, 3
_PARENS = re.compile(r"[(（\[【〔<《][^)）\]】〕>》]*[)）\]】〕>》]")
_NOISE = re.compile(r"[\s\u3000:：*＊★☆·.。、/_\-—]+")
_TEN_THOUSAND = re.compile(r"万元")


def label(field_name):
    return str(FIELDS[field_name][0])


def normalize_header(value):
    """``月保障金额\n（元）`` → ``月保障金额``: NFKC, no spaces, no units in brackets, no punctuation."""
    if value is None:
        return ""
    cleaned = unicodedata.normalize("NFKC", str(value)).translate(INVISIBLE)
    without_units = _PARENS.sub("", cleaned)
    without_units = _NOISE.sub("", without_units)
    return (without_units or _NOISE.sub("", cleaned)).lower()


def ranked_synonyms(category=None):
    """``{normalized header text: (field, rank)}``: the category's extra synonyms rank first, then ``FIELDS``
    in order."""
    table = {}
    extra = (getattr(category, "column_synonyms", None) or {}) if category is not None else {}
    for synonym_field, synonyms in extra.items():  # fields unknown to FIELDS are ignored
        if synonym_field in FIELDS:
            for index, synonym in enumerate(synonyms):
                table[normalize_header(synonym)] = (synonym_field, index - 1000)
    for field_name, (_label, synonyms) in FIELDS.items():
        for index, synonym in enumerate(synonyms):
            table.setdefault(normalize_header(synonym), (field_name, index))
    return table


def _contained(table):
    """Synonyms of two characters or more, longest first, for the containment fallback."""
    return sorted(((key, value) for key, value in table.items() if len(key) >= 2), key=lambda kv: -len(kv[0]))


def match_cell(text, table, contained=None):
    """``(field, (tier, rank))`` for one header text, or None."""
    key = normalize_header(text)
    if not key:
        return None
    if key in TOTALS:
        return "amount", (TIER_TOTAL, TOTALS.index(key))
    found = table.get(key)
    if found is not None:
        return found[0], (TIER_EXACT, found[1])
    if len(key) > CONTAINED_MAX or any(word in key for word in NOT_CONTAINED):
        return None  # prose (a note, a title) is not a header
    for synonym, (field_name, rank) in contained if contained is not None else _contained(table):
        if synonym in key:
            if field_name in ("amount", "household_size") and any(t in key for t in TOTALS[:3]):
                return field_name, (TIER_TOTAL, rank)
            return field_name, (TIER_CONTAINED, -len(synonym))
    return None


@dataclass
class Header:
    row_index: int  # 0-based index of the first header row
    height: int  # 1 or 2
    columns: dict = field(default_factory=dict)  # field → column index
    labels: dict = field(default_factory=dict)  # field → header text as written in the file
    scales: dict = field(default_factory=dict)  # field → multiplier (amount in 万元 → 10000)
    per_capita: str = ""  # a per-capita amount column (月人均补差) as written, never taken as the amount

    @property
    def data_start(self):
        return self.row_index + self.height

    def label(self, field_name):
        return self.labels.get(field_name) or label(field_name)


def _cell_text(row, index):
    if index >= len(row) or row[index] is None:
        return ""
    return str(row[index]).strip()


def _written(text):
    written = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).translate(INVISIBLE)
    return _PARENS.sub("", written) or written


def _match(rows, table, contained):
    """Map columns of a one- or two-row header (see the module docstring for the order)."""
    width = max(len(r) for r in rows)
    best = {}  # field → (tier, rank, column, label, raw text)
    per_capita = ""
    # a heading merged across several sub-columns is written in its first cell only; a title row (one
    # cell) is not such a heading
    spread = len(rows) == 2 and sum(1 for i in range(len(rows[0])) if _cell_text(rows[0], i)) >= 2
    upper_carried = ""
    for index in range(width):
        cells = [_cell_text(r, index) for r in rows]
        if len(cells) == 2:
            upper, lower = cells
            if upper:
                upper_carried = upper
            elif spread and lower and index and _cell_text(rows[1], index - 1):
                upper = upper_carried
            else:
                upper_carried = ""
            found, text = _match_pair(upper, lower, table, contained)
            raw = f"{upper}{lower}"
        else:
            found, text = match_cell(cells[0], table, contained), cells[0]
            raw = cells[0]
        if not per_capita and PER_CAPITA.search(normalize_header(raw)):
            per_capita = _written(raw)
        if found is None:
            continue
        field_name, (tier, rank) = found
        candidate = (tier, rank, index, _written(text), raw)
        if field_name not in best or candidate[:3] < best[field_name][:3]:
            best[field_name] = candidate
    columns = {f: c[2] for f, c in sorted(best.items(), key=lambda item: item[1][2])}
    labels = {f: best[f][3] for f in columns}
    scales = {"amount": 10000} if "amount" in best and _TEN_THOUSAND.search(best["amount"][4]) else {}
    return columns, labels, scales, per_capita


def _match_pair(upper, lower, table, contained):
    """One column of a two-row header: the lower cell, with the heading above it when the lower cell alone
    says too little (合计, 金额, 人数 …)."""
    if not lower:
        return match_cell(upper, table, contained), upper
    key = normalize_header(lower)
    joined = f"{upper}{lower}"
    if upper and (key in TOTALS or key in HINTS):
        above = match_cell(upper, table, contained)
        hint = HINTS.get(key)
        if normalize_header(upper) in TOTALS and hint:  # 合计 over 人数 | 金额
            return (hint, (TIER_TOTAL, 0)), joined
        if above is not None and (hint is None or hint == above[0]):
            field_name, (tier, rank) = above
            if key in TOTALS and field_name in ("amount", "household_size"):
                return (field_name, (TIER_TOTAL, rank)), joined
            return (field_name, (max(tier, TIER_CONTAINED), rank)), joined
    found = match_cell(lower, table, contained)
    if found is not None and found[1][0] <= TIER_EXACT:
        return found, lower
    if upper:
        combined = match_cell(joined, table, contained)
        if combined is not None:
            return combined, joined
    if found is not None:
        return found, lower
    if upper:
        above = match_cell(upper, table, contained)
        if above is not None:
            return (above[0], (TIER_UPPER, above[1][1])), upper
    return None, ""


def _header_like(row):
    """True when a row could be the lower half of a header: some text, no numbers, no ID-like digits."""
    texts = 0
    for value in row:
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return False
        compact = value.strip()
        if not compact:
            continue
        if re.fullmatch(r"[-+]?[\d,.]+", compact) or sum(ch.isdigit() for ch in compact) >= 6:
            return False
        texts += 1
    return texts > 0


def _unit_line_scale(rows):
    """10000 when a line above the header says the amounts are in 万元 (单位：万元)."""
    for row in rows:
        for value in row:
            if isinstance(value, str) and "单位" in value:
                compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
                if re.search(r"(?:金额)?单位:?万元", compact):
                    return 10000
    return 1


def detect_header(rows, category=None):
    """The best header among the first rows, or ImportFileError naming what is missing."""
    table = ranked_synonyms(category)
    contained = _contained(table)
    best, best_score = None, None
    for index in range(min(HEADER_SCAN_ROWS, len(rows))):
        if not any(_cell_text(rows[index], i) for i in range(len(rows[index]))):
            continue
        single = _match([rows[index]], table, contained)
        candidates = [((len(single[0]), 0), (index, 1, single))]
        if index + 1 < len(rows) and _header_like(rows[index + 1]):
            pair = _match([rows[index], rows[index + 1]], table, contained)
            lower = _match([rows[index + 1]], table, contained)
            # a pair is a two-row header when the lower row changes what the upper row alone (or the lower
            # row alone, under a title) would map; a title over a header maps the same as the header alone
            if pair[:2] != lower[:2] and pair[:2] != single[:2]:
                candidates.append(((len(pair[0]), 1), (index, 2, pair)))
        for score, candidate in candidates:
            if best_score is None or score > best_score:
                best, best_score = candidate, score
    if best is None or not set(best[2][0]) & {"name", "id_number"}:
        raise NoHeaderError(
            _("没有找到表头：前 %(n)s 行里没有“姓名”“身份证号”等列名。请使用模板，或把表头改成常用列名。")
            % {"n": HEADER_SCAN_ROWS}
        )
    index, height, (columns, labels, scales, per_capita) = best
    header = Header(
        row_index=index, height=height, columns=columns, labels=labels, scales=scales, per_capita=per_capita
    )
    if "amount" in columns and "amount" not in scales:
        unit = _unit_line_scale(rows[:index])
        written = "".join(_cell_text(rows[i], columns["amount"]) for i in range(index, index + height))
        if unit != 1 and "元" not in written:  # the column's own unit wins over the line above
            header.scales["amount"] = unit
    missing = [label(f) for f in REQUIRED_COLUMNS if f not in header.columns]
    if missing:
        raise ImportFileError(
            _("表头缺少必需的列：%(missing)s（在第 %(row)s 行找到的表头）。")
            % {"missing": "、".join(f"「{m}」" for m in missing), "row": header.row_index + 1}
        )
    return header
