"""The disclosure calendar: which disclosures each village owes, from each category's cadence.

村委会组织法 art.30: general matters at least quarterly, finances monthly where busy, major matters
at once. A period is owed once it has ended; it is due ``DISCLOSURE_GRACE_DAYS`` after its end.
Only the most recent periods are checked (``LOOKBACK``), so a village that joined recently is not
flagged for years before it used the system. Per-event categories owe nothing on a calendar.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Cadence, Category, Disclosure, Kind, Phase

LOOKBACK = {Cadence.MONTHLY: 3, Cadence.QUARTERLY: 2, Cadence.YEARLY: 1}


def grace_days():
    return settings.DISCLOSURE_GRACE_DAYS


def _month_start(year, month):
    while month <= 0:
        year, month = year - 1, month + 12
    while month > 12:
        year, month = year + 1, month - 12
    return dt.date(year, month, 1)


def ended_periods(cadence, today):
    """``[(period key, due date)]`` for the last finished periods, newest first."""
    grace = dt.timedelta(days=grace_days())
    result = []
    if cadence == Cadence.MONTHLY:
        for back in range(1, LOOKBACK[cadence] + 1):
            start = _month_start(today.year, today.month - back)
            end = _month_start(start.year, start.month + 1)
            result.append((f"{start:%Y-%m}", end + grace))
    elif cadence == Cadence.QUARTERLY:
        quarter = (today.month - 1) // 3
        for back in range(1, LOOKBACK[cadence] + 1):
            start = _month_start(today.year, quarter * 3 + 1 - 3 * back)
            end = _month_start(start.year, start.month + 3)
            result.append((f"{start.year}-Q{(start.month - 1) // 3 + 1}", end + grace))
    elif cadence == Cadence.YEARLY:
        for back in range(1, LOOKBACK[cadence] + 1):
            year = today.year - back
            result.append((str(year), dt.date(year + 1, 1, 1) + grace))
    return result


def due_on(category, period):
    """The date a disclosure of ``category`` for ``period`` is due (its period's end plus the grace days), or None
    for per-event categories and period keys that do not fit the cadence. The review queues sort by it."""
    grace = dt.timedelta(days=grace_days())
    try:
        if category.cadence == Cadence.MONTHLY and len(period) == 7:
            start = dt.date(int(period[:4]), int(period[5:7]), 1)
            return _month_start(start.year, start.month + 1) + grace
        if category.cadence == Cadence.QUARTERLY and len(period) == 7 and period[5] == "Q":
            return _month_start(int(period[:4]), int(period[6]) * 3 + 1) + grace
        if category.cadence == Cadence.YEARLY and len(period) == 4:
            return dt.date(int(period) + 1, 1, 1) + grace
    except ValueError:
        return None
    return None


class Standing:
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    PENDING = "pending"


STANDING_LABELS = {
    Standing.ON_TIME: _("按时公开"),
    Standing.LATE: _("逾期后公开"),
    Standing.OVERDUE: _("逾期未公开"),
    Standing.PENDING: _("未到期"),
}


@dataclass
class Obligation:
    division: object
    category: Category
    period: str
    phase: str
    due: dt.date
    disclosure: Disclosure | None
    standing: str

    @property
    def standing_label(self):
        return STANDING_LABELS[self.standing]

    @property
    def is_overdue(self):
        return self.standing == Standing.OVERDUE


def _owed(villages, today):
    """``(wanted, rows)``: each recent period's obligation key → (category, due date), and the disclosures of
    ``villages`` that could meet one (a queryset, not yet read)."""
    categories = [c for c in Category.objects.filter(is_active=True) if c.cadence in LOOKBACK]
    wanted = {}
    for category in categories:
        phase = Phase.POST if category.kind == Kind.ROSTER else Phase.SINGLE
        for period, due in ended_periods(category.cadence, today):
            wanted[(category.pk, period, phase)] = (category, due)
    periods = {p for (_, p, _) in wanted}
    return wanted, Disclosure.objects.filter(division__in=villages, category__in=categories, period__in=periods)


def standings(villages, *, today=None):
    """``{(village id, standing): count}`` over what ``villages`` owe for the recent periods: ``obligations``'
    standings without building a model instance or an Obligation per item (乡镇统计 counts a county's 412
    villages × every category and period: ~7,000 disclosures). Two queries."""
    today = today or timezone.localdate()
    villages = list(villages)
    wanted, rows = _owed(villages, today)
    published = {
        (division_id, category_id, period, phase): timezone.localdate(at)
        for division_id, category_id, period, phase, at in rows.filter(first_published_at__isnull=False).values_list(
            "division_id", "category_id", "period", "phase", "first_published_at"
        )
    }
    counts = {}
    for village in villages:
        for (category_id, period, phase), (_category, due) in wanted.items():
            on = published.get((village.pk, category_id, period, phase))
            if on is not None:
                standing = Standing.ON_TIME if on <= due else Standing.LATE
            else:
                standing = Standing.OVERDUE if due < today else Standing.PENDING
            counts[village.pk, standing] = counts.get((village.pk, standing), 0) + 1
    return counts


def obligations(villages, *, today=None, only_overdue=False):
    """What ``villages`` owe for the recent periods, with their standing. Two queries.

    ``only_overdue`` (the admin's and the public pages' warning lists, 412 villages at once on a county's
    staff page) reads only the keys of what was published, as tuples: no model instance per disclosure.
    """
    today = today or timezone.localdate()
    villages = list(villages)
    wanted, rows = _owed(villages, today)
    if only_overdue:
        return _overdue(villages, wanted, today, _published_keys(rows))
    found = {
        (d.division_id, d.category_id, d.period, d.phase): d
        for d in rows.only("pk", "division_id", "category_id", "period", "phase", "status", "first_published_at")
    }
    result = []
    for village in villages:
        for (category_id, period, phase), (category, due) in wanted.items():
            disclosure = found.get((village.pk, category_id, period, phase))
            published = disclosure.first_published_at if disclosure else None
            if published is not None:
                standing = Standing.ON_TIME if timezone.localdate(published) <= due else Standing.LATE
            else:
                standing = Standing.OVERDUE if due < today else Standing.PENDING
            result.append(Obligation(village, category, period, phase, due, disclosure, standing))
    result.sort(key=lambda o: (o.division.path, o.category.sort_order, o.period))
    return result


def _published_keys(rows):
    published = rows.filter(first_published_at__isnull=False)
    return set(published.values_list("division_id", "category_id", "period", "phase"))


def _overdue(villages, wanted, today, published):
    """The obligations past their due date with nothing published (``disclosure`` None: only the gap matters)."""
    result = [
        Obligation(village, category, period, phase, due, None, Standing.OVERDUE)
        for village in villages
        for (category_id, period, phase), (category, due) in wanted.items()
        if due < today and (village.pk, category_id, period, phase) not in published
    ]
    result.sort(key=lambda o: (o.division.path, o.category.sort_order, o.period))
    return result
