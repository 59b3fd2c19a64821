"""Rows in, typed entries or row-numbered errors out. Pure functions: no database.

A roster entry is one household (DESIGN §4/§9: RosterEntry carries the household's size and amount).
``validate_rows`` reads the rows under the detected header one at a time: ``rows.RowClassifier`` says
what each row is (blank, footer, total, note, group heading, family member, the header printed again,
or a household), ``fields.FieldParser`` parses a household's cells into an ``Entry`` or row-numbered
errors, and ``warnings`` says what the clerk should check (per household and for the whole file).

Family members: when the file lists them (a 与户主关系 column, a 家庭成员 column, or the name cell
merged down from the household's first row), a row whose relation is not 户主/本人 (or whose name cell is
merged from the row above) and which carries no amount and no head count of its own is folded into the
household above it: it is not an entry, and when the household's 保障人数 cell is empty the household
counts its rows. A member row with no household above it is an error. A row whose relation is not 户主
but which has its own amount or head count is a household of its own (单人保: the person assisted is not
the head of the household).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, islice

from django.utils.translation import gettext as _

from . import cells, rows
from .errors import ImportFileError
from .fields import HOUSEHOLD_RANGE, FieldParser, error, name_of, named, required_fields
from .footer import FooterTotals
from .groups import GroupNames
from .headers import HEADER_SCAN_ROWS, Header, detect_header, label
from .warnings import entry_warnings, group_warnings, summary_warnings

# HOUSEHOLD_RANGE and required_fields are read from here by the roster templates.
__all__ = ["HOUSEHOLD_RANGE", "Entry", "Validation", "check_header", "required_fields", "validate_rows"]


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
        raise _no_data(header)
    return header


def _no_data(header):
    return ImportFileError(_("表头下面没有数据行（表头在第 %(row)s 行）。") % {"row": header.row_index + 1})


def validate_rows(rows, category=None, *, progress=None, progress_every=2000, division=None, groups=()):
    """Validate every data row under the detected header.

    ``rows`` is a list of rows or a ``readers.RowStream`` (read once, row by row); either may carry
    ``merged`` (the sheet's merged ranges). ``progress(done, total)`` is called every ``progress_every``
    rows. With ``division`` (a village), a 村（社区） column naming another village is an error. ``groups``: the
    village's registered group names; each row's group is written as the registered name it stands for. Returns a
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
    roster = _RosterRows(header, head, merged, category, division, GroupNames(groups))
    total = max(count - header.data_start, 0)
    roster.read(chain(head[header.data_start :], iterator), progress=progress, every=progress_every, total=total)
    if roster.result.rows_total == 0:
        raise _no_data(header)
    if progress is not None:
        progress(total, total)
    return roster.finish(head)


class _RosterRows:
    """The state of one pass over a sheet: the household that family members fold into, the group named by
    the last subheading, where the last total row was, the footer rows (for the report date)."""

    def __init__(self, header, head, merged, category, division, group_names):
        self.header = header
        self.result = Validation(header=header)
        self.classifier = rows.RowClassifier(header, head, merged)
        self.households = self.classifier.households
        self.fields = FieldParser(category, header, households=self.households, division=division)
        columns = header.columns
        fill = rows.MergedFill(merged, {columns[f] for f in rows.FILL_DOWN if f in columns})
        self.fill = fill if fill.tops else None
        self.id_index = columns["id_number"]
        self.household = None  # [entry or None, count the rows as its size] while family-member rows may follow
        self.current_group = ""  # from a 一组 subheading, when there is no group column
        self.derived = 0  # households whose size was counted from their rows
        self.total_mark = 0  # entries before this index are covered by a total row already
        self.seen = {}  # ID number → the row it first appeared on
        self.footer_rows = []
        self.totals = FooterTotals(self.classifier)
        self.group_names = group_names
        self.groups_renamed = {}  # (written, registered) → rows
        self.groups_unknown = {}  # written → rows
        # read once per row below: plain attributes, not chains
        self._errors, self._entries, self._warnings = self.result.errors, self.result.entries, self.result.warnings
        self._parse = self.fields.parse
        self._checks_village = self.fields.village_column is not None

    def read(self, data_rows, *, progress=None, every=2000, total=0):
        """Read the rows under the header, one at a time; ``progress(done, total)`` every ``every`` rows."""
        start, fill, id_index = self.header.data_start, self.fill, self.id_index
        classify, sums_households = self.classifier.classify, self._is_total  # bound once: this loop is hot
        for offset, row in enumerate(data_rows):
            if progress is not None and offset and offset % every == 0:
                progress(offset, total)
            row_index = start + offset  # 0-based; the clerk's row number is one more
            if fill is not None:
                row = fill.apply(row_index, row)
            id_cell = row[id_index] if id_index < len(row) else None
            kind = classify(row, row_index, id_cell, self.household is not None, sums_households)
            if kind == rows.DATA:
                self._household_row(row_index + 1, row, id_cell)
            elif kind == rows.MEMBER:
                self._fold(row_index + 1, row)
            else:
                self._skip(kind, row, row_index + 1)

    def _is_total(self, amount):
        """True when ``amount`` sums the households since the last total, or all of them."""
        entries = self.result.entries
        return amount in (
            sum((e.amount for e in entries[self.total_mark :] if e.amount is not None), Decimal("0")),
            sum((e.amount for e in entries if e.amount is not None), Decimal("0")),
        )

    def _skip(self, kind, row, row_number):
        self.result.skipped += 1
        if kind == rows.FOOTER:
            self._warnings.extend(self.totals.check(row, row_number, self.result.entries, self.total_mark, self.header))
        if kind in rows.SECTION_ENDS:
            self.totals.close_section()
            self.footer_rows.append(row)
            self.household = None
            self.total_mark = len(self.result.entries)
        elif kind == rows.HEADING:
            self.current_group = rows.group_heading(row)
            self.household = None

    def _fold(self, row_number, row):
        """A family-member row: into the household above it, or an error when there is none."""
        if self.household is None:
            relation = self.classifier.relation_of(row)
            column = self.header.label("relation") if relation else self.header.label("name")
            self.result.errors.append(
                error(
                    row_number,
                    column,
                    _("是家庭成员（%(relation)s），上面没有对应的户主行：每户先写户主一行，家庭成员写在户主下面")
                    % {"relation": relation or _("姓名与上一户合并")},
                )
            )
            self.result.rows_total += 1
            return
        self.result.members += 1
        entry, counting = self.household
        if counting and entry is not None:
            entry.household_size += 1

    def _household_row(self, row_number, row, id_cell):
        errors = self._errors
        mark = len(errors)
        values, count_rows = self._parse(row, row_number, errors)
        id_number = values.get("id_number")
        if id_number is not None:
            first = self.seen.get(id_number)
            if first is not None:
                message = _("与第 %(row)s 行重复（同一身份证号）") % {"row": first}
                errors.append(error(row_number, self.header.label("id_number"), message))
            else:
                self.seen[id_number] = row_number
        elif len(errors) > mark:
            kind = self.classifier.misread(row, id_cell)
            if kind is not None:
                del errors[mark:]
                self._skip(kind, row, row_number)
                return
        if self._checks_village:
            village_error = self.fields.village_error(row, row_number)
            if village_error is not None:
                errors.append(village_error)
        if len(errors) > mark:  # every error names the person, so the clerk finds the row by name too
            errors[mark:] = named(errors[mark:], name_of(row, self.header.columns["name"]))
        self.result.rows_total += 1
        if len(errors) == mark:
            self._accept(row_number, row, id_cell, values, count_rows)
            return
        self.totals.add_refused(values)  # its figures still count when a 合计 row is checked against the rows
        if self.households:
            self.household = [None, False]

    def _accept(self, row_number, row, id_cell, values, count_rows):
        if count_rows:
            values["household_size"] = 1
            self.derived += 1
        if self.current_group:
            values["group"] = self.current_group
        if self.group_names and values.get("group"):
            values["group"] = self._registered_group(values["group"], row_number)
        entry = Entry(row=row_number, **values)
        self._entries.append(entry)
        self._warnings.extend(entry_warnings(entry, row, id_cell, self.header))
        if self.households:
            self.household = [entry, count_rows]

    def _registered_group(self, written, row_number):
        name, known = self.group_names.normalize(written)
        if not known:
            self.groups_unknown.setdefault(written, []).append(row_number)
        elif name != written:
            self.groups_renamed.setdefault((written, name), []).append(row_number)
        return name

    def finish(self, head):
        result, header = self.result, self.header
        result.warnings.extend(
            summary_warnings(
                members=result.members, derived=self.derived, amount_memo=self.fields.memo("amount"), header=header
            )
        )
        result.warnings.extend(
            group_warnings(
                renamed=self.groups_renamed,
                unknown=self.groups_unknown,
                registered=self.group_names.registered,
                column=header.label("group") if "group" in header.columns else "",
            )
        )
        result.meta = {
            "header_row": header.row_index + 1,
            "header_height": header.height,
            "columns": {f: header.label(f) for f in header.columns},
            "report_date": rows.report_date([*head[: header.row_index], *self.footer_rows]),
        }
        if header.scales.get("amount", 1) != 1:
            result.meta["amount_unit"] = "万元"
        return result
