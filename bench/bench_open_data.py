"""Benchmark: open-data downloads and the catalogue through the full stack (test client, SQLite).

Run:  .venv/bin/python bench/bench_open_data.py [--rows 500,5000] [--datasets 1000] [--rounds 10]

It builds a throw-away SQLite database in a temporary directory and publishes, through the services, one 低保
roster per size in ``--rows`` and ``--datasets`` one-row rosters spread over villages and months. Then it times
(median of ``--rounds``): each roster's CSV and xlsx download, a revalidation that answers 304, the catalogue
page (/data/, 30 per page), the JSON catalogue (/data/catalog.json, 500 datasets a page) and its 304.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="bench-open-data-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from disclosures import open_data  # noqa: E402
from disclosures import services as s  # noqa: E402
from disclosures.categories import seed_categories  # noqa: E402
from disclosures.models import Category, RosterEntry  # noqa: E402
from tests import factories as f  # noqa: E402
from villages.models import Role  # noqa: E402

MONTHS = [f"{year}-{month:02d}" for year in range(2000, 2100) for month in range(1, 13)]


def publish(crew, village, category, period, rows):
    clerk, reviewer, discipline = crew
    revision = s.disclosure_open_draft(actor=clerk, division=village, category=category, period=period, phase="pre")
    entries = [
        RosterEntry(name=f"村民{i:05d}", group=f"第{1 + i % 5}村民小组", household_size=1 + i % 4,
                    amount=Decimal(500 + i % 300), assistance_class="AB"[i % 2])
        for i in range(rows)
    ]  # fmt: skip
    s.revision_replace_entries(actor=clerk, revision=revision, entries=entries)
    d = revision.disclosure
    s.disclosure_submit(disclosure=d, actor=clerk)
    s.disclosure_approve_township(disclosure=d, actor=reviewer)
    s.disclosure_approve_discipline(disclosure=d, actor=discipline)
    s.disclosure_publish(disclosure=d, actor=discipline)
    d.refresh_from_db()
    return d


def build(sizes, datasets):
    call_command("migrate", verbosity=0)
    seed_categories()
    county = f.county("基准县", code="990100000000")
    township = f.township(county, "一乡", code="990101000000")
    villages = [f.village(township, f"{n}村", code=f"990101{n:03d}000") for n in range(1, 11)]
    clerks = {v.pk: f.staff(f"clerk{v.pk}", Role.VILLAGE_CLERK, v) for v in villages}
    reviewer = f.staff("reviewer", Role.TOWNSHIP_REVIEWER, township)
    discipline = f.staff("discipline", Role.TOWNSHIP_DISCIPLINE, township)
    dibao, tekun = Category.objects.get(slug="dibao"), Category.objects.get(slug="tekun")
    big = [publish((clerks[villages[0].pk], reviewer, discipline), villages[0], tekun, MONTHS[i], n)
           for i, n in enumerate(sizes)]  # fmt: skip
    started = time.perf_counter()
    for n in range(datasets):
        village = villages[n % len(villages)]
        publish((clerks[village.pk], reviewer, discipline), village, dibao, MONTHS[n // len(villages)], 1)
    print(f"published {datasets} one-row rosters in {time.perf_counter() - started:.1f} s (setup, not timed below)")
    return big


def median_ms(client, url, rounds, fresh=False, **headers):
    """Median time of ``rounds`` requests; ``fresh``: the cache is emptied before each (the file is written)."""
    times, status = [], None
    for _ in range(rounds):
        if fresh:
            cache.clear()
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append(time.perf_counter() - start)
        status = response.status_code
    return statistics.median(times) * 1000, status, response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="500,5000")
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    sizes = [int(n) for n in args.rows.split(",")]
    big = build(sizes, args.datasets)
    client = Client()
    print(f"open data, SQLite, full request through the test client, median of {args.rounds}")
    for size, disclosure in zip(sizes, big):
        for fmt in open_data.FORMATS:
            url = open_data.download_url(disclosure, 1, fmt)
            client.get(url)  # warm up
            written, status, response = median_ms(client, url, args.rounds, fresh=True)
            assert status == 200
            cached, _s, _r = median_ms(client, url, args.rounds)
            again, status304, _r = median_ms(client, url, args.rounds, HTTP_IF_NONE_MATCH=response["ETag"])
            assert status304 == 304
            print(f"  {size:>6} rows {fmt:<4} ({len(response.content) / 1024:6.1f} KB): written {written:8.2f} ms, "
                  f"cached {cached:6.2f} ms, revalidated (304) {again:6.2f} ms")  # fmt: skip
    for url in ("/data/", "/data/catalog.json"):
        client.get(url)
        written, status, response = median_ms(client, url, args.rounds, fresh=True)
        assert status == 200
        line = f"  {url:<20} ({len(response.content) / 1024:6.1f} KB): {written:8.2f} ms"
        if "ETag" in response:
            cached, _s, _r = median_ms(client, url, args.rounds)
            again, status304, _r = median_ms(client, url, args.rounds, HTTP_IF_NONE_MATCH=response["ETag"])
            assert status304 == 304
            line += f" written, cached {cached:6.2f} ms, revalidated (304) {again:6.2f} ms"
        print(line)
    print(f"  ({args.datasets + len(sizes)} public disclosures in the catalogue)")


if __name__ == "__main__":
    main()
