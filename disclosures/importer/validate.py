"""Rows in, typed entries or row-numbered errors out. Pure functions: no database."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from . import cells
from .errors import ImportFileError
from .headers import Header, detect_header, label, normalize_header

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


def check_header(rows, category=None):
    """The header, or ImportFileError when it is missing or lacks a column the category needs."""
    header = detect_header(rows, category)
    missing = [label(f) for f in required_fields(category) if f not in header.columns]
    if missing:
        raise ImportFileError(
            _("表头缺少本类别必需的列：%(missing)s。") % {"missing": "、".join(f"「{m}」" for m in missing)}
        )
    if not any(any(not cells.is_blank(v) for v in row) for row in rows[header.data_start :]):
        raise ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})
    return header


def validate_rows(rows, category=None, *, progress=None, progress_every=2000):
    """Validate every data row under the detected header.

    ``progress(done, total)`` is called every ``progress_every`` rows. Returns a ``Validation``;
    raises ImportFileError for problems with the file as a whole (no header, missing columns, no data).
    """
    header = check_header(rows, category)
    required = required_fields(category)
    result = Validation(header=header)
    columns = header.columns
    header_keys = {normalize_header(v) for v in rows[header.row_index] if v not in (None, "")}
    id_index = columns["id_number"]
    amount_min = getattr(category, "amount_min", None)
    amount_max = getattr(category, "amount_max", None)
    seen = {}
    data = rows[header.data_start :]
    total = len(data)
    footer_rows = []
    errors = result.errors
    col = {f: header.label(f) for f in columns}
    for offset, row in enumerate(data):
        row_number = header.data_start + offset + 1
        if progress is not None and offset and offset % progress_every == 0:
            progress(offset, total)
        if all(cells.is_blank(v) for v in row):
            result.skipped += 1
            continue
        if _is_footer(row, id_index):
            result.skipped += 1
            footer_rows.append(row)
            continue
        if {normalize_header(v) for v in row if v not in (None, "")} == header_keys:
            result.skipped += 1  # the header printed again on a new page
            continue
        result.rows_total += 1
        row_errors = len(errors)

        def get(field_name, _row=row):
            index = columns.get(field_name)
            if index is None or index >= len(_row):
                return None
            value = _row[index]
            return None if cells.is_blank(value) else value

        values = {}
        for field_name in ("name", "id_number", "group", "household_size", "amount", "assistance_class"):
            if field_name not in columns:
                continue
            raw = get(field_name)
            if raw is None:
                if field_name in required:
                    errors.append(_error(row_number, col[field_name], _("必填，不能为空")))
                continue
            try:
                if field_name == "name":
                    value = cells.name(raw)
                elif field_name == "id_number":
                    value = cells.id_number(raw)
                elif field_name == "household_size":
                    value = cells.integer(raw, *HOUSEHOLD_RANGE)
                elif field_name == "amount":
                    value = cells.amount(raw)
                    if amount_min is not None and value < amount_min or amount_max is not None and value > amount_max:
                        raise cells.CellError(
                            _("金额 %(value)s 元超出本类别范围（%(low)s–%(high)s 元）")
                            % {"value": value, "low": amount_min if amount_min is not None else 0, "high": amount_max}
                        )
                else:
                    value = cells.text(raw)
            except cells.CellError as exc:
                errors.append(_error(row_number, col[field_name], exc))
                continue
            limit = MAX_LENGTHS.get(field_name)
            if limit and len(value) > limit:
                errors.append(_error(row_number, col[field_name], _("太长（最多 %(n)s 个字）") % {"n": limit}))
                continue
            values[field_name] = value
        for field_name in ("bank_account", "remark", "approved_on"):
            raw = get(field_name) if field_name in columns else None
            if raw is None:
                continue
            try:
                if field_name == "bank_account":
                    values[field_name] = cells.bank_account(raw)
                elif field_name == "approved_on":
                    cells.date(raw)  # checked, not stored: RosterEntry has no date
                else:
                    value = cells.text(raw)
                    if len(value) > MAX_LENGTHS["remark"]:
                        raise cells.CellError(_("太长（最多 %(n)s 个字）") % {"n": MAX_LENGTHS["remark"]})
                    values[field_name] = value
            except cells.CellError as exc:
                errors.append(_error(row_number, col[field_name], exc))
        id_number = values.get("id_number")
        if id_number is not None:
            first = seen.get(id_number)
            if first is not None:
                errors.append(
                    _error(row_number, col["id_number"], _("与第 %(row)s 行重复（同一身份证号）") % {"row": first})
                )
            else:
                seen[id_number] = row_number
        if len(errors) == row_errors:
            result.entries.append(Entry(row=row_number, **values))
    if result.rows_total == 0:
        raise ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})
    if progress is not None:
        progress(total, total)
    result.meta = {
        "header_row": header.row_index + 1,
        "header_height": header.height,
        "columns": {f: header.label(f) for f in columns},
        "report_date": _report_date([*rows[: header.row_index], *footer_rows]),
    }
    return result
