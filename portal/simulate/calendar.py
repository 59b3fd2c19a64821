"""The periods a simulated data set covers: the last N months up to the current one."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


@dataclass
class Calendar:
    months: list  # [(index, "YYYY-MM")], oldest first; the last is the current month
    years: list  # [(index of the year's first month in the span, "YYYY")]
    events: list  # [(index, "YYYY-MM-15")]: one 临时救助 event a year

    @property
    def last(self):
        return self.months[-1][0]

    def month_start(self, index):
        year, month = map(int, self.months[index][1].split("-"))
        return dt.datetime(year, month, 1, 9, tzinfo=timezone.get_current_timezone())

    def current_year(self):
        return self.years[-1][1]


def calendar_for(months, today=None):
    today = today or timezone.localdate()
    keys = []
    year, month = today.year, today.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    indexed = list(enumerate(keys))
    years, events = {}, []
    for index, key in indexed:
        if key[:4] not in years:
            years[key[:4]] = index
            events.append((index, f"{key}-15"))
    return Calendar(months=indexed, years=[(i, y) for y, i in years.items()], events=events)
