"""A cheap look at an upload's bytes before any parser opens it: refuse what would expand without bound.

Small files can make the readers allocate gigabytes (measured on 2026-12-05): an xlsx with cells only at
A1 and XFD1048576 (1.6 KB) makes python-calamine ask for 512 GB and abort the whole process; an ODS whose
rows carry ``table:number-rows-repeated`` (840 bytes) reaches 4.8 GB; an HTML ".xls" whose cells span
thousands of rows and columns 3 GB; an Excel 2003 XML file with an internal entity 5.7 GB. None of these
is a roster. This module streams through the file (zip members are decompressed chunk by chunk, no DOM is
built) and raises ImportFileError with one clear message for each; what it lets through is still read in the
sandbox (``sandbox.py``) under hard memory and time limits.

What counts is the range that holds values: python-calamine sizes a sheet from its cells, not from the
declared ``<dimension ref>`` (a dimension of A1:XFD1048576 over two cells reads fine, and real files carry
wrong dimensions), and LibreOffice repeats empty rows down to row 1048576 at the end of every sheet.
"""

import re
import struct
import zipfile
from io import BytesIO
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ImportFileError
from .readers import MAX_SPAN, OLE_SIGNATURE, SPREADSHEET_ML, UNPACK_FACTOR, ZIP_SIGNATURE

RANGE_ROWS = 200_000  # rows a sheet's values may reach (or ROSTER_IMPORT_MAX_ROWS + 50, if larger)
RANGE_COLUMNS = 200  # columns (GR); rosters use a few dozen
SPAN_CELLS = 1_000_000  # cells covered by rowspan/colspan (HTML) or MergeDown/MergeAcross (Excel 2003 XML)
ZIP_MEMBERS = 10_000  # an xlsx/ods has a few dozen parts; a long central directory alone costs memory
CHUNK = 1 << 20
UNSAFE_XML = (b"<!DOCTYPE", b"<!ENTITY")
UNSAFE_XML_UTF16 = tuple(m.decode("ascii").encode(e) for m in UNSAFE_XML for e in ("utf-16-le", "utf-16-be"))

# xlsx: an attribute r="…" of a <row> or <c> that reaches row 100000 or beyond, or a column of two or three
# letters. The patterns start with a literal so that re skips ahead fast (0.15 s for a 38 MB sheet, where a
# leading \b costs 0.8 s); the character before the match is checked in Python, matches being few.
_XLSX_FAR_ROW = re.compile(rb'r="[A-Z]{0,3}(\d{6,})"')
_XLSX_WIDE_COLUMN = re.compile(rb'r="([A-Z]{2,3})\d')
_XML_SPACE = b" \t\r\n"
# HTML cells and Excel 2003 XML rows/cells, with the attributes that make them cover others
_FREE_TEXT_PART = re.compile(r"(^|/)(sharedStrings|comments)[^/]*$|^docProps/")  # text a clerk typed, not cells
_HTML_CELL = re.compile(rb"<t[dh]\b([^>]*)>", re.IGNORECASE)
_HTML_SPAN = re.compile(rb"""\b(rowspan|colspan)\s*=\s*["']?\s*(\d+)""", re.IGNORECASE)
_ML_ELEMENT = re.compile(rb"<(?:\w+:)?(Row|Cell)\b([^>]*)>")
_ML_ATTRIBUTE = re.compile(rb"""\b(?:\w+:)?(Index|MergeDown|MergeAcross)\s*=\s*["']\s*(\d+)""")

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE_VALUE_TYPE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 value-type"


def range_limits():
    """(rows, columns) the values of one sheet may reach."""
    return max(RANGE_ROWS, settings.ROSTER_IMPORT_MAX_ROWS + 50), RANGE_COLUMNS


def range_error():
    rows, columns = range_limits()
    return ImportFileError(
        _("表格范围过大（超过 %(rows)s 行或 %(columns)s 列），请只保留名单所在区域后另存再上传。")
        % {"rows": rows, "columns": columns}
    )


def unsafe_xml_error():
    return ImportFileError(
        _("文件含有不安全的 XML 实体定义（DTD/ENTITY），无法读取。请用 Excel 打开后另存为 .xlsx 再上传。")
    )


def span_error():
    return ImportFileError(
        _("表格的合并单元格范围过大（合计超过 %(cells)s 个单元格），请取消合并或只保留名单所在区域后另存再上传。")
        % {"cells": SPAN_CELLS}
    )


def prescan(data):
    """Raise ImportFileError if ``data`` would expand beyond the limits when read; return None otherwise.

    Only what the readers would expand is looked at: zip packages (xlsx, ods) and markup (HTML tables,
    Excel 2003 XML). Everything else (.xls in OLE, csv, text) grows at most in proportion to its size."""
    if data.startswith(ZIP_SIGNATURE):
        _scan_package(data)
    elif not data.startswith(OLE_SIGNATURE):
        _scan_markup(data)


# ------------------------------------------------------------------------------------------- xlsx and ods


def _scan_package(data):
    if _declared_members(data) > ZIP_MEMBERS:
        raise range_error()
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > settings.ROSTER_IMPORT_MAX_BYTES * UNPACK_FACTOR:
                return  # the reader refuses it with its own message, before unpacking anything
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _scan_part(archive, info, cells=not _FREE_TEXT_PART.search(info.filename))
    except zipfile.BadZipFile:
        return  # the reader says the file is damaged
    except (_Unreadable, EOFError, OSError, NotImplementedError, RuntimeError):
        return  # likewise (not well-formed XML, truncated streams, unknown compression, encryption)


def _declared_members(data):
    """The number of entries the end-of-central-directory record declares (read before zipfile builds a list)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if end < 0 or end + 22 > len(data):
        return 0
    (total,) = struct.unpack_from("<H", data, end + 10)
    return ZIP_MEMBERS + 1 if total == 0xFFFF else total  # zip64: far more members than any spreadsheet has


def _scan_part(archive, info, cells):
    """Stream one XML part: refuse a DTD or entity, and (ods content.xml, xlsx parts with ``cells``) a range too
    large."""
    counter = _OdsRange() if info.filename == "content.xml" else None
    far_row, wide_column = 0, 0
    tail, markers = b"", None
    with archive.open(info) as part:
        while chunk := part.read(CHUNK):
            if markers is None:  # a part in UTF-16 spells its markup with NULs in between
                markers = UNSAFE_XML_UTF16 if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) else UNSAFE_XML
            window = tail + chunk
            if any(marker in window for marker in markers):
                raise unsafe_xml_error()
            if counter is not None:
                counter.feed(chunk)
            elif cells:
                far_row = max([far_row, *(int(m.group(1)) for m in _attributes_r(_XLSX_FAR_ROW, window))])
                wide_column = max(
                    [wide_column, *(_column_number(m.group(1)) for m in _attributes_r(_XLSX_WIDE_COLUMN, window))]
                )
            tail = chunk[-64:]
    if counter is not None:
        counter.close()
        far_row, wide_column = counter.rows, counter.columns
    rows, columns = range_limits()
    if far_row > rows or wide_column > columns:
        raise range_error()


def _attributes_r(pattern, window):
    """Matches of ``pattern`` that are an attribute named r (not the end of header="…" and the like)."""
    return (m for m in pattern.finditer(window) if m.start() and window[m.start() - 1] in _XML_SPACE)


def _column_number(letters):
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64  # bytes iterate as ints; "A" is 65
    return number


class _OdsRange:
    """The range that holds values in an ODS content.xml, fed in chunks to expat (events, no tree): rows and
    columns repeated by ``number-rows-repeated``/``number-columns-repeated`` count where a value follows or
    is repeated, not where LibreOffice pads a sheet with empty rows and columns."""

    def __init__(self):
        self.rows = self.columns = 0  # the largest extent over all sheets
        self._row = self._column = 0
        self._repeat_rows = self._repeat_columns = 1
        self._row_columns = 0  # where the current row's last value ends
        self._cell_depth = 0
        self._cell_has_value = False
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartDoctypeDeclHandler = self._refuse
        self._parser.EntityDeclHandler = self._refuse
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end

    def feed(self, chunk):
        try:
            self._parser.Parse(chunk, False)
        except expat.ExpatError:
            raise _Unreadable

    def close(self):
        try:
            self._parser.Parse(b"", True)
        except expat.ExpatError:
            raise _Unreadable

    def _refuse(self, *args):
        raise unsafe_xml_error()

    def _start(self, name, attributes):
        if self._cell_depth:
            self._cell_depth += 1
            self._cell_has_value = True  # a <text:p> or any content inside the cell
        elif name == _TABLE + "table":
            self._row = 0
        elif name == _TABLE + "table-row":
            self._repeat_rows = _count(attributes.get(_TABLE + "number-rows-repeated"))
            self._column = self._row_columns = 0
        elif name in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
            self._repeat_columns = _count(attributes.get(_TABLE + "number-columns-repeated"))
            self._cell_depth = 1
            self._cell_has_value = _OFFICE_VALUE_TYPE in attributes

    def _end(self, name):
        if self._cell_depth > 1:
            self._cell_depth -= 1
        elif self._cell_depth == 1:
            self._cell_depth = 0
            self._column += self._repeat_columns
            if self._cell_has_value:
                self._row_columns = self._column
        elif name == _TABLE + "table-row":
            self._row += self._repeat_rows
            if self._row_columns:
                self.rows = max(self.rows, self._row)
                self.columns = max(self.columns, self._row_columns)


class _Unreadable(Exception):
    """Not well-formed XML: the reader reports the damage in its own words."""


def _count(value):
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


# ------------------------------------------------------------------------------------------- HTML and XML


def _scan_markup(data):
    """HTML tables and Excel 2003 XML saved as .xls: no DTD or entity in XML, no row or column beyond the range
    limits, and no more cells covered by spans and merges than SPAN_CELLS."""
    text = _ascii_compatible(data)
    head = text[:16384].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") and SPREADSHEET_ML in head and any(marker in text for marker in UNSAFE_XML):
        raise unsafe_xml_error()  # ElementTree reads Excel 2003 XML; HTML goes to html.parser, which expands nothing
    rows, columns = range_limits()
    covered = 0
    for match in _HTML_CELL.finditer(text):
        spans = {name.lower(): int(value) for name, value in _HTML_SPAN.findall(match.group(1))}
        rowspan, colspan = spans.get(b"rowspan", 1), spans.get(b"colspan", 1)
        if rowspan > 1 or colspan > 1:
            covered += min(max(rowspan, 1), MAX_SPAN[0]) * min(max(colspan, 1), MAX_SPAN[1])
    for match in _ML_ELEMENT.finditer(text):
        values = {name: int(value) for name, value in _ML_ATTRIBUTE.findall(match.group(2))}
        index = values.get(b"Index", 0)
        if index > (rows if match.group(1) == b"Row" else columns):
            raise range_error()
        down, across = values.get(b"MergeDown", 0), values.get(b"MergeAcross", 0)
        if down or across:
            covered += (min(down, MAX_SPAN[0]) + 1) * (min(across, MAX_SPAN[1]) + 1)
    if covered > SPAN_CELLS:
        raise span_error()


def _ascii_compatible(data):
    """The markup as bytes in which ASCII tags read as ASCII: UTF-16 files are re-encoded; UTF-8, GB18030 and
    the like already are (their multi-byte sequences never contain "<" or "=")."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return data
    return data
