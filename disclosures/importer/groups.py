"""Group names as the village registered them: "1组", "一组", "第1组", "第一村民小组", "1社" → "第1村民小组".

A village's groups are ``villages.models.Division`` rows of level ``group`` under it. Clerks write them every way
an office does; stored as written, the public filter would list 1组 beside 第1村民小组. ``GroupNames`` maps each
spelling that names a registered group by its number to the registered name, and says which names match no
registered group (a warning: a village's register may lag behind its files). Pure: the caller reads the names.
"""

import re
import unicodedata

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_GROUP = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,8}村)?第?(?P<number>[零〇一二两三四五六七八九十百\d]{1,4})"
    r"(?:村民小组|村民组|居民小组|小组|组|社|队|生产队)?$"
)


def chinese_number(text):
    """12 from "12", "十二" or "一十二"; 20 from "二十"; None for anything else."""
    if text.isdigit():
        return int(text)
    if "百" in text:
        return None  # no village has a hundred groups; a 百 is more likely a name
    if "十" in text:
        tens, _sep, units = text.partition("十")
        if len(tens) > 1 or len(units) > 1:
            return None
        high = _DIGITS.get(tens) if tens else 1
        low = _DIGITS.get(units) if units else 0
        return None if high is None or low is None else high * 10 + low
    if len(text) == 1:
        return _DIGITS.get(text)
    return None


def group_number(name):
    """The number a group's name gives it (1 for 1组, 一组, 第一村民小组, 1社), or None."""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))
    match = _GROUP.match(compact)
    if not match:
        return None
    number = chinese_number(match.group("number"))
    return number if number else None


class GroupNames:
    """Maps what a file writes in its group column to the village's registered group names."""

    def __init__(self, registered):
        self.registered = list(registered)
        self.exact = set(self.registered)
        by_number = {}
        for name in self.registered:
            number = group_number(name)
            if number is not None:
                by_number.setdefault(number, []).append(name)
        # a number two registered names share names neither: left as written, and a warning
        self.by_number = {number: names[0] for number, names in by_number.items() if len(names) == 1}
        self._memo = {}

    def __bool__(self):
        return bool(self.registered)

    def normalize(self, written):
        """``(name, known)``: the registered name ``written`` stands for, or ``written`` itself and False."""
        found = self._memo.get(written)
        if found is None:
            if written in self.exact:
                found = (written, True)
            else:
                number = group_number(written)
                name = self.by_number.get(number) if number is not None else None
                found = (name, True) if name else (written, False)
            self._memo[written] = found
        return found
