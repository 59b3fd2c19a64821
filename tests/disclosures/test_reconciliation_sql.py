"""The SQL reconciliation (异常线索) gives the anomalies the Python one gives, row for row.

The Python ``reconcile`` stays the reference (and the public comparison page); these tests compare both on the
demo county and on randomized villages: people matched by ID or by name and group, amounts changed, missing
(None) or repeated, pre rosters named explicitly or found by period, months without a notice or a payout.
"""

import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures.demo import demo_id
from disclosures.models import Disclosure, Phase
from disclosures.reconciliation import reconcile
from disclosures.reconciliation_sql import anomaly_rows
from disclosures.selectors import public_disclosures
from tests.disclosures.helpers import entry, published_roster


def _key(row):
    return (row.name, row.group, str(row.outcome), row.announced, row.previous, row.paid)


def reference(posts):
    """The Python reconciliation's anomalous rows per payout, as the 异常线索 page used to list them."""
    expected = {}
    for post in posts:
        result = reconcile(post)
        if result.previous is None and not result.pres:
            continue
        rows = [_key(r) for r in result.rows if r.is_anomaly]
        if rows:
            expected[post.pk] = rows
    return expected


def computed(posts):
    return {post_id: [_key(r) for r in rows] for post_id, rows in anomaly_rows(posts).items()}


def assert_same_as_reference():
    posts = public_disclosures().filter(phase=Phase.POST)
    expected = reference(list(posts))
    assert expected, "the data set has anomalies to compare"
    assert computed(posts) == expected


def test_demo_county_gives_the_same_anomalies(db):
    call_command("seed_demo", verbosity=0)
    assert_same_as_reference()


PEOPLE = [(f"村民{i}", demo_id(700 + i) if i % 4 else None, "一组" if i % 3 else "二组") for i in range(14)]
AMOUNTS = [300, 300, 300, 450, 520, None]


def _random_rows(rng):
    rows = []
    for name, id_number, group in rng.sample(PEOPLE, rng.randint(3, 9)):
        rows.append(entry(name, rng.choice(AMOUNTS), id_number=id_number, group=group))
    if rng.random() < 0.3:  # the same person typed twice on one roster: the later line counts
        name, id_number, group = rng.choice(PEOPLE)
        rows.append(entry(name, rng.choice(AMOUNTS), id_number=id_number, group=group))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomized_villages_give_the_same_anomalies(world, categories, crew, seed):
    rng = random.Random(seed)
    for category in (categories["dibao"], categories["tekun"]):
        pres = []
        for month in ("2026-07", "2026-08", "2026-09", "2026-10"):
            if rng.random() < 0.6:
                pres.append(
                    published_roster(*crew, world.v1, category, period=month, rows=_random_rows(rng))
                )
            if rng.random() < 0.75:
                named = rng.choice(pres) if pres and rng.random() < 0.4 else None  # may be an older notice
                published_roster(
                    *crew, world.v1, category, period=month, phase="post", pre=named, rows=_random_rows(rng)
                )
    assert_same_as_reference()


def test_one_query_however_many_payouts_and_entries(world, categories, crew):
    def people(first, last):
        return [entry(f"村民{i}", 300, id_number=demo_id(800 + i)) for i in range(first, last)]

    dibao, tekun = categories["dibao"], categories["tekun"]
    published_roster(*crew, world.v1, dibao, period="2026-09", phase="post", rows=people(0, 2))
    published_roster(*crew, world.v1, dibao, period="2026-10", phase="post", rows=people(1, 3))
    with CaptureQueriesContext(connection) as few:
        assert len(anomaly_rows(Disclosure.objects.all())) == 1
    published_roster(*crew, world.v1, tekun, period="2026-09", phase="post", rows=people(0, 20))
    published_roster(*crew, world.v1, tekun, period="2026-10", phase="post", rows=people(5, 30))
    with CaptureQueriesContext(connection) as many:
        assert len(anomaly_rows(Disclosure.objects.all())) == 2
    assert len(few.captured_queries) == len(many.captured_queries) == 1
