"""One cell at a time: what clerks type, what Excel stores, turned into clean values.

Every function takes the raw value calamine or csv produced (str, float, int, bool, date,
datetime, None) and returns a clean value or raises ``CellError`` with the message for
the clerk (without the row/column prefix, which the validator adds).
"""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from sunshine.identity import InvalidID, check_char, normalize_id

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b]+")
_AMOUNT_NOISE = re.compile(r"[\s,，¥￥元圆]|RMB|CNY", re.IGNORECASE)
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CJK = re.compile(r"[\u3400-\u9fff]")


class CellError(ValueError):
    pass


BLANK_CHARS = " \t\n\r\f\v\u3000\u00a0\u200b\ufeff"


def is_blank(value):
    return value is None or value == "" or (isinstance(value, str) and not value.strip(BLANK_CHARS))


def text(value):
    """Trimmed text with full-width letters/digits/spaces folded (NFKC) and runs of spaces collapsed."""
    if value is None:
        return ""
    if type(value) is str:  # the common case: NFKC only when needed, spaces collapsed without a regex
        if not unicodedata.is_normalized("NFKC", value):
            value = unicodedata.normalize("NFKC", value)
        if "\u200b" in value or "\ufeff" in value:
            value = value.replace("\u200b", " ").replace("\ufeff", " ")
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()


def name(value):
    """A person's name: CJK names lose the spaces clerks pad them with (张  三 → 张三)."""
    result = text(value)
    if _CJK.search(result):
        result = result.replace(" ", "")
    return result


def id_number(value):
    """Canonical 18-character ID via sunshine.identity; numbers Excel damaged get a clear message."""
    if isinstance(value, str) and len(value) == 18 and value.isascii() and value[:17].isdigit():
        # the common case, typed cleanly: same checks as normalize_id without the clean-up work
        last = value[17].upper()
        if check_char(value[:17]) == last:
            return value[:17] + last
    if isinstance(value, bool):
        raise CellError(_("不是身份证号"))
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, float):
        if value.is_integer() and value < 1e15:
            value = str(int(value))  # a 15-digit ID survives as a number
        else:
            raise CellError(
                _(
                    "被 Excel 当成了数字（显示为 %(shown)s），只保留了 15 位有效数字，末尾几位已丢失。"
                    "请把该列设为“文本”格式，再重新输入完整的身份证号。"
                )
                % {"shown": f"{value:.5E}".replace("E+", "E+")}
            )
    try:
        return normalize_id(value)
    except InvalidID as exc:
        message = str(exc)
        if message.startswith("身份证号"):
            message = message[len("身份证号") :]
        raise CellError(message) from None


def amount(value):
    """Decimal with two places from 1200, 1200.0, "1,200.00元", "１２００", "￥1200"."""
    if type(value) is float and 0 <= value < 1e10:  # the common case: a number cell, exact in cents
        cents = round(value * 100)
        if abs(cents - value * 100) < 1e-6:
            return Decimal(cents).scaleb(-2)
    if isinstance(value, bool):
        raise CellError(_("不是金额"))
    if isinstance(value, int | float):
        number = Decimal(repr(float(value)))
    else:
        cleaned = _AMOUNT_NOISE.sub("", unicodedata.normalize("NFKC", str(value)))
        try:
            number = Decimal(cleaned)
        except InvalidOperation:
            raise CellError(_("“%(value)s”不是金额") % {"value": text(value)}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s”不是金额") % {"value": text(value)})
    if number < 0:
        raise CellError(_("金额不能为负数"))
    quantized = number.quantize(Decimal("0.01"))
    if quantized != number:
        raise CellError(_("金额最多保留两位小数（“%(value)s”）") % {"value": text(value)})
    if quantized >= Decimal("10000000000"):
        raise CellError(_("金额过大"))
    return quantized


def integer(value, low, high):
    """A whole number within ``low..high`` from 3, 3.0, "3", "３", "3人"."""
    if isinstance(value, bool):
        raise CellError(_("不是整数"))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("应为整数，实际为 %(value)s") % {"value": value})
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        cleaned = text(value).replace(" ", "").removesuffix("人").removesuffix("口")
        if cleaned.endswith(".0"):
            cleaned = cleaned[:-2]
        if not cleaned.isdigit():
            raise CellError(_("应为整数，实际为“%(value)s”") % {"value": text(value)})
        number = int(cleaned)
    if not low <= number <= high:
        raise CellError(
            _("应在 %(low)s 到 %(high)s 之间，实际为 %(value)s") % {"low": low, "high": high, "value": number}
        )
    return number


def date(value):
    """A date from a date cell, an Excel serial, or text (2026年11月5日, 2026-11-05, 2026/11/5, 20261105)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466 and float(value).is_integer():
            if 19000000 <= value <= 29991231:
                return date(str(int(value)))
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
        raise CellError(_("“%(value)s”不是日期") % {"value": value})
    cleaned = text(value).replace(" ", "")
    match = _DATE_TEXT.match(cleaned) or _DATE_COMPACT.match(cleaned)
    if match is None:
        if cleaned.isdigit() and 1 <= int(cleaned) < 2958466:
            return EXCEL_EPOCH + datetime.timedelta(days=int(cleaned))
        raise CellError(_("“%(value)s”不是日期（可写成 2026-11-05 或 2026年11月5日）") % {"value": cleaned})
    try:
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise CellError(_("“%(value)s”不是有效日期") % {"value": cleaned}) from None


def bank_account(value):
    """Digits only (spaces and dashes removed); Excel numbers have lost digits."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        if isinstance(value, float) and value >= 1e15:
            raise CellError(_("被 Excel 当成了数字，末尾几位已丢失。请把该列设为“文本”格式后重新输入。"))
        value = str(int(value))
    cleaned = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(value)))
    if not cleaned.isdigit() or not 8 <= len(cleaned) <= 30:
        raise CellError(_("应为 8–30 位数字"))
    return cleaned
