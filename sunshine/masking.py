"""The one masking function for free text that reaches the public or the audit log.

Clerks, handlers and filers type IDs, phones and bank accounts into text meant for everyone: a
correction reason, a notice's title or body, a ledger summary, a reply, a remark. Every public output
(pages, API, Atom feeds, bulletin PDFs, Open311) and every audit event passes such text through
:func:`mask_free_text`; nothing else masks free text.
"""

import re

from rest_framework import serializers

# A run of digits, optionally split by single spaces or dashes (139 1234 5678, 0791-8888 1234), with
# an optional trailing X (ID numbers). Masked when it holds 7+ digits in one block (local phones,
# IDs, bank accounts) or 10+ digits in all; dates such as 2026-11-23 (8 digits in short blocks) stay.
# Digits inside a word (hex checksums and keys in audit data, codes like A1234567B) and decimals
# (1234567.50, an amount) are not numbers of a person and are left alone.
_NUMBER = re.compile(r"(?<![\dA-Za-z.])\d(?:[ \-]?\d)*[Xx]?(?![\dA-Za-z]|\.\d)")
# Full-width digits are folded first, so １３９１２３４５６７８ is caught too.
_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－", "0123456789Xx-")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASK = "*"


def _is_personal(number):
    digits = re.sub(r"\D", "", number)
    longest_block = max(len(block) for block in re.split(r"[ \-]", number.rstrip("Xx")))
    return len(digits) >= 10 or longest_block >= 7 or (number[-1] in "Xx" and len(digits) >= 14)


def _mask_number(match):
    number = match.group()
    return re.sub(r"[\dXx]", MASK, number) if _is_personal(number) else number


def mask_free_text(text):
    """``text`` with ID numbers (15/18 digits, X included), phones (11 digits, also spaced or dashed),
    landlines, bank accounts (16–19 digits) and e-mail addresses replaced by ``*``.

    Empty values come back unchanged; anything else is returned as ``str``.
    """
    if not text or not isinstance(text, str):
        return text
    if any(c in text for c in "０１２３４５６７８９"):
        text = text.translate(_FULLWIDTH)
    text = _EMAIL.sub("***@***", text)
    return _NUMBER.sub(_mask_number, text)


def mask_values(value):
    """Every string inside ``value`` (dicts, lists, tuples) masked; other values unchanged."""
    if isinstance(value, str):
        return mask_free_text(value)
    if isinstance(value, dict):
        return {key: mask_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_values(item) for item in value]
    return value


class MaskedCharField(serializers.CharField):
    """Free text on a public API: what :func:`mask_free_text` masks never leaves unmasked."""

    def to_representation(self, value):
        return mask_free_text(super().to_representation(value))
