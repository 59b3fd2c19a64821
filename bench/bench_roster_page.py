"""Benchmark: a 500-entry roster print view ("全部") against a bare Django template with the same rows.

Run:  .venv/bin/python bench/bench_roster_page.py [--rows 500] [--rounds 30]

It builds a throw-away SQLite database in a temporary directory, publishes one 低保 roster through
the services, then alternates: our full request (URL routing, middleware, view, queries, base
template) and a bare ``Template`` rendering the same rows already in memory. Prints the median of
each and the ratio (goal: ours at least half as fast as the bare template, ratio ≥ 0.5).
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
TMP = tempfile.mkdtemp(prefix="bench-roster-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")

import django  # noqa: E402

django.setup()

from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client  # noqa: E402

from disclosures import services as s  # noqa: E402
from disclosures.categories import seed_categories  # noqa: E402
from disclosures.models import Category, RosterEntry  # noqa: E402
from disclosures.views import disclosure_url  # noqa: E402
from tests import factories as f  # noqa: E402
from villages.models import Role  # noqa: E402

BARE = Template(
    "<!doctype html><html><body><table><thead><tr><th>姓名</th><th>村民小组</th><th>保障人数</th><th>金额</th>"
    "<th>档次</th></tr></thead><tbody>{% for e in rows %}<tr><td>{{ e.name }}</td><td>{{ e.group }}</td>"
    "<td>{{ e.household_size }}</td><td>{{ e.amount }}</td><td>{{ e.assistance_class }}</td></tr>{% endfor %}"
    "</tbody></table></body></html>"
)


def build(rows):
    call_command("migrate", verbosity=0)
    seed_categories()
    county = f.county("基准县", code="990100000000")
    township = f.township(county, "一乡", code="990101000000")
    village = f.village(township, "甲村", code="990101001000")
    clerk = f.staff("clerk", Role.VILLAGE_CLERK, village)
    reviewer = f.staff("reviewer", Role.TOWNSHIP_REVIEWER, township)
    discipline = f.staff("discipline", Role.TOWNSHIP_DISCIPLINE, township)
    category = Category.objects.get(slug="dibao")
    revision = s.disclosure_open_draft(actor=clerk, division=village, category=category, period="2026-10", phase="pre")
    entries = [
        RosterEntry(name=f"村民{i:04d}", group=f"第{1 + i % 5}村民小组", household_size=1 + i % 4,
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    disclosure = build(args.rows)
    url = disclosure_url(disclosure) + "?show=all"
    client = Client()
    rows = list(RosterEntry.objects.filter(revision=disclosure.current_revision).order_by("position"))
    response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count("<tr>") == args.rows + 1
    for _ in range(3):  # warm up both
        client.get(url)
        BARE.render(Context({"rows": rows}))
    ours, bare = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        client.get(url)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        BARE.render(Context({"rows": rows}))
        bare.append(time.perf_counter() - start)
    ours_ms, bare_ms = statistics.median(ours) * 1000, statistics.median(bare) * 1000
    print(f"roster print view, {args.rows} rows, {args.rounds} rounds, median")
    print(f"  ours  (full request, SQLite): {ours_ms:7.2f} ms")
    print(f"  bare  (Template.render only): {bare_ms:7.2f} ms")
    print(f"  speed ratio bare/ours: {bare_ms / ours_ms:.2f} (goal >= 0.50)")


if __name__ == "__main__":
    main()
