"""Benchmark: the roster import's preview page (every row of the file, 100 a page) for a large file.

Run:  .venv/bin/python bench/bench_import_preview.py [--rows 100000] [--rounds 20]

It builds a throw-away SQLite database, uploads a generated CSV of ``--rows`` households (one in a thousand with a
mistyped ID) through the importer's services as a clerk would, then requests the preview's first page, a middle
page and the ``only=problems`` view through the test client, and the import list. Prints the stored preview's size
and each page's median and p95.
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
TMP = tempfile.mkdtemp(prefix="bench-preview-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")

import django  # noqa: E402

django.setup()

import datetime  # noqa: E402
import json  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from disclosures.categories import seed_categories  # noqa: E402
from disclosures.importer.services import roster_import_upload  # noqa: E402
from disclosures.models import Category  # noqa: E402
from sunshine.identity import check_char  # noqa: E402
from tests import factories as f  # noqa: E402
from villages.models import Role  # noqa: E402


def person_id(n):
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=n // 1000)  # unique: a birth date per thousand
    body = f"360123{born:%Y%m%d}{n % 1000:03d}"
    return body + check_char(body)


def csv_file(rows):
    lines = ["序号,户主姓名,身份证号码,村民小组,保障人数,月保障金额（元）"]
    for n in range(1, rows + 1):
        pid = person_id(n) if n % 1000 else person_id(n)[:-1] + ("0" if person_id(n)[-1] != "0" else "1")
        lines.append(f"{n},村民{n:06d},{pid},{1 + n % 5}组,{1 + n % 4},{500 + n % 300}")
    return "\n".join(lines).encode("utf-8")


def timed(client, url, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    seed_categories()
    county = f.county("基准县", code="990100000000")
    village = f.village(f.township(county, "一乡", code="990101000000"), "甲村", code="990101001000")
    for number in range(1, 6):
        f.group(village, f"第{number}村民小组", sort_order=number)
    clerk = f.staff("clerk", Role.VILLAGE_CLERK, village)
    started = time.perf_counter()
    job = roster_import_upload(
        actor=clerk, division=village, category=Category.objects.get(slug="dibao"), period="2026-11", phase="pre",
        file=csv_file(args.rows), original_name="大名单.csv", background=False,
    )  # fmt: skip
    print(f"upload and validation of {args.rows} rows: {time.perf_counter() - started:.1f} s ({job.status})")
    print(f"stored preview summary: {len(json.dumps(job.result, ensure_ascii=False).encode()) / 1e6:.1f} MB")
    print(f"preview rows (a table, read 100 a page): {job.preview_rows.count()}")
    client = Client()
    client.force_login(clerk)
    preview = reverse("admin:disclosures_importjob_preview", args=[job.pk])
    pages = {
        "preview, first page": preview,
        "preview, middle page": f"{preview}?page={args.rows // 200}",
        "preview, only problems": f"{preview}?only=problems",
        "import list": reverse("admin:disclosures_importjob_changelist"),
    }
    for name, url in pages.items():
        median, p95 = timed(client, url, args.rounds)
        print(f"{name:<24} p50 {median:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
