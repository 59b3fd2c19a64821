"""The residents of a simulated village: names, valid ID numbers (GB 11643), keyed hashes, masked IDs.

A resident is ``(village index, n)``; everything about them is derived from that pair, so the same person
appears with the same ``person_key`` on every roster of every month (what reconciliation matches on).
Derived values are computed once per person and kept while the village is being built.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from sunshine.identity import check_char, encrypt, mask_id, person_key

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀英桂兰建国志强玉梅德明春花永福海燕国华淑珍长林金凤红军小平丽娟文忠爱莲"
BIRTH_DAYS = 60 * 365  # birth dates spread over 60 years
FIRST_BIRTH = dt.date(1940, 1, 1)


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    key: str
    masked: str


class Residents:
    """The people of one village (``area`` is the county's 6-digit area code)."""

    def __init__(self, area, village_index, pool):
        self.area, self.village_index, self.pool = area, village_index, pool
        self.key_id = settings.IDENTITY_HASH_KEY_ID
        self._people, self._encrypted = {}, {}

    def person(self, n):
        found = self._people.get(n)
        if found is None:
            found = self._people[n] = self._make(n)
        return found

    def _make(self, n):
        serial = self.village_index * self.pool + n  # unique in the county: birth date and sequence number
        birth = FIRST_BIRTH + dt.timedelta(days=serial % BIRTH_DAYS)
        body = f"{self.area}{birth:%Y%m%d}{serial // BIRTH_DAYS % 1000:03d}"
        number = body + check_char(body)
        given = GIVEN[(serial * 7) % len(GIVEN)] + GIVEN[(serial // 3) % len(GIVEN)]
        name = SURNAMES[(serial * 13 + serial // 40) % len(SURNAMES)] + given[: 1 + serial % 2]
        return Person(name=name, id_number=number, key=person_key(number), masked=mask_id(number))

    def encrypted_id(self, n):
        """The encrypted full ID (only for categories that keep it), once per person."""
        found = self._encrypted.get(n)
        if found is None:
            found = self._encrypted[n] = encrypt(self.person(n).id_number)
        return found
