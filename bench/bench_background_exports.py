"""Large exports and notification delivery as background tasks: what a request pays now, what the worker pays.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_bench_exports \
        .venv/bin/python bench/bench_background_exports.py

Creates (or reuses) the database, migrates it, fills it with ``BENCH_COMPLAINTS`` (20,000) complaints in one
county and prints, for a county inspector exporting all of them: the inline export (what the web request did
before: query, rows, xlsx), the request's cost when the export becomes a job (count, job row, task row), the
task's run and reading the stored file back; then delivery of ``BENCH_NOTICES`` (2,000) console notices by
``deliver_outbox``: seconds and SQL statements.
"""

import datetime
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sunshine_bench_exports")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

TOTAL = int(os.environ.get("BENCH_COMPLAINTS", "20000"))
NOTICES = int(os.environ.get("BENCH_NOTICES", "2000"))


def ensure_database():
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(label, call, connection):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed * 1000:,.0f} ms, {len(queries)} queries")
    return result


def fill(county):
    from django.utils import timezone

    from complaints.models import Complaint, ComplaintCategory, Status, hash_secret, new_tracking_code
    from villages.models import Division, Level, Role

    Complaint.objects.all().delete()
    township, _ = Division.objects.get_or_create(
        code="880201000000", defaults={"name": "导出乡", "level": Level.TOWNSHIP, "parent": county}
    )
    village, _ = Division.objects.get_or_create(
        code="880201001000", defaults={"name": "导出村", "level": Level.VILLAGE, "parent": township}
    )
    category = ComplaintCategory.objects.get(service_code="environment")
    now, secret, codes, batch = timezone.now(), hash_secret("BENCH1"), set(), []
    while len(codes) < TOTAL:
        codes.add(new_tracking_code())
    for code in codes:
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
                status=Status.SUBMITTED,
                text="基准",
                submitted_at=now,
                due_at=now + datetime.timedelta(days=30),
            )
        )
    Complaint.objects.bulk_create(batch, batch_size=5000)


def main():
    ensure_database()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from complaints import exports, notifications, selectors
    from complaints.models import Outbox, OutboxChannel
    from sunshine.storage import private_storage
    from villages import export_jobs
    from villages.models import Division, ExportJob, Level, Membership, Role

    county, _ = Division.objects.get_or_create(code="880200000000", defaults={"name": "导出县", "level": Level.COUNTY})
    user, _ = get_user_model().objects.get_or_create(username="bench_inspector", defaults={"is_staff": True})
    Membership.objects.get_or_create(user=user, division=county, role=Role.COUNTY_INSPECTOR)
    print(f"creating {TOTAL:,} complaints …", flush=True)
    fill(county)
    queryset = selectors.staff_queue(user).select_related("category", "village", "township", "division")

    timed(
        f"inline export of {TOTAL:,} rows (the request before)",
        lambda: exports.ComplaintExporter(queryset).xlsx(),
        connection,
    )

    def submit():
        queryset.count()
        return export_jobs.export_submit(
            user=user, kind="complaints", params={"query": "", "ids": None}, title="留言投诉"
        )

    import complaints.admin  # noqa: F401  registers the kind, as the admin does at start-up

    job = timed("request when it is a job (count, job, task row)", submit, connection)
    timed("task run_export (worker)", lambda: export_jobs.run_export.call(job.pk), connection)
    job = ExportJob.objects.get(pk=job.pk)

    def read():
        with private_storage().open(job.file) as file:
            return len(file.read())

    size = timed("read the stored file (download)", read, connection)
    print(f"  file {size / 1024:,.0f} KB, {job.row_count:,} rows")
    private_storage().delete(job.file)

    logging.getLogger("complaints.notifications").setLevel(logging.ERROR)
    Outbox.objects.all().delete()
    Outbox.objects.bulk_create(
        Outbox(channel=OutboxChannel.CONSOLE, recipient_label="bench", subject="基准", body="基准")
        for _ in range(NOTICES)
    )
    timed(
        f"deliver_outbox of {NOTICES:,} console notices",
        lambda: notifications.deliver_outbox(limit=NOTICES),
        connection,
    )


if __name__ == "__main__":
    main()
