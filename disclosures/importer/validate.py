"""Rows in, typed entries or row-numbered errors out. Pure functions: no database."""

import re
from dataclasses import dataclass, field
from itertools import chain, islice

from django.utils.translation import gettext as _

from . import cells
from .errors import ImportFileError
from .headers import HEADER_SCAN_ROWS, Header, detect_header, label, normalize_header

FOOTER_MARKERS = (
    "合计",
    "总计",
    "小计",
    "共计",
    "制表人",
    "制表",
    "审核人",
    "审核",
    "填报日期",
    "填表日期",
    "填报人",
    "填表人",
    "负责人",
    "单位负责人",
    "经办人",
    "审批人",
    "联系电话",
    "注:",
    "说明:",
)
HOUSEHOLD_RANGE = (1, 30)
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
    rows_total: int = 0  # data rows looked at (blank rows and footers excluded)
    skipped: int = 0
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


def _is_footer(row, id_index):
    if id_index < len(row) and not cells.is_blank(row[id_index]):
        return False
    for value in row:
        if isinstance(value, str) and value.strip():
            compact = cells.text(value).replace(" ", "")
            if compact.startswith(FOOTER_MARKERS):
                return True
    return False


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
    missing = [label(f) for f in required_fields(category) if f not in header.columns]
    if missing:
        raise ImportFileError(
            _("表头缺少本类别必需的列：%(missing)s。") % {"missing": "、".join(f"「{m}」" for m in missing)}
        )
    if complete and not any(any(not cells.is_blank(v) for v in row) for row in rows[header.data_start :]):
        raise ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})
    return header


def _parsers(category):
    amount_min = getattr(category, "amount_min", None)
    amount_max = getattr(category, "amount_max", None)

    def amount_in_range(raw):
        value = cells.amount(raw)
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


def validate_rows(rows, category=None, *, progress=None, progress_every=2000):
    """Validate every data row under the detected header.

    ``rows`` is a list of rows or a ``readers.RowStream`` (read once, row by row). ``progress(done, total)``
    is called every ``progress_every`` rows. Returns a ``Validation``; raises ImportFileError for problems
    with the file as a whole (no header, missing columns, no data).
    """
    if isinstance(rows, list):
        count, iterator = len(rows), iter(rows)
    else:
        count, iterator = rows.count, rows.iterator
    head = list(islice(iterator, HEADER_SCAN_ROWS + 2))
    header = check_header(head, category, complete=len(head) >= count)
    required = set(required_fields(category))
    result = Validation(header=header)
    columns = header.columns
    header_keys = {normalize_header(v) for v in head[header.row_index] if v not in (None, "")}
    name_index, id_index = columns["name"], columns["id_number"]
    name_header = head[header.row_index][name_index] if header.height == 1 else None
    parsers = _parsers(category)
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
        if f in columns
    ]
    seen = {}
    start = header.data_start
    total = max(count - start, 0)
    footer_rows = []
    errors = result.errors
    entries = result.entries
    is_blank = cells.is_blank
    blank_chars = cells.BLANK_CHARS
    CellError = cells.CellError
    for offset, row in enumerate(chain(head[start:], iterator)):
        row_number = start + offset + 1
        if progress is not None and offset and offset % progress_every == 0:
            progress(offset, total)
        width = len(row)
        id_cell = row[id_index] if id_index < width else None
        if is_blank(id_cell):
            if all(is_blank(v) for v in row):
                result.skipped += 1
                continue
            if _is_footer(row, id_index):
                result.skipped += 1
                footer_rows.append(row)
                continue
        name_cell = row[name_index] if name_index < width else None
        if (
            name_header is not None
            and name_cell == name_header  # cheap test first: the header printed again on a new page
            and {normalize_header(v) for v in row if v not in (None, "")} == header_keys
        ):
            result.skipped += 1  # the header printed again on a new page
            continue
        result.rows_total += 1
        row_errors = len(errors)
        values = {}
        for field_name, index, parse, is_required, column_label, limit, stored, memo in plan:
            raw = row[index] if index < width else None
            if raw is None or raw == "" or (type(raw) is str and not raw.strip(blank_chars)):
                if is_required:
                    errors.append(_error(row_number, column_label, _("必填，不能为空")))
                continue
            value = memo.get((type(raw), raw), _MISSING) if memo is not None else _MISSING
            if value is _MISSING:
                try:
                    value = parse(raw)
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
        if len(errors) == row_errors:
            entries.append(Entry(row=row_number, **values))
    if result.rows_total == 0:
        raise ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})
    if progress is not None:
        progress(total, total)
    result.meta = {
        "header_row": header.row_index + 1,
        "header_height": header.height,
        "columns": {f: header.label(f) for f in columns},
        "report_date": _report_date([*head[: header.row_index], *footer_rows]),
    }
    return result
