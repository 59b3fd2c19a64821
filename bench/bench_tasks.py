"""Background validation benchmark: time from a roster upload to 可导入 with `manage.py worker` running.

    .venv/bin/python bench/bench_tasks.py [--rows 10000] [--repeat 3] [--database-url postgres://…/sunshine_bench_t]

A fresh database (SQLite file in a temporary directory unless --database-url names one, which must be empty or
absent from migrations' point of view) gets the demo county (`seed_demo`); a worker subprocess is started on it; then
clerk_v01 uploads an office-style .xlsx of --rows households (more than ROSTER_IMPORT_SYNC_ROWS, so it is validated
by the task) --repeat times, each into its own period. Printed per run: how long the upload request took (read,
header check, job and task rows written) and upload → 可导入 (queue wait + the worker's validation). The worker polls
every second when idle (`--interval 1`, db_worker's default), so the queue wait is up to a second.
"""

import argparse
import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def people(rows):
    from sunshine.identity import check_char

    start = datetime.date(1950, 1, 1)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
    for i in range(rows):
        birth = start + datetime.timedelta(days=i // 1000)
        body = f"360123{birth:%Y%m%d}{i % 1000:03d}"
        yield {
            "name": surnames[i % 20] + given[(i // 20) % len(given)] + given[(i // 500) % len(given)],
            "id_number": body + check_char(body),
            "group": f"{i % 9 + 1}组",
            "household_size": i % 5 + 1,
            "amount": 300 + i % 900,
            "assistance_class": "A类",
        }


def wait_until(condition, limit=600):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    sys.exit("timed out")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="sunshine-bench-tasks-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="sunshine.settings",
        DATABASE_URL=args.database_url or f"sqlite:///{tmp}/db.sqlite3",
        MEDIA_ROOT=f"{tmp}/media",
        PRIVATE_MEDIA_ROOT=f"{tmp}/private",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from disclosures.importer.demo import office_workbook
    from disclosures.importer.services import roster_import_upload
    from disclosures.models import Category, ImportJob
    from portal.models import WorkerHeartbeat

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115  (closed at exit)
    clerk = get_user_model().objects.get(username="clerk_v01")
    village = clerk.memberships.get().division
    dibao = Category.objects.get(slug="dibao")
    data = office_workbook(list(people(args.rows)), title="低保名单", unit=village.name)

    worker = subprocess.Popen([sys.executable, "manage.py", "worker", "-v", "0"], cwd=ROOT, env=os.environ.copy())
    try:
        wait_until(lambda: WorkerHeartbeat.objects.exists(), limit=60)
        print(f"{args.rows} rows, {len(data) // 1024} KB .xlsx, database {django.db.connection.vendor}")
        for run in range(1, args.repeat + 1):
            started = time.perf_counter()
            job = roster_import_upload(
                actor=clerk,
                division=village,
                category=dibao,
                period=f"2027-{run:02d}",
                phase="pre",
                file=data,
                original_name="名单.xlsx",
            )
            uploaded = time.perf_counter()
            wait_until(lambda job=job: ImportJob.objects.values_list("status", flat=True).get(pk=job.pk) == "ready")
            ready = time.perf_counter()
            print(
                f"run {run}: upload request {uploaded - started:.2f} s (job {job.status}), "
                f"upload → 可导入 {ready - started:.2f} s"
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)


if __name__ == "__main__":
    main()
