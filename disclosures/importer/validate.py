"""Rows in, typed entries or row-numbered errors out. Pure functions: no database.

A roster entry is one household (DESIGN §4/§9: RosterEntry carries the household's size and amount).
Rows under the header are read as:

- **blank**: nothing in it, or only a 序号 / zeros (a template numbered down to row 50) and no name or ID;
- **footer**: no ID (or a cell in the ID column that is not an ID, such as 共 15 户) and a cell starting with
  合计/小计/总计/制表人/审核人/负责人/填报日期/注：…; a row with neither name nor ID whose amount equals the
  sum of the households above it (a total without its label) is one too;
- **note**: neither name nor ID and no amount or head count (a 一组 subheading, the title printed again);
- **family member**: when the file lists family members (a 与户主关系 column, a 家庭成员 column, or the
  name cell merged down from the household's first row), a row whose relation is not 户主/本人 (or whose name
  cell is merged from the row above) and which carries no amount and no head count of its own is folded
  into the household above it: it is not an entry, and when the household's 保障人数 cell is empty the
  household counts its rows. A member row with no household above it is an error. A row whose relation is
  not 户主 but which has its own amount or head count is a household of its own (单人保: the person
  assisted is not the head of the household);
- **the header printed again** on a new page;
- anything else is a household: validated into an ``Entry`` or row-numbered errors.

A 村民小组, 保障类别, 备注 … cell merged down over several households counts for each of them.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice

from django.utils.translation import gettext as _

from sunshine.identity import mask_id

from . import cells
from .errors import ImportFileError
from .headers import HEADER_SCAN_ROWS, Header, detect_header, label, normalize_header

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
HOUSEHOLD_RANGE = (1, 30)
FILL_DOWN = ("group", "village", "assistance_class", "remark", "approved_on")
FIELD_ORDER = (
    "name",
    "id_number",
    "group",
    "household_size",
    "amount",
    "assistance_class",
    "bank_account",
    "remark",
    "approved_on",
)
MEMOIZED = {"group", "household_size", "amount", "assistance_class", "remark", "approved_on"}
MEMO_LIMIT = 5000
_MISSING = object()
MAX_LENGTHS = {"name": 64, "group": 64, "assistance_class": 32, "remark": 200}
_DATE_IN_TEXT = re.compile(r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)")
# 与户主关系 values that make a row the household's own row
# (是否户主: 是)
HEAD_RELATIONS = frozenset(
    {"户主", "本人", "户主本人", "本人户主", "申请人", "申请人本人", "户主申请人", "之户主", "是"}
)
_VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
_BRACKETS = re.compile(r"[()（）\[\]【】\s]")


@dataclass(slots=True)
class Entry:
    row: int
    name: str
    id_number: str
    group: str = ""
    household_size: int | None = None
    amount: object = None
    assistance_class: str = ""
    bank_account: str = ""
    remark: str = ""
    person_key: str = ""  # filled by the services (needs the identity key)


@dataclass
class Validation:
    header: Header
    entries: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)  # {"row", "kind", "text", "public_text"}; row None = whole file
    rows_total: int = 0  # data rows looked at (blank rows, footers and family members excluded)
    skipped: int = 0
    members: int = 0  # family-member rows folded into their household
    meta: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.errors


def required_fields(category):
    """Name and ID always; amount and household size when the category publishes them."""
    public = set(getattr(category, "public_fields", None) or ())
    required = ["name", "id_number"]
    for name in ("household_size", "amount"):
        if name in public:
            required.append(name)
    has_range = getattr(category, "amount_min", None) is not None or getattr(category, "amount_max", None) is not None
    if has_range and "amount" not in required:
        required.append("amount")
    return required


def _error(row, column, message):
    return {"row": row, "column": column, "message": str(message), "text": f"第 {row} 行「{column}」{message}"}


def _warning(row, kind, text):
    return {"row": row, "kind": kind, "text": str(text), "public_text": str(text)}


def _is_footer(row):
    for value in row:
        if isinstance(value, str) and value.strip():
            compact = cells.text(value).replace(" ", "")
            if compact.startswith(FOOTER_MARKERS):
                return True
    return False


# 一组 / 第二村民小组 / 三组（8户）: a subheading row that names the group of the rows below it.
_GROUP_HEADING = re.compile(
    r"^(?P<group>(?:[\u4e00-\u9fff]{1,8}村)?第?[一二三四五六七八九十百零〇两\d]{1,4}(?:村民)?小?组)(?:[(（][^)）]*[)）])?[:：]?$"
)


def _group_heading(row):
    """The group a subheading row names (its only text, e.g. ``二组（3户）``), or ``""``."""
    texts = [cells.text(v).replace(" ", "") for v in row if not cells.is_blank(v)]
    if len(texts) != 1:
        return ""
    match = _GROUP_HEADING.match(texts[0])  # cells.text has folded it (NFKC) already
    return match.group("group") if match else ""


_SEXES = {"男": "男", "男性": "男", "m": "男", "male": "男", "女": "女", "女性": "女", "f": "女", "female": "女"}


def _sex_mismatch(cell, id_number):
    """``(written, expected)`` when a 性别 cell contradicts the ID (17th digit odd = 男), else None."""
    written = cells.text(cell).replace(" ", "")
    sex = _SEXES.get(written.lower())
    if sex is None or not id_number or len(id_number) != 18 or not id_number[16].isdigit():
        return None
    expected = "男" if int(id_number[16]) % 2 else "女"
    return (written, expected) if sex != expected else None


def _looks_like_id(value):
    """True for a cell that holds an ID number (right or wrong), False for 共 15 户, 3 or a label."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value >= 1e14
    return sum(ch.isdigit() for ch in cells.text(value)) >= 15


def _relation(value):
    return _BRACKETS.sub("", cells.text(value))


def _village_core(value):
    core = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    for suffix in _VILLAGE_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            return core[: -len(suffix)]
    return core


def _same_village(value, division_name):
    """False only when ``value`` names a village (…村, …社区, …居委会) that is not ``division_name``."""
    written = cells.text(value).replace(" ", "")
    if not any(word in written for word in ("村", "社区", "居委")):
        return True  # 一组, 3 … : not a village name, nothing to compare
    written, ours = _village_core(written), _village_core(division_name)
    return not written or written in ours or ours in written


def _fill_down_plan(merged, fill_columns):
    """``({row: [(column, top row)]}, {top row: [column]})`` for cells of ``fill_columns`` covered by a
    vertical merge: a 村民小组 or 保障类别 written once and merged down over several households holds for
    each of them (0-based rows)."""
    covered, tops = {}, {}
    for (top, left), (bottom, _right) in merged or ():
        if bottom > top and left in fill_columns:
            tops.setdefault(top, []).append(left)
            for row in range(top + 1, bottom + 1):
                covered.setdefault(row, []).append((left, top))
    return covered, tops


def _continuation_rows(merged, column):
    """0-based rows whose ``column`` cell is covered by a vertical merge starting higher up."""
    rows = set()
    for (top, left), (bottom, right) in merged or ():
        if left <= column <= right and bottom > top:
            rows.update(range(top + 1, bottom + 1))
    return rows


def _report_date(rows):
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


def check_header(rows, category=None, *, complete=True):
    """The header, or ImportFileError when it is missing or lacks a column the category needs.

    ``rows`` may be only the first rows of the sheet (``complete=False``): then "no data rows" is left
    to ``validate_rows``."""
    header = detect_header(rows, category)
    missing = [f for f in required_fields(category) if f not in header.columns]
    if "household_size" in missing and ("relation" in header.columns or "member_name" in header.columns):
        missing.remove("household_size")  # counted from the family-member rows
    if missing:
        message = _("表头缺少本类别必需的列：%(missing)s。") % {
            "missing": "、".join(f"「{label(f)}」" for f in missing)
        }
        if "amount" in missing and header.per_capita:
            message += _(
                "「%(column)s」是人均数，不是每户的金额；请加一列每户的金额（如“月保障金”＝人均补差 × 保障人口）。"
            ) % {"column": header.per_capita}
        raise ImportFileError(message)
    if complete and not any(any(not cells.is_blank(v) for v in row) for row in rows[header.data_start :]):
        raise ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})
    return header


def _parsers(category, header):
    amount_min = getattr(category, "amount_min", None)
    amount_max = getattr(category, "amount_max", None)
    scale = header.scales.get("amount", 1)

    def amount_in_range(raw):
        value = cells.amount(raw, scale)
        if (amount_min is not None and value < amount_min) or (amount_max is not None and value > amount_max):
            raise cells.CellError(
                _("金额 %(value)s 元超出本类别范围（%(low)s–%(high)s 元）")
                % {"value": value, "low": amount_min if amount_min is not None else 0, "high": amount_max}
            )
        return value

    return {
        "name": cells.name,
        "id_number": cells.id_number,
        "group": cells.text,
        "household_size": lambda raw: cells.integer(raw, *HOUSEHOLD_RANGE),
        "amount": amount_in_range,
        "assistance_class": cells.text,
        "bank_account": cells.bank_account,
        "remark": cells.text,
        "approved_on": cells.date,  # checked, not stored: RosterEntry has no date
    }


def _figure(row, index, parse):
    """The non-zero number in ``row[index]``, or None (empty, zero, a placeholder or not a number)."""
    if index is None or index >= len(row) or cells.is_blank(row[index]):
        return None
    try:
        value = parse(row[index])
    except cells.CellError:
        return None
    return value or None


def validate_rows(rows, category=None, *, progress=None, progress_every=2000, division=None):
    """Validate every data row under the detected header.

    ``rows`` is a list of rows or a ``readers.RowStream`` (read once, row by row); either may carry
    ``merged`` (the sheet's merged ranges). ``progress(done, total)`` is called every ``progress_every``
    rows. With ``division`` (a village), a 村（社区） column naming another village is an error. Returns a
    ``Validation``; raises ImportFileError for problems with the file as a whole (no header, missing
    columns, no data).
    """
    if isinstance(rows, list):
        count, iterator = len(rows), iter(rows)
    else:
        count, iterator = rows.count, rows.iterator
    merged = getattr(rows, "merged", None)
    head = list(islice(iterator, HEADER_SCAN_ROWS + 2))
    header = check_header(head, category, complete=len(head) >= count)
    required = set(required_fields(category))
    result = Validation(header=header)
    columns = header.columns
    header_keys = {normalize_header(v) for v in head[header.row_index] if v not in (None, "")}
    name_index, id_index = columns["name"], columns["id_number"]
    name_header = head[header.row_index][name_index] if header.height == 1 else None
    id_header_keys = {normalize_header(head[i][id_index]) for i in range(header.row_index, header.data_start)}
    id_header_keys.discard("")
    parsers = _parsers(category, header)
    stores_bank_accounts = bool(getattr(category, "stores_full_id", False))
    # (field, column index, parser, required, label, max length, stored)
    # Columns with few distinct values (group, class, amount …) are parsed once per value: faster, and
    # 100,000 rows then share a few hundred strings/Decimals instead of holding their own copies.
    plan = [
        (
            f,
            columns[f],
            parsers[f],
            f in required,
            header.label(f),
            MAX_LENGTHS.get(f),
            f != "approved_on",
            {} if f in MEMOIZED else None,
        )
        for f in FIELD_ORDER
        if f in columns and (f != "bank_account" or stores_bank_accounts)  # accounts only where they are kept
    ]
    amount_index, size_index = columns.get("amount"), columns.get("household_size")
    relation_index, member_index = columns.get("relation"), columns.get("member_name")
    village_index, sex_index = columns.get("village"), columns.get("sex")
    current_group = ""  # from a 一组 subheading, when there is no group column
    village_name = getattr(division, "name", "") if getattr(division, "level", "village") == "village" else ""
    if not village_name:
        village_index = None
    continuation = _continuation_rows(merged, name_index)
    fill_covered, fill_tops = _fill_down_plan(merged, {columns[f] for f in FILL_DOWN if f in columns})
    remembered = {}  # (top row, column) → the merged cell's value
    households = relation_index is not None or member_index is not None or bool(continuation)
    scale = header.scales.get("amount", 1)
    parse_amount, parse_size = (lambda raw: cells.amount(raw, scale)), parsers["household_size"]
    household = None  # [entry or None, count the rows as its size] while family-member rows may follow
    derived = 0  # households whose size was counted from their rows
    total_mark = 0  # entries before this index are covered by a total row already
    seen = {}
    start = header.data_start
    total = max(count - start, 0)
    footer_rows = []
    errors = result.errors
    warnings = result.warnings
    entries = result.entries
    is_blank = cells.is_blank
    blank_chars = cells.BLANK_CHARS
    CellError, BlankCell = cells.CellError, cells.BlankCell

    def own_figures(row):
        return _figure(row, amount_index, parse_amount) is not None or _figure(row, size_index, parse_size) is not None

    def relation_of(row):
        return _relation(row[relation_index]) if relation_index is not None and relation_index < len(row) else ""

    def is_member(row, row_index):
        relation = relation_of(row)
        if relation in HEAD_RELATIONS:
            return False
        if not relation:
            name_cell = row[name_index] if name_index < len(row) else None
            if not (is_blank(name_cell) and (row_index in continuation or member_index is not None)):
                return False
        return not own_figures(row)

    def fold(row_number, row):
        """A family-member row: into the household above it, or an error when there is none."""
        if household is None:
            relation = relation_of(row)
            column = header.label("relation") if relation else header.label("name")
            errors.append(
                _error(
                    row_number,
                    column,
                    _("是家庭成员（%(relation)s），上面没有对应的户主行：每户先写户主一行，家庭成员写在户主下面")
                    % {"relation": relation or _("姓名与上一户合并")},
                )
            )
            result.rows_total += 1
            return
        result.members += 1
        entry, counting = household
        if counting and entry is not None:
            entry.household_size += 1

    for offset, row in enumerate(chain(head[start:], iterator)):
        row_number = start + offset + 1
        if progress is not None and offset and offset % progress_every == 0:
            progress(offset, total)
        if fill_tops:
            row_index = row_number - 1
            for column in fill_tops.get(row_index, ()):
                remembered[(row_index, column)] = row[column] if column < len(row) else None
            if row_index in fill_covered:
                row = list(row) + [None] * (max(c for c, _top in fill_covered[row_index]) + 1 - len(row))
                for column, top in fill_covered[row_index]:
                    if is_blank(row[column]):
                        row[column] = remembered.get((top, column))
        width = len(row)
        id_cell = row[id_index] if id_index < width else None
        if is_blank(id_cell):
            if all(is_blank(v) for v in row):
                result.skipped += 1
                continue
            if _is_footer(row):
                result.skipped += 1
                footer_rows.append(row)
                household = None
                total_mark = len(entries)
                continue
            if "group" not in columns:
                heading = _group_heading(row)
                if heading:
                    current_group = heading
                    result.skipped += 1
                    household = None
                    continue
            if households and household is not None and is_member(row, row_number - 1):
                fold(row_number, row)
                continue
            if is_blank(row[name_index] if name_index < width else None):
                amount = _figure(row, amount_index, parse_amount)
                if amount is None and _figure(row, size_index, parse_size) is None:
                    result.skipped += 1  # a 序号 alone, a subheading, the title printed again …
                    continue
                if amount is not None and amount in (
                    sum((e.amount for e in entries[total_mark:] if e.amount is not None), Decimal("0")),
                    sum((e.amount for e in entries if e.amount is not None), Decimal("0")),
                ):
                    result.skipped += 1  # a total row without its 合计 label
                    footer_rows.append(row)
                    household = None
                    total_mark = len(entries)
                    continue
        elif households and is_member(row, row_number - 1):
            fold(row_number, row)
            continue
        name_cell = row[name_index] if name_index < width else None
        if (
            name_header is not None
            and name_cell == name_header  # cheap test first: the header printed again on a new page
            and {normalize_header(v) for v in row if v not in (None, "")} == header_keys
        ):
            result.skipped += 1  # the header printed again on a new page
            continue
        row_errors = len(errors)
        values = {}
        count_rows = False
        for field_name, index, parse, is_required, column_label, limit, stored, memo in plan:
            raw = row[index] if index < width else None
            if raw is None or raw == "" or (type(raw) is str and not raw.strip(blank_chars)):
                if field_name == "household_size" and households:
                    count_rows = True
                elif is_required:
                    errors.append(_error(row_number, column_label, _("必填，不能为空")))
                continue
            value = memo.get((type(raw), raw), _MISSING) if memo is not None else _MISSING
            if value is _MISSING:
                try:
                    value = parse(raw)
                except BlankCell as exc:  # "—", "/", "无" where a number belongs: an empty cell
                    if field_name == "household_size" and households:
                        count_rows = True
                    elif is_required:
                        errors.append(
                            _error(row_number, column_label, _("必填，不能为空（写的是“%(value)s”）") % {"value": exc})
                        )
                    continue
                except CellError as exc:
                    errors.append(_error(row_number, column_label, exc))
                    continue
                if memo is not None and len(memo) < MEMO_LIMIT:
                    memo[(type(raw), raw)] = value
            if limit and len(value) > limit:
                errors.append(_error(row_number, column_label, _("太长（最多 %(n)s 个字）") % {"n": limit}))
                continue
            if stored:
                values[field_name] = value
        if households and "household_size" not in values and size_index is None:
            count_rows = True
        id_number = values.get("id_number")
        if id_number is not None:
            first = seen.get(id_number)
            if first is not None:
                errors.append(
                    _error(
                        row_number, header.label("id_number"), _("与第 %(row)s 行重复（同一身份证号）") % {"row": first}
                    )
                )
            else:
                seen[id_number] = row_number
        elif (
            len(errors) > row_errors
            and not _looks_like_id(id_cell)
            and (normalize_header(id_cell) in id_header_keys or _is_footer(row))
        ):
            del errors[row_errors:]  # the header printed again, or a 合计 row with 共 N 户 in the ID column
            result.skipped += 1
            if _is_footer(row):
                footer_rows.append(row)
                household = None
                total_mark = len(entries)
            continue
        if (
            village_index is not None
            and village_index < width
            and not is_blank(row[village_index])
            and not _same_village(row[village_index], village_name)
        ):
            errors.append(
                _error(
                    row_number,
                    header.label("village"),
                    _("是“%(value)s”，不是本次导入的%(village)s：一次只能导入一个村的名单")
                    % {"value": cells.text(row[village_index]), "village": village_name},
                )
            )
        result.rows_total += 1
        if len(errors) == row_errors:
            if count_rows:
                values["household_size"] = 1
                derived += 1
            if current_group:
                values["group"] = current_group
            entry = Entry(row=row_number, **values)
            entries.append(entry)
            if (type(id_cell) is not str or len(id_cell) != 18) and cells.is_old_id(id_cell):
                warnings.append(
                    _warning(
                        row_number,
                        "old_id",
                        _("第 %(row)s 行「%(column)s」是 15 位旧号码，已转换为 18 位（%(id)s），请与户口簿核对")
                        % {"row": row_number, "column": header.label("id_number"), "id": mask_id(id_number)},
                    )
                )
            if sex_index is not None and sex_index < width:
                mismatch = _sex_mismatch(row[sex_index], id_number)
                if mismatch:
                    warnings.append(
                        _warning(
                            row_number,
                            "sex",
                            _(
                                "第 %(row)s 行 %(name)s 的「%(column)s」是“%(written)s”，"
                                "身份证号第 17 位表示“%(expected)s”，请核对身份证号和性别"
                            )
                            % {
                                "row": row_number,
                                "name": entry.name,
                                "column": header.label("sex"),
                                "written": mismatch[0],
                                "expected": mismatch[1],
                            },
                        )
                    )
            if entry.amount is not None and not entry.amount:
                warnings.append(
                    _warning(
                        row_number,
                        "zero_amount",
                        _("第 %(row)s 行 %(name)s 的「%(column)s」为 0")
                        % {
                            "row": row_number,
                            "name": entry.name,
                            "column": header.label("amount"),
                        },
                    )
                )
            if households:
                household = [entry, count_rows]
        elif households:
            household = [None, False]
    if result.rows_total == 0:
        raise ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})
    if progress is not None:
        progress(total, total)
    if result.members:
        warnings.append(
            _warning(
                None,
                "members",
                _("%(n)s 行是家庭成员（与户主关系不是“户主”），已并入各自户主那一行，不单独导入")
                % {"n": result.members},
            )
        )
    if derived:
        warnings.append(
            _warning(
                None,
                "household_size",
                _("%(n)s 户的「保障人数」没有填写，按该户在表中的行数（户主和家庭成员）计算") % {"n": derived},
            )
        )
    amount_memo = next((memo for f, *_rest, memo in plan if f == "amount"), None)
    rounded = sorted(
        raw for (kind, raw), value in (amount_memo or {}).items() if kind is float and Decimal(repr(raw)) != value
    )
    if rounded and header.scales.get("amount", 1) == 1:
        warnings.append(
            _warning(
                None,
                "rounded",
                _("「%(column)s」有带两位以上小数的数字（如 %(examples)s，多为公式结果），已按四舍五入到分导入")
                % {"column": header.label("amount"), "examples": "、".join(f"{r:.10g}" for r in rounded[:3])},
            )
        )
    result.meta = {
        "header_row": header.row_index + 1,
        "header_height": header.height,
        "columns": {f: header.label(f) for f in columns},
        "report_date": _report_date([*head[: header.row_index], *footer_rows]),
    }
    if header.scales.get("amount", 1) != 1:
        result.meta["amount_unit"] = "万元"
    return result
