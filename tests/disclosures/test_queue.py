"""The reviewers' disclosure queue: unpublished first, earliest due date first (so the overdue lead), published
ones last, whatever the model's default ordering; the due date is the period's end plus the grace days."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from disclosures import services as s
from disclosures.calendar import due_on
from disclosures.models import Category, Disclosure
from tests.disclosures.helpers import draft_roster, entry, published_roster

LIST = "/admin/disclosures/disclosure/"


@pytest.mark.parametrize(
    ("cadence", "period", "due"),
    [
        ("monthly", "2026-11", dt.date(2026, 12, 11)),
        ("monthly", "2026-12", dt.date(2027, 1, 11)),
        ("quarterly", "2026-Q4", dt.date(2027, 1, 11)),
        ("quarterly", "2026-Q1", dt.date(2026, 4, 11)),
        ("yearly", "2026", dt.date(2027, 1, 11)),
        ("per_event", "2026-11-23", None),
        ("monthly", "2026-Q4", None),  # a key that does not fit the cadence has no due date
    ],
)
def test_due_date_is_the_period_end_plus_the_grace_days(settings, cadence, period, due):
    settings.DISCLOSURE_GRACE_DAYS = 10
    assert due_on(Category(cadence=cadence), period) == due


def _month(back):
    today = timezone.localdate()
    month = today.month - back
    year = today.year + (month - 1) // 12
    return f"{year}-{(month - 1) % 12 + 1:02d}"


def _rows(html):
    return re.findall(r'href="/admin/disclosures/disclosure/(\d+)/change/[^"]*">', html)


def test_unpublished_first_overdue_leading_published_last(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    dibao = categories["dibao"]
    assert dibao.cadence == "monthly"
    published_long_ago = published_roster(clerk, reviewer, discipline, world.v1, dibao, period=_month(5))
    due_soon = draft_roster(clerk, world.v1, dibao, period=_month(0), rows=[entry("孙八", 300)])
    s.disclosure_submit(disclosure=due_soon, actor=clerk)
    overdue = draft_roster(clerk, world.v1, dibao, period=_month(3), rows=[entry("孙八", 300)])
    assert Disclosure.objects.get(pk=overdue.pk).due_on < timezone.localdate()
    client.force_login(reviewer)
    html = client.get(LIST).content.decode()
    order = [int(pk) for pk in dict.fromkeys(_rows(html))]
    assert order == [overdue.pk, due_soon.pk, published_long_ago.pk]
    assert html.count("已逾期") >= 1 and html.index("已逾期") < html.index(f"/disclosure/{due_soon.pk}/change/")


def test_the_queue_lists_in_flat_queries(client, world, categories, crew):
    clerk, reviewer, _discipline = crew
    draft_roster(clerk, world.v1, categories["dibao"], period=_month(1), rows=[entry("孙八", 300)])
    client.force_login(reviewer)
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for back in (2, 3, 4):
        draft_roster(clerk, world.v1, categories["dibao"], period=_month(back), rows=[entry("孙八", 300)])
    with CaptureQueriesContext(connection) as four:
        html = client.get(LIST).content.decode()
    assert len(dict.fromkeys(_rows(html))) == 4 and len(four) == len(one)
