"""complaints_tick over 100,000 open complaints on PostgreSQL: time and query count for 1k vs 100k due items.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_bench_c .venv/bin/python bench/bench_complaints_tick.py

Creates (or reuses) the database, migrates it, fills it with 100,000 open complaints
spread over 3 townships × 4 villages, then runs the tick twice: once with 1,000 items
overdue and once with all 100,000 overdue. Prints seconds and SQL statements per run.
``BENCH_PYTHON_PATH=1`` also measures the portable path (build_event + audit_record_many);
``BENCH_COMPLAINTS=20000`` changes the size.
"""

import datetime
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sunshine_bench_c")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

TOTAL = int(os.environ.get("BENCH_COMPLAINTS", "100000"))


def ensure_database():
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main():
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    if connection.vendor != "postgresql":
        sys.exit("this benchmark needs PostgreSQL (set DATABASE_URL)")
    call_command("migrate", verbosity=0)

    from complaints.models import Complaint, ComplaintCategory, Status, hash_secret, new_tracking_code
    from complaints.services import complaints_tick
    from villages.models import Division, Level, Role

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE complaints_outbox, complaints_complaintphoto, complaints_complaint CASCADE")
        cursor.execute("TRUNCATE audit_auditseal, audit_auditevent")
    county, _ = Division.objects.get_or_create(code="880100000000", defaults={"name": "基准县", "level": Level.COUNTY})
    villages = []
    for t in range(1, 4):
        township, _ = Division.objects.get_or_create(
            code=f"8801{t:02d}000000", defaults={"name": f"基准乡{t}", "level": Level.TOWNSHIP, "parent": county}
        )
        for v in range(1, 5):
            village, _ = Division.objects.get_or_create(
                code=f"8801{t:02d}{v:03d}000",
                defaults={"name": f"基准村{t}-{v}", "level": Level.VILLAGE, "parent": township},
            )
            villages.append((village, township))
    category = ComplaintCategory.objects.get(service_code="environment")
    now = timezone.now()
    future = now + datetime.timedelta(days=30)
    secret = hash_secret("BENCH1")
    print(f"creating {TOTAL:,} open complaints …", flush=True)
    started = time.perf_counter()
    batch = []
    codes = set()
    for i in range(TOTAL):
        village, township = villages[i % len(villages)]
        code = new_tracking_code()
        while code in codes:
            code = new_tracking_code()
        codes.add(code)
        batch.append(
            Complaint(
                tracking_code=code,
                secret_hash=secret,
                category=category,
                village=village,
                township=township,
                county=county,
                division=village,
                level=Level.VILLAGE,
                handler_role=Role.VILLAGE_CLERK,
                status=Status.SUBMITTED if i % 2 else Status.IN_PROGRESS,
                text="基准",
                submitted_at=now,
                due_at=future,
            )
        )
        if len(batch) == 10000:
            Complaint.objects.bulk_create(batch)
            batch = []
    Complaint.objects.bulk_create(batch)
    print(f"  created in {time.perf_counter() - started:.1f} s", flush=True)

    def run(due_count):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE complaints_complaint SET division_id = village_id, level = 'village', "
                "handler_role = 'village_clerk', escalation_count = 0, due_at = %s",
                [future],
            )
            cursor.execute(
                "UPDATE complaints_complaint SET due_at = %s WHERE id IN "
                "(SELECT id FROM complaints_complaint ORDER BY id LIMIT %s)",
                [now - datetime.timedelta(hours=1), due_count],
            )
            cursor.execute("VACUUM ANALYZE complaints_complaint")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = complaints_tick()
            elapsed = time.perf_counter() - started
        print(f"{TOTAL:,} open, {due_count:,} due: {elapsed:.2f} s, {len(queries)} queries — {result}", flush=True)
        again = time.perf_counter()
        result = complaints_tick()
        print(f"  second run (nothing due): {time.perf_counter() - again:.2f} s — {result}", flush=True)
        return elapsed, len(queries)

    from django.conf import settings

    small = run(min(1000, TOTAL))
    large = run(TOTAL)
    print(f"query count 1k vs {TOTAL // 1000}k due: {small[1]} vs {large[1]} (must not grow)")
    if os.environ.get("BENCH_PYTHON_PATH"):
        settings.COMPLAINTS_TICK_PYTHON = True
        print("portable path (build_event + audit_record_many), for comparison:")
        run(min(1000, TOTAL))
        run(TOTAL)
    print(
        f"5-second budget: {small[0]:.2f} s with 1k due ({'met' if small[0] < 5 else 'MISSED'}), "
        f"{large[0]:.2f} s with all {TOTAL:,} due ({'met' if large[0] < 5 else 'missed'})"
    )
    if large[1] > small[1]:
        sys.exit("query count grew with the number of items due")
    if small[0] > 5:
        sys.exit("over the 5-second budget")


if __name__ == "__main__":
    main()
