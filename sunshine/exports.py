"""One exporter base for every download of a list: declared once, written as xlsx or csv.

An exporter (like pretix's ``ListExporter``) declares its translated headers and yields its rows once;
two writers render the same rows: ``write_xlsx`` (openpyxl, write-only) and ``write_csv`` (UTF-8 with a
BOM, so Excel on Windows reads the Chinese text instead of guessing GBK). Several sheets are several
``Sheet``s: xlsx writes one worksheet each, csv writes them one after another under their titles.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``,
``@``, tab or carriage return could run as a formula when an inspector opens the file, e.g. a roster
name typed as ``=HYPERLINK("http://…","点击")``. Such text is written as text: in xlsx as a string cell
(never a formula) with Excel's quote prefix, so it stays text even when someone edits the cell; in csv
with a leading ``'``. Only text is touched: numbers (``-5`` yuan) stay numbers.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
CONTENT_TYPES = {"xlsx": XLSX, "csv": CSV}
# Excel refuses these in sheet names and allows at most 31 characters.
INVALID_SHEET_CHARS = frozenset("\\/?*[]:")
SHEET_NAME_LENGTH = 31


def is_formula_like(value):
    """True for text a spreadsheet could take as a formula (numbers never are: -5 is a number)."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def plain(value):
    """A cell value both writers understand: lazy translations become text, aware times local time."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


@dataclass
class Sheet:
    """One table of an export: a title, optional lines above the headers (e.g. the filters), headers, rows."""

    title: str
    headers: Sequence
    rows: Iterable  # of sequences of cells; iterated once
    preamble: Sequence = field(default_factory=list)  # rows written above the headers


def sheet_name(title):
    name = "".join(c for c in str(title) if c not in INVALID_SHEET_CHARS).strip()
    return name[:SHEET_NAME_LENGTH] or "Sheet"


def _xlsx_cell(sheet, value):
    value = plain(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters make openpyxl refuse the whole file
        if is_formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # openpyxl would store text starting with "=" as a formula
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
            return cell
    return value


def write_xlsx(sheets):
    """The sheets as one .xlsx workbook (bytes), one worksheet each."""
    workbook = Workbook(write_only=True)
    for table in sheets:
        worksheet = workbook.create_sheet(sheet_name(table.title))
        for row in (*table.preamble, table.headers):
            worksheet.append([_xlsx_cell(worksheet, value) for value in row])
        for row in table.rows:
            worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_text(value):
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)  # a number, even a negative one, is never neutralised
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def write_csv(sheets):
    """The sheets as UTF-8 csv with a BOM; several sheets follow each other under a title line."""
    sheets = list(sheets)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for position, table in enumerate(sheets):
        if len(sheets) > 1:
            if position:
                writer.writerow([])
            writer.writerow([_csv_text(table.title)])
        for row in (*table.preamble, table.headers):
            writer.writerow([_csv_text(value) for value in row])
        for row in table.rows:
            writer.writerow([_csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


WRITERS = {"xlsx": write_xlsx, "csv": write_csv}


def render_counted(exporter, fmt):
    """``exporter`` written as ``fmt``, and how many rows it holds (headers and preamble lines not counted):
    a background export records the count without iterating the rows twice."""
    counted = 0

    def counting(rows):
        nonlocal counted
        for row in rows:
            counted += 1
            yield row

    data = WRITERS[fmt](replace(sheet, rows=counting(sheet.rows)) for sheet in exporter.sheets())
    return data, counted


def content_disposition(filename, fallback):
    """``attachment`` with an ASCII ``filename`` for old clients and the real (Chinese) one as ``filename*``."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in fallback)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(data, *, fmt, filename, fallback):
    """A download response: ``filename`` (may be Chinese) and ``fallback`` (ASCII) get today's date and extension."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition(f"{filename}-{stamp}.{fmt}", f"{fallback}-{stamp}.{fmt}")
    return response


class ListExporter:
    """Base of every list export. Subclasses set ``title`` (sheet and file name, translated), ``identifier``
    (ASCII file name for old clients) and implement ``headers()`` and ``rows()`` (a generator: rows are
    produced once per file). Several sheets: override ``sheets()``."""

    title = ""
    identifier = "export"

    def headers(self):
        raise NotImplementedError

    def rows(self):
        raise NotImplementedError

    def preamble(self):
        return []

    def filename(self):
        return str(self.title)

    def sheets(self):
        yield Sheet(str(self.title), [str(h) for h in self.headers()], self.rows(), self.preamble())

    def render(self, fmt="xlsx"):
        return WRITERS[fmt](self.sheets())

    def xlsx(self):
        return self.render("xlsx")

    def csv(self):
        return self.render("csv")

    def response(self, fmt="xlsx"):
        return attachment(self.render(fmt), fmt=fmt, filename=self.filename(), fallback=self.identifier)
