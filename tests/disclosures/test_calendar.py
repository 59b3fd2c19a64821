"""The disclosure calendar: owed periods from cadences, standing on time / late / overdue."""

import datetime as dt

from django.utils import timezone

from disclosures.calendar import Standing, ended_periods, obligations, standings
from disclosures.models import Cadence, Disclosure
from tests.disclosures.helpers import draft_ledger, entry, published_roster


def test_ended_periods_per_cadence(settings):
    settings.DISCLOSURE_GRACE_DAYS = 10
    today = dt.date(2026, 1, 15)
    assert ended_periods(Cadence.MONTHLY, today) == [
        ("2025-12", dt.date(2026, 1, 11)),
        ("2025-11", dt.date(2025, 12, 11)),
        ("2025-10", dt.date(2025, 11, 11)),
    ]
    assert ended_periods(Cadence.QUARTERLY, today) == [
        ("2025-Q4", dt.date(2026, 1, 11)),
        ("2025-Q3", dt.date(2025, 10, 11)),
    ]
    assert ended_periods(Cadence.YEARLY, today) == [("2025", dt.date(2026, 1, 11))]
    assert ended_periods(Cadence.PER_EVENT, today) == []


def test_standing_of_each_obligation(world, categories, crew, settings):
    settings.DISCLOSURE_GRACE_DAYS = 10
    tz = timezone.get_current_timezone()
    paid = published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="post",
                            rows=[entry("张三", 500)])  # fmt: skip
    Disclosure.objects.filter(pk=paid.pk).update(first_published_at=dt.datetime(2026, 11, 3, 9, tzinfo=tz))
    draft_ledger(crew[0], world.v1, categories["caiwu"], period="2026-10")  # a draft does not count

    def standing(today, slug, period="2026-10", village=None):
        items = {(o.category.slug, o.period): o for o in obligations([village or world.v1], today=today)}
        return items[(slug, period)].standing

    assert standing(dt.date(2026, 11, 5), "dibao") == Standing.ON_TIME
    assert standing(dt.date(2026, 11, 5), "caiwu") == Standing.PENDING
    assert standing(dt.date(2026, 11, 20), "caiwu") == Standing.OVERDUE
    assert standing(dt.date(2026, 11, 20), "dibao", "2026-09") == Standing.OVERDUE
    Disclosure.objects.filter(pk=paid.pk).update(first_published_at=dt.datetime(2026, 11, 19, 9, tzinfo=tz))
    assert standing(dt.date(2026, 11, 20), "dibao") == Standing.LATE
    overdue = obligations([world.v1, world.v2], today=dt.date(2026, 11, 20), only_overdue=True)
    assert overdue and all(o.is_overdue for o in overdue)
    assert {o.division for o in overdue} == {world.v1, world.v2}
    assert ("dibao", "2026-10") not in {(o.category.slug, o.period) for o in overdue if o.division == world.v1}


def test_calendar_queries_do_not_grow_with_villages(world, categories, django_assert_num_queries):
    with django_assert_num_queries(2):
        obligations([world.v1])
    with django_assert_num_queries(2):
        obligations([world.v1, world.v2, world.v3])


def test_standings_count_what_obligations_list_in_the_same_queries(world, categories, crew, settings):
    settings.DISCLOSURE_GRACE_DAYS = 10
    tz = timezone.get_current_timezone()
    on_time = published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="post",
                               rows=[entry("张三", 500)])  # fmt: skip
    late = published_roster(*crew, world.v1, categories["dibao"], period="2026-09", phase="post",
                            rows=[entry("李四", 400)])  # fmt: skip
    Disclosure.objects.filter(pk=on_time.pk).update(first_published_at=dt.datetime(2026, 11, 3, 9, tzinfo=tz))
    Disclosure.objects.filter(pk=late.pk).update(first_published_at=dt.datetime(2026, 11, 19, 9, tzinfo=tz))
    villages = [world.v1, world.v2, world.v3]
    for today in (dt.date(2026, 11, 5), dt.date(2026, 11, 20)):
        expected = {}
        for o in obligations(villages, today=today):
            expected[o.division.pk, o.standing] = expected.get((o.division.pk, o.standing), 0) + 1
        assert standings(villages, today=today) == expected
    counted = standings(villages, today=dt.date(2026, 11, 20))
    assert counted[world.v1.pk, Standing.ON_TIME] == 1 and counted[world.v1.pk, Standing.LATE] == 1
    assert (world.v2.pk, Standing.ON_TIME) not in counted and counted[world.v2.pk, Standing.OVERDUE] > 0
