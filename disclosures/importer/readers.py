"""Open an uploaded roster file by its content (not its name) and return rows of Python values.

Spreadsheets go through python-calamine (xlsx, xls, ods); csv is decoded as UTF-8 (with or
without BOM), UTF-16 with BOM (Excel's "Unicode 文本"), then GB18030 (a superset of GBK), then
whatever charset-normalizer proposes. Government systems often save something else under a
``.xls`` name: an HTML table, an Excel 2003 XML spreadsheet (SpreadsheetML) or tab-separated text;
those are read too. Hidden sheets and empty sheets are never offered. Formula cells yield the value
the spreadsheet stored. Rows carry the sheet's merged ranges (``merged``: ``((top, left), (bottom,
right))``, 0-based) where the format has them.
"""

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import islice
from xml.etree import ElementTree

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .cells import is_blank, unwrap_text_formula
from .errors import ImportFileError

UNPACK_FACTOR = 20  # an xlsx/ods may unpack to this many times the upload limit, no more (zip bombs)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv", ".txt")
PASSWORD_MESSAGE = gettext_lazy(
    "文件设置了密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后重新上传。"
)
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8（带 BOM）",
    "gb18030": "GBK/GB18030",
    "utf-16": "UTF-16（Unicode 文本）",
}
HTML_START = (b"<html", b"<!doctype", b"<table", b"<head", b"<meta", b"<body", b"<style", b"<div", b"<!--")
SPREADSHEET_ML = b"urn:schemas-microsoft-com:office:spreadsheet"
MAX_SPAN = (5000, 200)  # rowspan, colspan: more than any roster needs


class Rows(list):
    """A sheet's rows as a list, with the sheet's merged ranges."""

    merged = ()


@dataclass
class Book:
    """An opened file: its format, visible non-empty sheets and a way to read one of them."""

    kind: str  # xlsx, xls, ods, csv, html, xml (Excel 2003 XML), text (tab-separated text named .xls)
    sheets: list = field(default_factory=list)
    encoding: str = ""
    _workbook: object = None
    _csv_rows: list = None
    _tables: dict = None  # sheet name → (rows, merged) for formats read into memory (html, xml)

    def rows(self, sheet_name=""):
        """All rows of ``sheet_name`` (the first visible sheet when empty) from cell A1, as lists (``Rows``,
        with ``merged``)."""
        stream = self.stream(sheet_name)
        rows = Rows(stream.iterator)
        rows.merged = stream.merged
        return rows

    def stream(self, sheet_name=""):
        """The rows of ``sheet_name`` one at a time (python-calamine builds each row list when it is read),
        so a big sheet never exists as Python objects all at once."""
        if self._csv_rows is not None:
            return RowStream(len(self._csv_rows), iter(self._csv_rows))
        name = sheet_name or self.sheets[0]
        if name not in self.sheets:
            raise ImportFileError(_("找不到工作表“%(name)s”") % {"name": name})
        if self._tables is not None:
            rows, merged = self._tables[name]
            _check_rows(len(rows))
            return RowStream(len(rows), iter(rows), merged)
        try:
            sheet = self._workbook.get_sheet_by_name(name)
            count = sheet.end[0] + 1 if sheet.end else 0  # rows from row 1, as iter_rows yields them
            iterator = sheet.iter_rows()
            if count > settings.ROSTER_IMPORT_MAX_ROWS + 50:
                # cells holding "" (a formula copied far down, a column of spaces) make a sheet look longer
                # than it is: count up to the last row with something in it
                count = _last_filled(sheet.iter_rows()) + 1
                iterator = islice(sheet.iter_rows(), count)
            _check_rows(count)
            return RowStream(count, _guarded(iterator, name), sheet.merged_cell_ranges or ())
        except ImportFileError:
            raise
        except Exception as exc:  # calamine raises its own types for broken parts
            raise ImportFileError(_("文件已损坏，无法读取工作表“%(name)s”（%(error)s）") % {"name": name, "error": exc})


@dataclass
class RowStream:
    count: int
    iterator: Iterator
    merged: tuple = ()


def _last_filled(rows):
    last = -1
    for index, row in enumerate(rows):
        if not all(is_blank(value) for value in row):
            last = index
    return last


def _guarded(iterator, name):
    try:
        yield from iterator
    except Exception as exc:
        raise ImportFileError(_("文件已损坏，无法读取工作表“%(name)s”（%(error)s）") % {"name": name, "error": exc})


def _check_rows(count):
    limit = settings.ROSTER_IMPORT_MAX_ROWS
    if count > limit + 50:  # headers and footers do not count against the limit
        raise ImportFileError(
            _("表格行数太多（%(count)s 行），一次最多导入 %(limit)s 行，请拆分后分批导入。")
            % {"count": count, "limit": limit}
        )


def _suffix(name):
    name = (name or "").lower()
    return name[name.rfind(".") :] if "." in name else ""


def _is_encrypted_ole(data):
    import msoffcrypto

    try:
        return msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()
    except Exception:
        return False


def open_book(data, filename):
    """Open ``data`` (bytes) uploaded as ``filename`` in the sandbox (a child process with hard limits, after a
    pre-scan): a ``Book``, or ImportFileError with one clear message."""
    from .sandbox import open_book as open_in_sandbox  # the sandbox imports this module

    return open_in_sandbox(data, filename)


def read_book(data, filename):
    """Open ``data`` (bytes) uploaded as ``filename`` in this process; raise ImportFileError with one clear message.
    Only the sandbox's child calls this: it trusts the file (see ``prescan`` for what that can cost)."""
    suffix = _suffix(filename)
    if len(data) > settings.ROSTER_IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("文件太大（%(size).1f MB），上限为 %(limit)s MB。")
            % {"size": len(data) / 1048576, "limit": f"{settings.ROSTER_IMPORT_MAX_BYTES / 1048576:g}"}
        )
    if not data or not data.strip(b"\x00 \t\r\n"):
        raise ImportFileError(_("文件是空的。"))
    if suffix not in SPREADSHEET_SUFFIXES + CSV_SUFFIXES:
        raise ImportFileError(
            _("不支持“%(suffix)s”文件，请上传 .xlsx、.xls、.ods 或 .csv 格式的名单。") % {"suffix": suffix or filename}
        )
    if data.startswith(OLE_SIGNATURE):
        if _is_encrypted_ole(data):
            raise ImportFileError(PASSWORD_MESSAGE)
        return _open_spreadsheet(data, "xls", filename)
    if data.startswith(ZIP_SIGNATURE):
        kind = _zip_kind(data)
        if kind is None:
            raise ImportFileError(_("“%(name)s”是压缩包，不是 Excel 表格，请上传表格文件本身。") % {"name": filename})
        return _open_spreadsheet(data, kind, filename)
    if suffix in SPREADSHEET_SUFFIXES:
        return _open_disguised(data, filename, suffix)
    return _open_csv(data)


def _open_disguised(data, filename, suffix):
    """What government systems save under a spreadsheet's name: an HTML table, Excel 2003 XML, or text."""
    text, encoding = _decode_markup(data)
    head = text[:2048].lstrip("\ufeff \t\r\n").lower().encode("utf-8", "replace")
    if head.startswith(b"<?xml") and SPREADSHEET_ML in text[:4096].encode("utf-8", "replace"):
        return _open_spreadsheet_ml(text, encoding)
    if head.startswith(HTML_START) or (head.startswith(b"<?xml") and b"<html" in head):
        return _open_html(text, encoding, filename, suffix)
    if b"\x00" not in data[:4096] and "\ufffd" not in text[:4096] and _delimiter(text, strict=True):
        return _open_csv(data)  # tab- or comma-separated text with a spreadsheet's name
    raise ImportFileError(
        _("“%(name)s”的扩展名是 %(suffix)s，但内容不是电子表格（可能改过扩展名或已损坏）。请上传真正的 Excel 文件。")
        % {"name": filename, "suffix": suffix}
    )


def _zip_kind(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > settings.ROSTER_IMPORT_MAX_BYTES * UNPACK_FACTOR:
                raise ImportFileError(
                    _("文件解压后太大（%(size).0f MB），不像一份名单，请检查文件。") % {"size": unpacked / 1048576}
                )
            if "xl/workbook.xml" in names or "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
                return "xlsx"
            if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
                return "ods"
            if "content.xml" in names:
                return "ods"
    except zipfile.BadZipFile:
        raise ImportFileError(_("文件已损坏（压缩结构不完整），无法读取。请重新保存后上传。"))
    return None


def _open_spreadsheet(data, kind, filename):
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = workbook.sheets_metadata
    except python_calamine.PasswordError:
        raise ImportFileError(PASSWORD_MESSAGE)
    except Exception as exc:
        raise ImportFileError(
            _("文件已损坏，无法读取（%(error)s）。请用 Excel 打开并重新保存后上传。") % {"error": exc}
        )
    visible = [
        m.name
        for m in metadata
        if m.visible == python_calamine.SheetVisibleEnum.Visible and m.typ == python_calamine.SheetTypeEnum.WorkSheet
    ]
    if not visible:
        raise ImportFileError(_("文件里没有可见的工作表。"))
    if len(visible) > 1:  # Sheet2 and Sheet3 left empty must not make the clerk choose
        filled = [name for name in visible if _has_cells(workbook, name)]
        if not filled:
            raise ImportFileError(_("文件里的工作表都是空的（%(sheets)s）。") % {"sheets": "、".join(visible)})
        visible = filled
    return Book(kind=kind, sheets=visible, _workbook=workbook)


def _has_cells(workbook, name):
    try:
        sheet = workbook.get_sheet_by_name(name)
    except Exception:
        return True  # let reading it report the problem
    return sheet.end is not None and _last_filled(islice(sheet.iter_rows(), 2000)) >= 0


def decode_text(data):
    """``(text, encoding)`` for csv bytes: UTF-8 with/without BOM, UTF-16 with BOM, GB18030 (covers GBK),
    then a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ImportFileError(_("无法识别 CSV 文件的文字编码，请另存为“CSV UTF-8”格式后上传。"))
    return str(best), best.encoding


DELIMITERS = (",", "\t", ";", "，")


def _delimiter(text, strict=False):
    """The delimiter most lines agree on (a title line above the header has none), or None when ``strict``
    and no delimiter splits most lines the same way."""
    lines = [line for line in text[:65536].splitlines()[:60] if line.strip()]
    best, best_score = None, 0
    for delimiter in DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        used = [c for c in counts if c]
        if not used:
            continue
        modal = max(set(used), key=used.count)
        score = used.count(modal)
        if score > best_score or (score == best_score and delimiter == "\t"):
            best, best_score = delimiter, score
    if strict and (best is None or best_score < max(2, len(lines) // 2)):
        return None
    return best or ","


def _open_csv(data):
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("文件内容不是文本表格（CSV），可能是其他格式的文件。"))
    text, encoding = decode_text(data)
    text = text.lstrip("\ufeff")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)  # \r\n, \n and old Mac \r alike
    try:
        rows = [[unwrap_text_formula(cell) for cell in row] for row in reader]
    except csv.Error as exc:
        raise ImportFileError(
            _("CSV 文件第 %(line)s 行格式有误（%(error)s），请用 Excel 打开后重新保存。")
            % {"line": reader.line_num, "error": exc}
        )
    _check_rows(len(rows))
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise ImportFileError(_("文件是空的。"))
    return Book(kind="csv", sheets=[""], encoding=encoding, _csv_rows=rows)


def encoding_label(encoding):
    return ENCODING_LABELS.get(encoding, encoding)


# ------------------------------------------------------------------ HTML tables and Excel 2003 XML

_CHARSET = re.compile(rb"""charset\s*=\s*["']?([a-zA-Z0-9_\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([a-zA-Z0-9_\-]+)""", re.IGNORECASE)


def _decode_markup(data):
    """Text of an HTML/XML file: its declared charset (gb2312 and gbk read as GB18030), else as csv is read."""
    declared = _XML_ENCODING.search(data[:200]) or _CHARSET.search(data[:4096])
    if declared and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = declared.group(1).decode("ascii").lower()
        if name in ("gb2312", "gbk", "gb18030", "cp936", "x-gbk"):
            name = "gb18030"
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_text(data)
    except ImportFileError:
        return data.decode("utf-8", "replace"), "utf-8"


class _TableParser(HTMLParser):
    """Every ``<tr>`` of the page in order (nested layout tables included) as rows of cell texts, with
    rowspan/colspan as merged ranges: the text in the first cell, "" in the cells it covers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.merged = [], []
        self._row = None
        self._cell = None
        self._covered = {}  # row index → {column: True} held by rowspans from above
        self._skip = 0  # inside <style>/<script>

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "tr":
            self._end_row()
            self._row = []
        elif tag in ("td", "th"):
            if self._row is None:
                self._row = []
            self._end_cell()
            values = dict(attrs)
            self._cell = ([], _span(values.get("rowspan"), MAX_SPAN[0]), _span(values.get("colspan"), MAX_SPAN[1]))
        elif tag == "br" and self._cell is not None:
            self._cell[0].append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell[0].append(data)

    def _end_cell(self):
        if self._cell is None or self._row is None:
            self._cell = None
            return
        parts, rowspan, colspan = self._cell
        self._cell = None
        r = len(self.rows)
        covered = self._covered.get(r, {})
        while len(self._row) in covered:
            self._row.append("")
        col = len(self._row)
        value = " ".join("".join(parts).replace("\xa0", " ").split(" ")).strip()
        self._row.append(value)
        self._row.extend([""] * (colspan - 1))
        if rowspan > 1 or colspan > 1:
            self.merged.append(((r, col), (r + rowspan - 1, col + colspan - 1)))
        for below in range(r + 1, r + rowspan):
            held = self._covered.setdefault(below, {})
            for c in range(col, col + colspan):
                held[c] = True

    def _end_row(self):
        self._end_cell()
        if self._row is None:
            return
        covered = self._covered.pop(len(self.rows), {})
        while covered and len(self._row) <= max(covered):
            self._row.append("")
        self.rows.append(self._row)
        self._row = None


def _has_roster_header(rows):
    from .errors import NoHeaderError
    from .headers import HEADER_SCAN_ROWS, detect_header

    for start in range(0, max(len(rows), 1), HEADER_SCAN_ROWS):  # layout tables may come first
        try:
            detect_header(rows[start : start + HEADER_SCAN_ROWS + 2])
        except NoHeaderError:
            continue
        except ImportFileError:
            pass  # a header with a column missing: validation will say which
        return True
    return False


def _span(value, limit):
    try:
        return max(1, min(int(str(value).strip()), limit))
    except (TypeError, ValueError):
        return 1


def _open_html(text, encoding, filename, suffix):
    parser = _TableParser()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # html.parser is lenient; anything left is a broken file
        raise ImportFileError(_("文件已损坏，无法读取（%(error)s）。") % {"error": exc})
    parser._end_row()
    rows = parser.rows
    if not any(any(cell for cell in row) for row in rows) or not _has_roster_header(rows):
        raise ImportFileError(
            _(
                "“%(name)s”其实是网页（HTML）文件，只是扩展名为 %(suffix)s，而且里面没有名单表格"
                "（找不到“姓名”“身份证号”等列名）。"
                "请用 Excel 打开后“另存为”Excel 工作簿（.xlsx）再上传。"
            )
            % {"name": filename, "suffix": suffix}
        )
    _check_rows(len(rows))
    return Book(kind="html", sheets=["Sheet1"], encoding=encoding, _tables={"Sheet1": (rows, tuple(parser.merged))})


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"
_X = "{urn:schemas-microsoft-com:office:excel}"


def _open_spreadsheet_ml(text, encoding):
    """Excel 2003 XML (SpreadsheetML): worksheets, rows and cells with ss:Index, MergeAcross/MergeDown."""
    try:
        root = ElementTree.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    except ElementTree.ParseError as exc:
        raise ImportFileError(
            _("文件已损坏，无法读取（%(error)s）。请用 Excel 打开并重新保存后上传。") % {"error": exc}
        )
    tables = {}
    for sheet in root.iter(f"{_SS}Worksheet"):
        name = sheet.get(f"{_SS}Name") or f"Sheet{len(tables) + 1}"
        visible = sheet.find(f"{_X}WorksheetOptions/{_X}Visible")
        if visible is not None and (visible.text or "").strip() in ("SheetHidden", "SheetVeryHidden"):
            continue
        rows, merged = [], []
        covered = {}
        table = sheet.find(f"{_SS}Table")
        for row_element in table.iter(f"{_SS}Row") if table is not None else ():
            index = row_element.get(f"{_SS}Index")
            while index and len(rows) < int(index) - 1:
                rows.append([])
            r = len(rows)
            row = []
            for cell in row_element.iter(f"{_SS}Cell"):
                held = covered.get(r, set())
                col_index = cell.get(f"{_SS}Index")
                if col_index:
                    while len(row) < int(col_index) - 1:
                        row.append("")
                while len(row) in held:
                    row.append("")
                col = len(row)
                row.append(_ml_value(cell.find(f"{_SS}Data")))
                across = _span(cell.get(f"{_SS}MergeAcross", 0), MAX_SPAN[1]) if cell.get(f"{_SS}MergeAcross") else 0
                down = _span(cell.get(f"{_SS}MergeDown", 0), MAX_SPAN[0]) if cell.get(f"{_SS}MergeDown") else 0
                row.extend([""] * across)
                if across or down:
                    merged.append(((r, col), (r + down, col + across)))
                for below in range(r + 1, r + down + 1):
                    covered.setdefault(below, set()).update(range(col, col + across + 1))
            rows.append(row)
        if any(any(v not in ("", None) for v in row) for row in rows):
            tables[name] = (rows, tuple(merged))
    if not tables:
        raise ImportFileError(_("文件里没有可见的工作表。"))
    return Book(kind="xml", sheets=list(tables), encoding=encoding, _tables=tables)


def _ml_value(data):
    if data is None:
        return ""
    value = "".join(data.itertext())
    kind = data.get(f"{_SS}Type", "String")
    try:
        if kind == "Number":
            return float(value)
        if kind == "DateTime":
            return datetime.datetime.fromisoformat(value.rstrip("Z")[:19])
        if kind == "Boolean":
            return value.strip() in ("1", "true", "TRUE")
    except ValueError:
        pass
    return value
