"""Open an uploaded roster file by its content (not its name) and return rows of Python values.

Spreadsheets go through python-calamine (xlsx, xls, ods); csv is decoded as UTF-8 (with or
without BOM), then GB18030 (a superset of GBK), then whatever charset-normalizer proposes.
Hidden sheets are never offered. Formula cells yield the value the spreadsheet stored.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ImportFileError

UNPACK_FACTOR = 20  # an xlsx/ods may unpack to this many times the upload limit, no more (zip bombs)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv", ".txt")
PASSWORD_MESSAGE = gettext_lazy(
    "文件设置了密码，无法读取。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿）后重新上传。"
)
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gb18030": "GBK/GB18030"}


@dataclass
class Book:
    """An opened file: its format, visible sheets and a way to read one of them."""

    kind: str  # xlsx, xls, ods, csv
    sheets: list = field(default_factory=list)
    encoding: str = ""
    _workbook: object = None
    _csv_rows: list = None

    def rows(self, sheet_name=""):
        """All rows of ``sheet_name`` (the only visible sheet when empty) from cell A1, as lists."""
        return list(self.stream(sheet_name).iterator)

    def stream(self, sheet_name=""):
        """The rows of ``sheet_name`` one at a time (python-calamine builds each row list when it is read),
        so a big sheet never exists as Python objects all at once."""
        if self.kind == "csv":
            return RowStream(len(self._csv_rows), iter(self._csv_rows))
        name = sheet_name or self.sheets[0]
        if name not in self.sheets:
            raise ImportFileError(_("找不到工作表“%(name)s”") % {"name": name})
        try:
            sheet = self._workbook.get_sheet_by_name(name)
            count = sheet.end[0] + 1 if sheet.end else 0  # rows from row 1, as iter_rows yields them
            _check_rows(count)
            return RowStream(count, _guarded(sheet.iter_rows(), name))
        except ImportFileError:
            raise
        except Exception as exc:  # calamine raises its own types for broken parts
            raise ImportFileError(_("文件已损坏，无法读取工作表“%(name)s”（%(error)s）") % {"name": name, "error": exc})


@dataclass
class RowStream:
    count: int
    iterator: Iterator


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
    """Open ``data`` (bytes) uploaded as ``filename``; raise ImportFileError with one clear message."""
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
        head = data[:512].lstrip().lower()
        if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
            raise ImportFileError(
                _(
                    "“%(name)s”其实是网页（HTML）文件，只是扩展名为 %(suffix)s。"
                    "请用 Excel 打开后“另存为”Excel 工作簿（.xlsx）再上传。"
                )
                % {"name": filename, "suffix": suffix}
            )
        raise ImportFileError(
            _(
                "“%(name)s”的扩展名是 %(suffix)s，但内容不是电子表格（可能改过扩展名或已损坏）。"
                "请上传真正的 Excel 文件。"
            )
            % {"name": filename, "suffix": suffix}
        )
    return _open_csv(data)


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
    return Book(kind=kind, sheets=visible, _workbook=workbook)


def decode_text(data):
    """``(text, encoding)`` for csv bytes: UTF-8 with/without BOM, GB18030 (covers GBK), then a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
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


def _open_csv(data):
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("文件内容不是文本表格（CSV），可能是其他格式的文件。"))
    text, encoding = decode_text(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    _check_rows(len(rows))
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise ImportFileError(_("文件是空的。"))
    return Book(kind="csv", sheets=[""], encoding=encoding, _csv_rows=rows)


def encoding_label(encoding):
    return ENCODING_LABELS.get(encoding, encoding)
