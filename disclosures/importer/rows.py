"""Which kind of row a row under the header is, before (and, for a few, after) its fields are parsed.

- **blank**: nothing in it, or only a 序号 / zeros (a template numbered down to row 50) and no name or ID;
- **footer**: no ID (or a cell in the ID column that is not an ID, such as 共 15 户) and a cell starting with
  合计/小计/总计/制表人/审核人/负责人/填报日期/注：…; **total**: a row with neither name nor ID whose amount
  equals the sum of the households above it (a total without its label);
- **note**: neither name nor ID and no amount or head count (the title printed again, a 序号 alone);
  **heading**: with no group column, a row whose only text names a group (一组, 三组（8户）);
- **member**: a family member (see ``RowClassifier.is_member``), folded into the household above it;
- **header**: the header printed again on a new page;
- **data**: anything else, a household whose fields are parsed next.

A 村民小组, 保障类别, 备注 … cell merged down over several households counts for each of them (``MergedFill``).
"""

import re

from . import cells
from .cells import is_blank
from .fields import household_size
from .headers import normalize_header

FOOTER_MARKERS = (
    "合计",
    "总计",
    "小计",
    "共计",
    "累计",
    "制表人",
    "制表",
    "审核人",
    "审核",
    "复核",
    "审批人",
    "填报日期",
    "填表日期",
    "填报人",
    "填表人",
    "填报单位",
    "负责人",
    "单位负责人",
    "经办人",
    "联系电话",
    "监督电话",
    "举报电话",
    "注:",
    "注1",
    "说明:",
    "备注:",
    "公示期",
    "公示时间",
    "村委会",
    "村民委员会",
    "村务监督",
    "以上",
    "本表",
)
# 与户主关系 values that make a row the household's own row (是否户主: 是)
HEAD_RELATIONS = frozenset(
    {"户主", "本人", "户主本人", "本人户主", "申请人", "申请人本人", "户主申请人", "之户主", "是"}
)
FILL_DOWN = ("group", "village", "assistance_class", "remark", "approved_on")
_BRACKETS = re.compile(r"[()（）\[\]【】\s]")
_DATE_IN_TEXT = re.compile(r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)")
# 一组 / 第二村民小组 / 三组（8户）: a subheading row that names the group of the rows below it.
_GROUP_HEADING = re.compile(
    r"^(?P<group>(?:[\u4e00-\u9fff]{1,8}村)?第?[一二三四五六七八九十百零〇两\d]{1,4}(?:村民)?小?组)(?:[(（][^)）]*[)）])?[:：]?$"
)

BLANK, FOOTER, TOTAL, NOTE, HEADING, MEMBER, HEADER, DATA = (
    "blank",
    "footer",
    "total",
    "note",
    "heading",
    "member",
    "header",
    "data",
)
SECTION_ENDS = frozenset({FOOTER, TOTAL})  # rows that close the households above them


def is_footer(row):
    for value in row:
        if isinstance(value, str) and value.strip():
            compact = cells.text(value).replace(" ", "")
            if compact.startswith(FOOTER_MARKERS):
                return True
    return False


def group_heading(row):
    """The group a subheading row names (its only text, e.g. ``二组（3户）``), or ``""``."""
    texts = [cells.text(v).replace(" ", "") for v in row if not is_blank(v)]
    if len(texts) != 1:
        return ""
    match = _GROUP_HEADING.match(texts[0])  # cells.text has folded it (NFKC) already
    return match.group("group") if match else ""


def looks_like_id(value):
    """True for a cell that holds an ID number (right or wrong), False for 共 15 户, 3 or a label."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value >= 1e14
    return sum(ch.isdigit() for ch in cells.text(value)) >= 15


def relation(value):
    return _BRACKETS.sub("", cells.text(value))


def figure(row, index, parse):
    """The non-zero number in ``row[index]``, or None (empty, zero, a placeholder or not a number)."""
    if index is None or index >= len(row) or is_blank(row[index]):
        return None
    try:
        value = parse(row[index])
    except cells.CellError:
        return None
    return value or None


def continuation_rows(merged, column):
    """0-based rows whose ``column`` cell is covered by a vertical merge starting higher up."""
    rows = set()
    for (top, left), (bottom, right) in merged or ():
        if left <= column <= right and bottom > top:
            rows.update(range(top + 1, bottom + 1))
    return rows


def report_date(rows):
    """The date written in a 填报日期… cell of ``rows`` (the title and footer rows) as ISO text, or ``""``."""
    for row in rows:
        for value in row:
            if isinstance(value, str) and "日期" in value:
                match = _DATE_IN_TEXT.search(cells.text(value))
                if match:
                    try:
                        return cells.date(match.group(1)).isoformat()
                    except cells.CellError:
                        continue
    return ""


class MergedFill:
    """Gives each row the value of a fill-down column's cell merged down over it from a row above.

    ``covered``: {row: [(column, top row)]} for cells covered by a vertical merge; ``tops``: {top row:
    [column]} for the rows where such a merge starts (0-based rows)."""

    def __init__(self, merged, columns):
        self.covered, self.tops = {}, {}
        self.remembered = {}  # (top row, column) → the merged cell's value
        for (top, left), (bottom, _right) in merged or ():
            if bottom > top and left in columns:
                self.tops.setdefault(top, []).append(left)
                for row in range(top + 1, bottom + 1):
                    self.covered.setdefault(row, []).append((left, top))

    def apply(self, row_index, row):
        """``row``, or a copy of it with the merged cells filled in."""
        for column in self.tops.get(row_index, ()):
            self.remembered[(row_index, column)] = row[column] if column < len(row) else None
        covered = self.covered.get(row_index)
        if not covered:
            return row
        row = list(row) + [None] * (max(c for c, _top in covered) + 1 - len(row))
        for column, top in covered:
            if is_blank(row[column]):
                row[column] = self.remembered.get((top, column))
        return row


class RowClassifier:
    """Sorts rows under one header into the kinds above (module docstring)."""

    def __init__(self, header, head, merged):
        columns = header.columns
        self.name_index, self.id_index = columns["name"], columns["id_number"]
        self.amount_index, self.size_index = columns.get("amount"), columns.get("household_size")
        self.relation_index, self.member_index = columns.get("relation"), columns.get("member_name")
        self.has_group_column = "group" in columns
        scale = header.scales.get("amount", 1)
        self.parse_amount = lambda raw: cells.amount(raw, scale)  # no range check: any figure counts here
        self.continuation = continuation_rows(merged, self.name_index)
        # The file lists family members: a relation column, a member column or names merged down.
        self.households = self.relation_index is not None or self.member_index is not None or bool(self.continuation)
        header_row = head[header.row_index]
        self.header_keys = {normalize_header(v) for v in header_row if v not in (None, "")}
        self.name_header = header_row[self.name_index] if header.height == 1 else None
        self.id_header_keys = {
            normalize_header(head[i][self.id_index]) for i in range(header.row_index, header.data_start)
        }
        self.id_header_keys.discard("")

    def classify(self, row, row_index, id_cell, household_open, is_total):
        """The kind of ``row`` (0-based ``row_index``; ``id_cell`` its ID column's cell). ``household_open``:
        a household above may take family members; ``is_total(amount)``: the amount sums the households above."""
        if is_blank(id_cell):
            kind = self._without_id(row, row_index, household_open, is_total)
            if kind is not None:
                return kind
        elif self.households and self.is_member(row, row_index):
            return MEMBER
        name_header = self.name_header
        if (
            name_header is not None
            and (row[self.name_index] if self.name_index < len(row) else None) == name_header  # cheap test first
            and {normalize_header(v) for v in row if v not in (None, "")} == self.header_keys
        ):
            return HEADER  # the header printed again on a new page
        return DATA

    def _without_id(self, row, row_index, household_open, is_total):
        if all(is_blank(v) for v in row):
            return BLANK
        if is_footer(row):
            return FOOTER
        if not self.has_group_column and group_heading(row):
            return HEADING
        if self.households and household_open and self.is_member(row, row_index):
            return MEMBER
        if is_blank(row[self.name_index] if self.name_index < len(row) else None):
            amount = figure(row, self.amount_index, self.parse_amount)
            if amount is None and figure(row, self.size_index, household_size) is None:
                return NOTE
            if amount is not None and is_total(amount):
                return TOTAL
        return None

    def misread(self, row, id_cell):
        """For a row whose ID did not parse: FOOTER (a 合计 row with 共 N 户 in the ID column) or HEADER (the
        header printed again, seen by its ID column) when it is no household at all, else None."""
        if looks_like_id(id_cell):
            return None
        if is_footer(row):
            return FOOTER
        if normalize_header(id_cell) in self.id_header_keys:
            return HEADER
        return None

    def relation_of(self, row):
        index = self.relation_index
        return relation(row[index]) if index is not None and index < len(row) else ""

    def own_figures(self, row):
        return (
            figure(row, self.amount_index, self.parse_amount) is not None
            or figure(row, self.size_index, household_size) is not None
        )

    def is_member(self, row, row_index):
        """A family member: its relation is not 户主/本人 (or, with no relation column, its name cell is empty
        and merged from above or there is a 家庭成员 column) and it has no amount and no head count of its
        own. A non-户主 row with its own figures is a household of its own (单人保)."""
        relation_text = self.relation_of(row)
        if relation_text in HEAD_RELATIONS:
            return False
        if not relation_text:
            name_cell = row[self.name_index] if self.name_index < len(row) else None
            if not (is_blank(name_cell) and (row_index in self.continuation or self.member_index is not None)):
                return False
        return not self.own_figures(row)
