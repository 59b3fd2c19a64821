"""ID numbers (居民身份证号码, GB 11643-1999): the only module that touches them.

``normalize_id`` turns what clerks type or Excel stores into the canonical
18-character form or raises ``InvalidID`` with a message for the user;
``person_key`` is the keyed hash used for matching across rosters;
``mask_id`` is the only form that may appear publicly; ``encrypt``/``decrypt``
hold a full ID where a category really needs it.
"""

import functools
import hashlib
import hmac
import operator
import re
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


class InvalidID(ValueError):
    """An ID number that cannot be accepted; ``str()`` is the message for the user."""


# sum(ord(digit) * w) = sum(digit * w) + 48 * sum(w): working on the bytes skips 17 int() calls,
# the largest single cost when validating a 100,000-row roster.
_DIGIT_OFFSET = 48 * sum(WEIGHTS)


def check_char(first17):
    """GB 11643 check character of 17 ASCII digits (callers have checked they are digits)."""
    return CHECK_CHARS[(sum(map(operator.mul, first17.encode("ascii"), WEIGHTS)) - _DIGIT_OFFSET) % 11]


def _clean(raw):
    text = unicodedata.normalize("NFKC", str(raw))  # full-width digits, letters, spaces → ASCII
    return re.sub(r"[\s\u200b\u00a0'‘’`\-]", "", text).upper()


def clean_id_text(raw):
    """``raw`` as ``normalize_id`` reads it (full-width folded, spaces and dashes dropped, upper case), unchecked."""
    return _clean(raw)


def normalize_id(raw):
    """Canonical 18-character ID, or ``InvalidID`` explaining what is wrong."""
    if isinstance(raw, float):
        raise InvalidID(_("身份证号被 Excel 当成了数字，末尾几位已丢失。请把该列设为“文本”格式后重新输入。"))
    text = _clean(raw)
    if not text:
        raise InvalidID(_("身份证号为空"))
    if _SCIENTIFIC.match(text):
        raise InvalidID(
            _(
                "身份证号被 Excel 显示成了科学计数法（如 3.5E+17），后三位已变成 0。"
                "请把该列设为“文本”格式，再逐个重新输入身份证号。"
            )
        )
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if len(text) == 15 and text.isdigit():
        body = text[:6] + "19" + text[6:]
        return body + check_char(body)
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise InvalidID(_("身份证号应为 18 位（最后一位可为 X），实际为“%(value)s”") % {"value": mask_id(text)})
    if check_char(text[:17]) != text[17]:
        if text.endswith("000"):
            raise InvalidID(_("身份证号末三位为 000，可能被 Excel 当成数字截断了。请把该列设为“文本”格式后重新输入。"))
        raise InvalidID(_("身份证号校验位错误"))
    return text


def person_key(normalized):
    """HMAC-SHA256 of a normalized ID under ``IDENTITY_HASH_KEY`` (hex, 64 chars)."""
    key = settings.IDENTITY_HASH_KEY.encode("utf-8")
    return hmac.new(key, normalized.encode("ascii"), hashlib.sha256).hexdigest()


def mask_id(text, keep_head=2, keep_tail=3):
    """``35*************123``: the only form of an ID that may appear publicly."""
    text = str(text or "")
    if len(text) <= keep_head + keep_tail:
        return "*" * len(text)
    return text[:keep_head] + "*" * (len(text) - keep_head - keep_tail) + text[-keep_tail:]


def mask_phone(text):
    text = re.sub(r"\D", "", str(text or ""))
    if len(text) < 7:
        return "*" * len(text)
    return text[:3] + "****" + text[-4:]


def _fernet():
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise RuntimeError("FIELD_ENCRYPTION_KEYS is not set; full IDs cannot be stored")
    return _multi_fernet(tuple(keys))


@functools.lru_cache(maxsize=4)
def _multi_fernet(keys):
    # Built once per key list: an import encrypts an ID (and a bank account) per row, and
    # building the ciphers each time cost about a quarter of every encrypt() call.
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


def encrypt(value):
    return _fernet().encrypt(str(value).encode("utf-8")).decode("ascii") if value else ""


def decrypt(token):
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise RuntimeError("cannot decrypt: key missing from FIELD_ENCRYPTION_KEYS") from exc
