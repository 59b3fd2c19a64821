"""Working days over the county-maintained ``CalendarDay`` table.

A date listed in ``CalendarDay`` is a working day or a rest day as recorded
(holidays, and make-up working days 调休上班 on weekends); any other date follows
the weekday rule (Monday–Friday work). ``add_days`` counts calendar or working
days; a calendar-day deadline that lands on a rest day moves to the next working
day (信访工作条例 counts 日, and a period ending on a holiday ends on the next
working day).
"""

import datetime

from django.utils.translation import gettext as _

from .models import CalendarDay

CALENDAR = "calendar"
WORKING = "working"

# Typed in from the State Council's notices (国务院办公厅关于2026年部分节假日安排的通知,
# 国办发明电〔2025〕7号). The ``holidays`` package (0.109) agrees on the days off for 2026 and
# lists the same make-up working days; both are kept here so a package upgrade cannot
# silently change the calendar.
MAKEUP_WORKDAYS = {
    datetime.date(2026, 1, 4): "元旦调休上班",
    datetime.date(2026, 2, 14): "春节调休上班",
    datetime.date(2026, 2, 28): "春节调休上班",
    datetime.date(2026, 5, 9): "劳动节调休上班",
    datetime.date(2026, 9, 20): "国庆节调休上班",
    datetime.date(2026, 10, 10): "国庆节调休上班",
}
# 2027: the State Council publishes the schedule late in the preceding year. The package's
# rule-based days off are seeded, marked 暂定; the county admin corrects them (and adds the
# make-up working days) once the notice is out.
PROVISIONAL_YEARS = {2027}
SEED_YEARS = (2026, 2027)

NAMES = {
    "New Year's Day": "元旦",
    "Chinese New Year's Eve": "春节",
    "Chinese New Year (Spring Festival)": "春节",
    "Tomb-Sweeping Day": "清明节",
    "Labor Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-Autumn Festival": "中秋节",
    "National Day": "国庆节",
}


def _note(name, year):
    base = name.replace(" (observed)", "")
    label = _("调休放假") if base.startswith("Day off") else NAMES.get(base, base)
    return f"{label}（暂定）" if year in PROVISIONAL_YEARS else label


def official_days(year):
    """``{date: (is_workday, note)}`` for one year: holidays from the package plus typed-in make-up days."""
    import holidays

    days = {}
    for day, name in holidays.country_holidays("CN", years=year).items():
        days[day] = (False, _note(name, year))
    for day, note in MAKEUP_WORKDAYS.items():
        if day.year == year:
            days[day] = (True, note)
    return days


def seed_calendar(years=SEED_YEARS):
    """Idempotent: add missing holiday and make-up days; never overwrite what a county admin edited."""
    existing = set(CalendarDay.objects.filter(date__year__in=years).values_list("date", flat=True))
    rows = []
    for year in years:
        for day, (is_workday, note) in sorted(official_days(year).items()):
            if day not in existing:
                rows.append(CalendarDay(date=day, is_workday=is_workday, note=note))
    CalendarDay.objects.bulk_create(rows)
    total = CalendarDay.objects.filter(date__year__in=years).count()
    return f"节假日日历 / calendar: {len(rows)} new days, {total} listed for {', '.join(map(str, years))}"


def missing_years(today=None):
    """Years (this one and next) with no ``CalendarDay`` rows: the admin warns about them."""
    today = today or datetime.date.today()
    wanted = [today.year, today.year + 1]
    present = set(CalendarDay.objects.filter(date__year__in=wanted).values_list("date__year", flat=True))
    return [y for y in wanted if y not in present]


class Calendar:
    """The rows for a date range, loaded once, so a deadline is one query however many days it spans."""

    def __init__(self, start, end):
        self.overrides = dict(
            CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday")
        )

    def is_workday(self, day):
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def is_workday(day):
    day = _as_date(day)
    return Calendar(day, day).is_workday(day)


def next_workday(day, calendar=None):
    """``day`` itself when it is a working day, else the next working day."""
    day = _as_date(day)
    calendar = calendar or Calendar(day, day + datetime.timedelta(days=40))
    while not calendar.is_workday(day):
        day += datetime.timedelta(days=1)
    return day


def add_days(start, n, unit=CALENDAR):
    """The deadline date ``n`` days after ``start``.

    ``calendar``: start + n days, moved to the next working day when it is a rest day.
    ``working``: the n-th working day after ``start`` (start itself not counted).
    """
    start = _as_date(start)
    span = n * 2 + 60 if unit == WORKING else n + 40
    calendar = Calendar(start, start + datetime.timedelta(days=span))
    if unit == CALENDAR:
        return next_workday(start + datetime.timedelta(days=n), calendar)
    if unit != WORKING:
        raise ValueError(f"unknown unit {unit!r}")
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if calendar.is_workday(day):
            counted += 1
    return day
