"""Benchmark: the bulletin PDF of a published roster, rendered as the worker renders it, and served.

Run:  .venv/bin/python bench/bench_bulletin.py [--rows 500 5000] [--rounds 3] [--part-rows 1000]

It builds a throw-away SQLite database and private storage in a temporary directory, publishes one 低保 roster
per size through the services, then runs the render task's body (``bulletin_render_and_store``: HTML from the
database, one forkserver child per part, ``pdfunite``, atomic store) ``--rounds`` times per size, the first
one cold (it starts the forkserver). Prints the median wall time, the largest peak resident memory of any
rendering child (VmHWM) and the worker's own peak; then serves the stored 500-row PDF through the full stack
(test client) and prints the median. Goals: 500 rows ≤ 2.5 s, 5,000 rows ≤ 400 MB in the child, served ≤ 20 ms.
``--part-rows 100000`` renders in one pass, for comparison.
"""

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup():
    """Django on a throw-away database. Not at import: the rendering children import this file again (as
    ``__mp_main__``) and must not pay for it."""
    sys.path.insert(0, str(ROOT))
    tmp = tempfile.mkdtemp(prefix="bench-bulletin-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["PRIVATE_MEDIA_ROOT"] = f"{tmp}/private"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    import django

    django.setup()


def build(sizes):
    from django.core.management import call_command

    from disclosures.categories import seed_categories
    from disclosures.models import Category
    from tests import factories as f
    from villages.models import Role

    call_command("migrate", verbosity=0)
    seed_categories()
    county = f.county("基准县", code="990100000000")
    township = f.township(county, "一乡", code="990101000000")
    village = f.village(township, "甲村", code="990101001000")
    staff = [f.staff(name, role, division) for name, role, division in (
        ("clerk", Role.VILLAGE_CLERK, village), ("reviewer", Role.TOWNSHIP_REVIEWER, township),
        ("discipline", Role.TOWNSHIP_DISCIPLINE, township))]  # fmt: skip
    category = Category.objects.get(slug="dibao")
    return {rows: publish(staff, village, category, rows, f"2026-{index:02d}") for index, rows in enumerate(sizes, 1)}


def publish(staff, village, category, rows, period):
    from decimal import Decimal

    from disclosures import services as s
    from disclosures.models import RosterEntry

    clerk, reviewer, discipline = staff
    revision = s.disclosure_open_draft(actor=clerk, division=village, category=category, period=period, phase="pre")
    entries = [
        RosterEntry(name=f"村民{i:04d}", group=f"第{1 + i % 5}村民小组", household_size=1 + i % 4,
                    amount=Decimal(500 + i % 300), assistance_class="AB"[i % 2])
        for i in range(rows)
    ]  # fmt: skip
    s.revision_replace_entries(actor=clerk, revision=revision, entries=entries)
    disclosure = revision.disclosure
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer)
    s.disclosure_approve_discipline(disclosure=disclosure, actor=discipline)
    s.disclosure_publish(disclosure=disclosure, actor=discipline)
    disclosure.refresh_from_db()
    return disclosure


def render(disclosure, rounds):
    from disclosures import bulletin
    from disclosures.models import Bulletin

    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        outcome = bulletin.bulletin_render_and_store(disclosure.current_revision_id, replace=True)
        times.append(time.perf_counter() - start)
        assert outcome.startswith("stored"), outcome
    record = Bulletin.objects.get(revision=disclosure.current_revision_id)
    return times, record


def bare_weasyprint(disclosure, rounds):
    """The same HTML rendered by WeasyPrint in this process, alternating with nothing else: the reference that
    shows what the machine's load does to the figures (a shared machine varies by 5x)."""
    from weasyprint import HTML

    from disclosures import bulletin

    revision = disclosure.current_revision
    revision.disclosure = disclosure
    html = bulletin.bulletin_parts(revision)[0]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        HTML(string=html, base_url=str(ROOT)).write_pdf()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def serve(disclosure, rounds=50):
    from django.test import Client

    from disclosures.views import disclosure_url

    client = Client()
    url = disclosure_url(disclosure, "bulletin", number=disclosure.current_revision.number)
    times = []
    for _ in range(rounds + 3):
        start = time.perf_counter()
        response = client.get(url)
        body = b"".join(response.streaming_content)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200 and body.startswith(b"%PDF"), response.status_code
    return statistics.median(times[3:]) * 1000, len(body)


def main():
    setup()
    from disclosures import bulletin

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part-rows", type=int, default=bulletin.PART_ROWS)
    args = parser.parse_args()
    bulletin.PART_ROWS = args.part_rows
    disclosures = build(args.rows)
    print(f"bulletin PDF of a 低保 roster, parts of {args.part_rows} rows, {args.rounds} rounds (first one cold)")
    for rows, disclosure in disclosures.items():
        times, record = render(disclosure, args.rounds)
        warm = statistics.median(times[1:]) if len(times) > 1 else times[0]
        print(
            f"  {rows:>6} rows: {warm:6.2f} s median warm, {times[0]:6.2f} s cold; {record.pages} pages, "
            f"{record.size / 1024:.0f} KB; rendering child peak {record.peak_kb / 1024:.0f} MB"
        )
    worker_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  worker process peak (HTML from the database, joining, storing): {worker_peak:.0f} MB")
    smallest = disclosures[min(disclosures)]
    reference = bare_weasyprint(smallest, max(args.rounds - 1, 1))
    print(f"  reference: bare WeasyPrint on the same {min(disclosures)}-row HTML in this process: {reference:.2f} s")
    served_ms, size = serve(smallest)
    print(f"  stored {min(disclosures)}-row PDF served (full stack): {served_ms:.2f} ms median ({size} bytes)")
    print("  goals: 500 rows <= 2.5 s; 5,000 rows <= 400 MB in the rendering child; served <= 20 ms")


if __name__ == "__main__":
    main()
