"""A 合计/总计/小计 row checked against the rows above it.

Offices type the footer's figures by hand or with a formula whose range misses a row; when the file's own total
disagrees with its rows, one of them is wrong and the reviewer would sign off a roster that does not add up. The
footer row is never imported (``rows.RowClassifier`` calls it a footer); this says, as a warning naming both
figures, when its amount or head count differs from the sum of the households it closes: a 小计 the rows since the
last footer, a 合计/总计/共计 every row of the file. Rows refused for errors still count with the figures that
parsed, so a typo in one ID does not also turn the total into a false alarm.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from . import cells
from .fields import household_size
from .rows import figure
from .warnings import warning

TOTAL_LABELS = ("合计", "总计", "共计", "小计")
SECTION_LABEL = "小计"
ROUNDING = Decimal("0.005")


def total_label(row):
    """The total label a cell of ``row`` starts with (合计, 总计, 共计, 小计), or None."""
    for value in row:
        if isinstance(value, str) and value.strip():
            compact = cells.text(value).replace(" ", "")
            for label in TOTAL_LABELS:
                if compact.startswith(label):
                    return label
    return None


def plain(number):
    """4130 for Decimal("4130.00"), 4130.5 for 4130.50: as a clerk writes the figure."""
    if isinstance(number, Decimal):
        number = number.quantize(Decimal("0.01"))
        return format(number.normalize() if number == number.to_integral() else number, "f")
    return str(number)


class FooterTotals:
    def __init__(self, classifier):
        self.amount_index, self.size_index = classifier.amount_index, classifier.size_index
        self.parse_amount = classifier.parse_amount
        self.refused = [Decimal("0"), 0]  # figures of refused rows, whole file
        self.section_refused = [Decimal("0"), 0]  # … since the last footer

    def add_refused(self, values):
        amount, size = values.get("amount") or Decimal("0"), values.get("household_size") or 0
        for sums in (self.refused, self.section_refused):
            sums[0] += amount
            sums[1] += size

    def close_section(self):
        self.section_refused = [Decimal("0"), 0]

    def check(self, row, row_number, entries, mark, header):
        """Warnings for a footer ``row`` whose figures differ from the rows it sums (``entries[mark:]`` for 小计)."""
        label = total_label(row)
        if label is None:
            return []
        scope, refused = (entries[mark:], self.section_refused) if label == SECTION_LABEL else (entries, self.refused)
        found = []
        written = figure(row, self.amount_index, self.parse_amount)
        if written is not None:
            summed = sum((e.amount for e in scope if e.amount is not None), refused[0])
            # each row was rounded to the fen (and so was the total): a float total differs by up to half a fen a row
            if abs(written - summed) > ROUNDING * (len(scope) + 1):
                found.append(self._warning(row_number, label, written, summed, header.label("amount")))
        written = figure(row, self.size_index, household_size)
        if written is not None:
            summed = sum((e.household_size for e in scope if e.household_size is not None), refused[1])
            if written != summed:
                found.append(self._warning(row_number, label, written, summed, header.label("household_size")))
        return found

    @staticmethod
    def _warning(row_number, label, written, summed, column):
        text = _(
            "第 %(row)s 行的%(label)s行写 %(written)s，各行相加为 %(summed)s（「%(column)s」列）："
            "请核对是否漏了或多了某几行、某一行的数有误，或%(label)s公式的范围不对（%(label)s行本身不导入）"
        ) % {"row": row_number, "label": label, "written": plain(written), "summed": plain(summed), "column": column}
        return warning(row_number, "total_mismatch", text)
