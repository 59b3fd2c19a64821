"""One household row's fields: each column parsed by its own parser, errors numbered by row and column.

``FieldParser`` is built once per file (which columns exist, which the category requires, the amount's
range and unit) and then parses row after row. Columns with few distinct values (group, class, amount,
household size, remark, date) are parsed once per distinct value: faster, and 100,000 rows then share a
few hundred strings/Decimals instead of holding their own copies.
"""

import re
import unicodedata

from django.utils.translation import gettext as _

from disclosures import validators

from . import cells
from .cells import BLANK_CHARS

HOUSEHOLD_RANGE = validators.HOUSEHOLD_RANGE
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
MAX_LENGTHS = {"name": 64, "group": 64, "assistance_class": 32, "remark": 200}
NOT_STORED = {"approved_on"}  # checked, not stored: RosterEntry has no date
_MISSING = object()
_VILLAGE_SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")
_SEXES = {"男": "男", "男性": "男", "m": "男", "male": "男", "女": "女", "女性": "女", "f": "女", "female": "女"}


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


def error(row, column, message, name=""):
    """One row-numbered error. ``name`` (the row's 姓名 as written) lets the clerk find the person in the file."""
    who = f" {name} " if name else " "
    return {
        "row": row,
        "name": name,
        "column": column,
        "message": str(message),
        "text": f"第 {row} 行{who}的「{column}」{message}" if name else f"第 {row} 行「{column}」{message}",
    }


def name_of(row, index):
    """The name written in ``row`` (for messages), or "" when the cell is empty or not a name."""
    raw = row[index] if index < len(row) else None
    if cells.is_blank(raw):
        return ""
    try:
        return cells.name(raw)[: MAX_LENGTHS["name"]]
    except cells.CellError:
        return ""


def named(errors, name):
    """``errors`` (dicts from ``error``) again with ``name``: the validator learns it after the row's fields."""
    return [error(found["row"], found["column"], found["message"], name) for found in errors]


def household_size(raw):
    """A whole number (any size parses), then the shared rule of ``disclosures.validators``."""
    value = cells.integer(raw, 0, 2**31)
    message = validators.household_size_message(value)
    if message:
        raise cells.CellError(message)
    return value


def amount_parser(category, scale):
    """The amount column's parser: the unit's scale applied, then the category's range checked."""

    def amount_in_range(raw):
        value = cells.amount(raw, scale)
        message = validators.amount_message(value, category)
        if message:
            raise cells.CellError(message)
        return value

    return amount_in_range


def parsers(category, header):
    """Field → parser of one raw cell (raises ``cells.CellError`` with the clerk's message)."""
    return {
        "name": cells.name,
        "id_number": cells.id_number,
        "group": cells.text,
        "household_size": household_size,
        "amount": amount_parser(category, header.scales.get("amount", 1)),
        "assistance_class": cells.text,
        "bank_account": cells.bank_account,
        "remark": cells.text,
        "approved_on": cells.date,
    }


def sex_mismatch(cell, id_number):
    """``(written, expected)`` when a 性别 cell contradicts the ID (17th digit odd = 男), else None."""
    written = cells.text(cell).replace(" ", "")
    sex = _SEXES.get(written.lower())
    if sex is None or not id_number or len(id_number) != 18 or not id_number[16].isdigit():
        return None
    expected = "男" if int(id_number[16]) % 2 else "女"
    return (written, expected) if sex != expected else None


def _village_core(value):
    core = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    for suffix in _VILLAGE_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            return core[: -len(suffix)]
    return core


def same_village(value, division_name):
    """False only when ``value`` names a village (…村, …社区, …居委会) that is not ``division_name``."""
    written = cells.text(value).replace(" ", "")
    if not any(word in written for word in ("村", "社区", "居委")):
        return True  # 一组, 3 … : not a village name, nothing to compare
    written, ours = _village_core(written), _village_core(division_name)
    return not written or written in ours or ours in written


class FieldParser:
    """Parses the fields of household rows under one header.

    ``households``: the file lists family members, so an empty 保障人数 means "count the household's rows"
    instead of "missing". With ``division`` (a village), a 村（社区） column naming another village is an
    error.
    """

    def __init__(self, category, header, *, households=False, division=None):
        columns = header.columns
        required = set(required_fields(category))
        parse = parsers(category, header)
        keeps_accounts = bool(getattr(category, "stores_full_id", False))  # accounts only where they are kept
        # (field, column index, parser, required, label, max length, stored, memo): a tuple per field,
        # unpacked in the row loop, because this runs for every cell of every row.
        self.plan = [
            (
                f,
                columns[f],
                parse[f],
                f in required,
                header.label(f),
                MAX_LENGTHS.get(f),
                f not in NOT_STORED,
                {} if f in MEMOIZED else None,
            )
            for f in FIELD_ORDER
            if f in columns and (f != "bank_account" or keeps_accounts)
        ]
        self.households = households
        self.size_column = columns.get("household_size")
        self.village_label = header.label("village")
        village_name = getattr(division, "name", "") if getattr(division, "level", "village") == "village" else ""
        self.village_name = village_name
        self.village_column = columns.get("village") if village_name else None

    def memo(self, field_name):
        """The parsed values of ``field_name`` by raw text or (type, raw number), or None when it is not memoized."""
        return next((memo for f, *_rest, memo in self.plan if f == field_name), None)

    def parse(self, row, row_number, errors):
        """``(values, count_rows)``: the stored fields of ``row`` that parsed, and whether the household's size
        is to be counted from its rows. Each field that does not parse appends one error to ``errors``."""
        width = len(row)
        values = {}
        count_rows = False
        households = self.households
        for field_name, index, parse, is_required, column_label, limit, stored, memo in self.plan:
            raw = row[index] if index < width else None
            if raw is None or raw == "" or (type(raw) is str and not raw.strip(BLANK_CHARS)):
                if field_name == "household_size" and households:
                    count_rows = True
                elif is_required:
                    errors.append(error(row_number, column_label, _("必填，不能为空")))
                continue
            if memo is not None:
                key = raw if type(raw) is str else (type(raw), raw)  # 1 == 1.0 == True: numbers keyed by type
                value = memo.get(key, _MISSING)
            else:
                value = _MISSING
            if value is _MISSING:
                try:
                    value = parse(raw)
                except cells.BlankCell as exc:  # "—", "/", "无" where a number belongs: an empty cell
                    if field_name == "household_size" and households:
                        count_rows = True
                    elif is_required:
                        errors.append(
                            error(row_number, column_label, _("必填，不能为空（写的是“%(value)s”）") % {"value": exc})
                        )
                    continue
                except cells.CellError as exc:
                    errors.append(error(row_number, column_label, exc))
                    continue
                if memo is not None and len(memo) < MEMO_LIMIT:
                    memo[key] = value
            if limit and len(value) > limit:
                errors.append(error(row_number, column_label, _("太长（最多 %(n)s 个字）") % {"n": limit}))
                continue
            if stored:
                values[field_name] = value
        if households and "household_size" not in values and self.size_column is None:
            count_rows = True
        return values, count_rows

    def village_error(self, row, row_number):
        """The error for a 村（社区） cell naming another village than the import's, else None."""
        index = self.village_column
        if index is None or index >= len(row) or cells.is_blank(row[index]):
            return None
        if same_village(row[index], self.village_name):
            return None
        return error(
            row_number,
            self.village_label,
            _("是“%(value)s”，不是本次导入的%(village)s：一次只能导入一个村的名单")
            % {"value": cells.text(row[index]), "village": self.village_name},
        )
