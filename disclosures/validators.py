"""One rule per roster field, shared by the admin's entry form, the staff API and the importer.

The same value is accepted or refused everywhere, with the same Chinese message: each rule returns the
message (or None), and each interface wraps it in its own error type (a form error, an API row error
"第 N 行「金额」…", an importer cell error with row and column).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sunshine.identity import InvalidID, normalize_id

HOUSEHOLD_RANGE = (1, 30)  # 保障人数: people in one household
CENT = Decimal("0.01")


def _yuan(value):
    """An amount as written in messages: 2000.00 (always cents)."""
    return str(Decimal(value).quantize(CENT))


def _limit(value):
    """A category limit as the clerk set it: 1500, or 1500.50 when it has cents."""
    value = Decimal(value)
    return str(int(value)) if value == value.to_integral_value() else _yuan(value)


def amount_message(value, category):
    """Why ``value`` (Decimal, 元) is outside the category's amount_min/amount_max, or None."""
    low = getattr(category, "amount_min", None)
    high = getattr(category, "amount_max", None)
    if value is None or not ((low is not None and value < low) or (high is not None and value > high)):
        return None
    if high is None:
        return _("金额 %(value)s 元低于本类别下限 %(low)s 元") % {"value": _yuan(value), "low": _limit(low)}
    return _("金额 %(value)s 元超出本类别范围（%(low)s–%(high)s 元）") % {
        "value": _yuan(value),
        "low": _limit(low if low is not None else 0),
        "high": _limit(high),
    }


def household_size_message(value):
    """Why ``value`` (a whole number) is not a household size, or None."""
    low, high = HOUSEHOLD_RANGE
    if value is None or low <= value <= high:
        return None
    return _("应在 %(low)s 到 %(high)s 之间，实际为 %(value)s") % {"low": low, "high": high, "value": value}


def id_number(raw):
    """The canonical 18-character ID (checksum checked), or ValidationError with the reason."""
    try:
        return normalize_id(raw)
    except InvalidID as exc:
        raise ValidationError(str(exc)) from exc


def check_amount(value, category):
    message = amount_message(value, category)
    if message:
        raise ValidationError(message)
    return value


def check_household_size(value):
    message = household_size_message(value)
    if message:
        raise ValidationError(message)
    return value


# Column labels for the API's row-numbered errors ("第 2 行「金额」…").
LABELS = {"household_size": "保障人数", "amount": "金额"}


def entry_messages(values, category):
    """``[(field, message)]`` for one entry's already-typed values (API rows)."""
    found = []
    household = household_size_message(values.get("household_size"))
    if household:
        found.append(("household_size", household))
    amount = amount_message(values.get("amount"), category)
    if amount:
        found.append(("amount", amount))
    return found
