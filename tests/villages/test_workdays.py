import datetime

from villages.models import CalendarDay
from villages.workdays import WORKING, add_days, is_workday, missing_years, next_workday, seed_calendar

D = datetime.date


def test_seed_calendar_holds_2026_holidays_and_makeup_days(db):
    summary = seed_calendar()
    assert "calendar" in summary
    assert CalendarDay.objects.get(date=D(2026, 2, 17)).is_workday is False  # 春节
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).is_workday is False  # 国庆
    makeup = CalendarDay.objects.get(date=D(2026, 2, 14))  # Saturday, 春节调休上班
    assert makeup.is_workday is True and "调休" in makeup.note
    assert set(CalendarDay.objects.filter(is_workday=True, date__year=2026).values_list("date", flat=True)) == {
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    }
    assert CalendarDay.objects.filter(date__year=2027, is_workday=False).exists()


def test_seed_calendar_is_idempotent_and_keeps_admin_edits(db):
    seed_calendar()
    count = CalendarDay.objects.count()
    CalendarDay.objects.filter(date=D(2026, 6, 19)).update(note="县里改过")
    assert "0 new days" in seed_calendar()
    assert CalendarDay.objects.count() == count
    assert CalendarDay.objects.get(date=D(2026, 6, 19)).note == "县里改过"


def test_weekday_rule_without_rows(db):
    assert is_workday(D(2026, 3, 2))  # Monday
    assert not is_workday(D(2026, 3, 7))  # Saturday
    assert next_workday(D(2026, 3, 7)) == D(2026, 3, 9)


def test_holiday_and_makeup_day(db):
    seed_calendar()
    assert not is_workday(D(2026, 10, 5))  # Monday in 国庆
    assert is_workday(D(2026, 10, 10))  # Saturday make-up day
    assert next_workday(D(2026, 10, 1)) == D(2026, 10, 8)


def test_working_days_across_national_day_and_makeup_saturday(db):
    seed_calendar()
    # From Tue 2026-09-29: 9-30 (1), [10-1..10-7 off], 10-8 (2), 10-9 (3), Sat 10-10 make-up (4), 10-12 (5)
    assert add_days(D(2026, 9, 29), 5, WORKING) == D(2026, 10, 12)
    # Without the make-up Saturday it would have been 10-13.
    CalendarDay.objects.filter(date=D(2026, 10, 10)).delete()
    assert add_days(D(2026, 9, 29), 5, WORKING) == D(2026, 10, 13)


def test_calendar_deadline_on_rest_day_moves_to_next_workday(db):
    seed_calendar()
    # 15 calendar days after 2026-09-17 is 10-02 (国庆) → next working day 10-08.
    assert add_days(D(2026, 9, 17), 15) == D(2026, 10, 8)
    # Landing on the make-up Saturday 2026-02-14 stays there.
    assert add_days(D(2026, 1, 30), 15) == D(2026, 2, 14)
    # Landing on an ordinary weekday stays.
    assert add_days(D(2026, 3, 2), 15) == D(2026, 3, 17)


def test_missing_years_warns_about_next_year(db):
    assert missing_years(D(2026, 11, 23)) == [2026, 2027]
    seed_calendar(years=(2026,))
    assert missing_years(D(2026, 11, 23)) == [2027]
    seed_calendar()
    assert missing_years(D(2026, 11, 23)) == []


def test_calendar_admin_warns_when_next_years_days_are_missing(client, county_admin):
    from villages.models import CalendarDay

    CalendarDay.objects.all().delete()
    client.force_login(county_admin)
    page = client.get("/admin/villages/calendarday/", follow=True).content.decode()
    assert "节假日日历缺少" in page
