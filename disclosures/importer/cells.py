"""One cell at a time: what clerks type, what Excel stores, turned into clean values.

Every function takes the raw value calamine or csv produced (str, float, int, bool, date,
datetime, None) and returns a clean value or raises ``CellError`` with the message for
the clerk (without the row/column prefix, which the validator adds).
"""

import datetime
import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

from sunshine.identity import InvalidID, check_char, clean_id_text, mask_id, normalize_id

EXCEL_EPOCH = datetime.date(1899, 12, 30)
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b]+")
# Characters that cannot be seen but break matching: zero-width spaces and joiners, direction marks
# (U+202D/U+202C come with IDs copied from some web systems), the BOM inside a cell, soft hyphens.
INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
        "\u2066\u2067\u2068\u2069\ufeff\u00ad\u180e",
    )
)
_AMOUNT_NOISE = re.compile(r"[\s,，¥￥元圆整']|RMB|CNY|人民币|[/每](?:月|户|人|年)$", re.IGNORECASE)
_INTEGER_SUFFIX = re.compile(r"(?:人/户|口人|人|口)$")
_NAME_DOTS = re.compile(r"(?<=[\u3400-\u9fff])\s*[.•・‧∙⋅]\s*(?=[\u3400-\u9fff])")
# What clerks write in a number cell that has no value: treated like an empty cell.
PLACEHOLDERS = frozenset({"-", "--", "—", "——", "–", "/", "\\", "无", "空", "暂无", "N/A", "n/a", "NULL", "null"})
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CJK = re.compile(r"[\u3400-\u9fff]")


class CellError(ValueError):
    pass


# What Excel shows (and csv exports keep) when a formula fails, e.g. a VLOOKUP that found nothing.
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})


def _no_formula_error(cleaned):
    if cleaned[:1] == "#" and cleaned.upper() in EXCEL_ERRORS:
        raise CellError(
            _("是 Excel 公式错误“%(value)s”（如 VLOOKUP 没有找到），请在原表中检查这一格的公式") % {"value": cleaned}
        )


class BlankCell(CellError):
    """A placeholder such as ``—`` or ``/`` where a number belongs: the validator treats the cell as empty."""


def _guarded(cleaned):
    """``cleaned`` itself, unless it is a placeholder (``BlankCell``) or an Excel error value (``CellError``)."""
    if cleaned in PLACEHOLDERS:
        raise BlankCell(cleaned)
    _no_formula_error(cleaned)
    return cleaned


BLANK_CHARS = " \t\n\r\f\v\u3000\u00a0\u200b\ufeff"


def is_blank(value):
    return value is None or value == "" or (isinstance(value, str) and not value.strip(BLANK_CHARS))


def unwrap_text_formula(value):
    """``="350102…"`` — how csv exports keep digits as text — becomes the text inside."""
    if value.startswith('="') and value.endswith('"') and len(value) >= 3:
        return value[2:-1]
    return value


def unwrap(value):
    """``="350102…"`` and a leading apostrophe (both keep digits as text) → the text inside."""
    return unwrap_text_formula(value).lstrip("'‘’`")


def text(value):
    """Trimmed text with full-width letters/digits/spaces folded (NFKC), invisible characters removed and
    runs of spaces collapsed."""
    if value is None:
        return ""
    if type(value) is str:  # the common case: NFKC only when needed, spaces collapsed without a regex
        if not value.isascii():
            value = value.translate(INVISIBLE)
            if not unicodedata.is_normalized("NFKC", value):
                value = unicodedata.normalize("NFKC", value)
        return " ".join(value.split())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()


def name(value):
    """A person's name: CJK names lose the spaces clerks pad them with (张  三 → 张三), and the dot in
    names such as 阿依古丽·吐尔逊 is always the middle dot (typed as ``.``, ``•``, ``・`` …)."""
    result = text(value)
    _no_formula_error(result)
    if _CJK.search(result):
        result = result.replace(" ", "")
        if "·" not in result and _NAME_DOTS.search(result):
            result = _NAME_DOTS.sub("·", result)
    return result


_YEAR_AT_START = datetime.date.today().year


@functools.lru_cache(maxsize=65536)
def _birth_date(digits):
    """The date ``digits`` (YYYYMMDD, positions 7–14 of an ID) stands for, or None (cached: rosters repeat them)."""
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _checked(number):
    """The ID when its birth date (GB 11643: positions 7–14) is a real date between 1900 and today."""
    born = _birth_date(number[6:14])
    if born is None:
        raise CellError(_("出生日期“%(date)s”（第 7–14 位）不是有效日期") % {"date": number[6:14]})
    if born.year < 1900:
        raise CellError(_("出生日期“%(date)s”（第 7–14 位）早于 1900 年") % {"date": number[6:14]})
    # Not cached: a long-running server sees the date change. Only a birth in this year or later can be in
    # the future, so the clock is read for those alone (years never go back).
    if born.year >= _YEAR_AT_START and born > datetime.date.today():
        raise CellError(_("出生日期 %(date)s（第 7–14 位）晚于今天") % {"date": born.isoformat()})
    return number


def is_old_id(value):
    """True when ``value`` is a 15-digit first-generation ID number (text or a number cell)."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return 1e14 <= value < 1e15
    cleaned = unwrap(text(value)).replace(" ", "")
    return len(cleaned) == 15 and cleaned.isdigit()


def id_number(value):
    """Canonical 18-character ID via sunshine.identity; numbers Excel damaged get a clear message."""
    if isinstance(value, str) and len(value) == 18 and value.isascii() and value[:17].isdigit():
        # the common case, typed cleanly: same checks as normalize_id without the clean-up work
        last = value[17].upper()
        if check_char(value[:17]) == last:
            return _checked(value[:17] + last)
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
    if isinstance(value, str):
        value = unwrap(value.translate(INVISIBLE).strip())
        _no_formula_error(value)
        if "*" in value or "＊" in value:
            raise CellError(
                _("中间几位被 * 隐去了（可能是从公示名单复制的），请填写完整的身份证号；公示时系统会自动隐去")
            )
    try:
        number = normalize_id(value)
    except InvalidID as exc:
        raise CellError(_explain_id(value, exc)) from None
    return _checked(number)


def _explain_id(value, exc):
    """What is wrong with the ID ``value`` and how to fix it, for the clerk who must find the cell: the masked value
    (never the full number: the preview is stored and shown), how many digits it has, a failed checksum, or the
    Excel trap (a number keeps 15 significant digits, so the last three become 000)."""
    text = clean_id_text(value)
    shown = mask_id(text)
    digits = sum(ch.isdigit() for ch in text)
    if not text or not isinstance(value, str) or "E" in text or text.endswith(".0"):
        message = str(exc)
        return message[len("身份证号") :] if message.startswith("身份证号") else message
    if len(text) == 18 and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X"):
        if text.endswith("000"):
            return _(
                "写的是 %(shown)s，末三位是 000，校验位对不上：这多半是 Excel 把号码当成了数字，只保留 15 位有效数字，"
                "后三位变成了 0。请把这一列设为“文本”格式，再照身份证重新输入完整号码"
            ) % {"shown": shown}
        return _(
            "写的是 %(shown)s，校验位错误：第 18 位与前 17 位算出的不一致，通常是其中某一位抄错了或两位颠倒了，"
            "请对照身份证或户口簿逐位核对"
        ) % {"shown": shown}
    if digits != len(text) - (text[-1:] == "X"):
        return _("写的是 %(shown)s，含有数字和末位 X 以外的字符；身份证号只能是 18 位数字（最后一位可为 X）") % {
            "shown": shown
        }
    wanted = (
        _("少了 %(n)s 位") % {"n": 18 - len(text)} if len(text) < 18 else _("多了 %(n)s 位") % {"n": len(text) - 18}
    )
    return _(
        "写的是 %(shown)s，共 %(digits)s 位（%(wanted)s）；身份证号应为 18 位（最后一位可为 X），请照身份证补全或改正"
    ) % {
        "shown": shown,
        "digits": len(text),
        "wanted": wanted,
    }


def amount(value, scale=1):
    """Decimal with two places from 1200, 1200.0, "1,200.00元", "１２００", "￥1200", "1.2万".

    A number cell is taken as Excel shows it with two decimals (a formula such as 面积 × 标准 leaves
    428.7185 in the cell and shows 428.72): it is rounded half up to cents. Typed text must not have
    more than two decimals. ``scale`` is 10000 when the column is in 万元.
    """
    if type(value) is float and scale == 1 and 0 <= value < 1e10:  # the common case: exact in cents
        cents = round(value * 100)
        if abs(cents - value * 100) < 1e-6:
            return Decimal(cents).scaleb(-2)
    if isinstance(value, bool):
        raise CellError(_("不是金额"))
    numeric = isinstance(value, int | float)
    if numeric:
        number = Decimal(repr(float(value)))
    else:
        raw = _guarded(text(value))
        cleaned = _AMOUNT_NOISE.sub("", unwrap(raw).replace("−", "-"))
        factor = 1
        if cleaned.endswith("万"):
            cleaned, factor = cleaned[:-1], 10000
        if cleaned.startswith("(") and cleaned.endswith(")"):  # accounting style negative
            cleaned = "-" + cleaned[1:-1]
        try:
            number = Decimal(cleaned) * factor
        except InvalidOperation:
            raise CellError(_("“%(value)s”不是金额") % {"value": raw}) from None
    if not number.is_finite():
        raise CellError(_("“%(value)s”不是金额") % {"value": text(value)})
    if scale != 1:
        number *= scale
    if number < 0:
        raise CellError(_("金额不能为负数（%(value)s）") % {"value": text(value)})
    quantized = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if quantized != number and not numeric:
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
        cleaned = _INTEGER_SUFFIX.sub("", _guarded(unwrap(text(value).replace(" ", ""))))
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
    cleaned = _guarded(unwrap(text(value).replace(" ", "")))
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
    cleaned = re.sub(r"[\s\-]", "", _guarded(unwrap(text(value))))
    if not cleaned.isdigit() or not 8 <= len(cleaned) <= 30:
        raise CellError(_("应为 8–30 位数字"))
    return cleaned
