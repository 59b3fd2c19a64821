"""Import validation as a background task: nothing lost when a part fails.

- an upload whose transaction fails leaves no file on disk, and a file left by a transaction rolled back later is
  swept by the tick;
- (PostgreSQL) a worker process killed mid-validation: after recovery the job completes on retry;
- (PostgreSQL) the database refused under a running task: the task fails, is retried when the database is back and
  the job completes, nothing partial stored;
- (PostgreSQL) two ticks at once with a job a dead worker left validating: both succeed, the job completes.

The worker runs as a real subprocess (``manage.py worker``) against the test database, with the test's storage.
"""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from disclosures.importer import services as importer
from disclosures.importer.tasks import validate_import_job
from disclosures.models import Disclosure, ImportJob, ImportStatus, RosterEntry
from portal import worker
from portal.models import WorkerHeartbeat

from .corpus import HEADER, csv_bytes, standard_rows
from .factories import roster_category
from .test_concurrency import BIG_ROWS, big_roster

ROOT = Path(__file__).resolve().parents[3]
WAIT = 90  # seconds before a test calls the worker hung


def upload(actor, division, data, *, name="名单.csv"):
    return importer.roster_import_upload(
        actor=actor,
        division=division,
        category=roster_category(),
        period="2026-11",
        phase="pre",
        file=data,
        original_name=name,
    )


def stored_uploads():
    storage = ImportJob._meta.get_field("file").storage
    return sorted(importer._stored_uploads(storage, importer.UPLOADS_DIR))


# ---------------------------------------------------------------- the upload's file never outlives its job


def test_an_upload_whose_transaction_fails_leaves_no_file(world, clerk_v1, monkeypatch):
    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(importer, "audit_record", database_gone)  # the last write inside the upload transaction
    before = stored_uploads()  # (other tests' uploads share the test storage)
    with pytest.raises(OperationalError):
        upload(clerk_v1, world.v1, csv_bytes([HEADER, *standard_rows()], "utf-8"))
    assert ImportJob.objects.count() == 0 and DBTaskResult.objects.count() == 0
    assert stored_uploads() == before


def test_a_large_upload_queues_its_validation_with_the_job(world, clerk_v1, settings):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    job = upload(clerk_v1, world.v1, csv_bytes([HEADER, *standard_rows()], "utf-8"))
    (task,) = DBTaskResult.objects.all()
    assert (task.task_path, task.queue_name, task.args_kwargs) == (
        validate_import_job.module_path,
        "imports",
        {"args": [str(job.pk)], "kwargs": {}},
    )
    assert job.status == ImportStatus.PENDING and job.file.name in stored_uploads()


def test_the_tick_sweeps_uploads_that_no_job_names_once_they_are_an_hour_old(world, clerk_v1):
    job = upload(clerk_v1, world.v1, csv_bytes([HEADER, *standard_rows()], "utf-8"))
    storage = ImportJob._meta.get_field("file").storage
    orphan = storage.save("imports/2026/12/orphan.csv", ContentFile(b"name,id\n"))
    just_written = storage.save("imports/2026/12/in-flight.csv", ContentFile(b"name,id\n"))
    two_hours_ago = time.time() - 7200
    for name in (orphan, job.file.name):
        os.utime(storage.path(name), (two_hours_ago, two_hours_ago))

    assert importer.roster_import_tick() == "swept 1, expired 0"
    assert not storage.exists(orphan)
    assert storage.exists(job.file.name) and storage.exists(just_written)  # the job's file and a fresh one stay
    assert importer.roster_import_tick() == "swept 0, expired 0"


# ---------------------------------------------------------------- a real worker process (PostgreSQL)


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("a worker subprocess needs a database it can share with the test: PostgreSQL")


def database_url(port=None):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(tmp_path):
    """Start ``manage.py worker`` on the test database (through ``port`` when given); all are stopped after."""
    processes = []

    def start(port=None):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sunshine.settings",
            "DATABASE_URL": database_url(port),
            "DB_CONN_MAX_AGE": "0",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            "IDENTITY_HASH_KEY": settings.IDENTITY_HASH_KEY,
            "TASKS_RETRY_DELAY": "0",
            "TASKS_WORKER_LOST_AFTER": "12",  # heartbeat and recovery every 2 s
        }
        log = tmp_path / f"worker-{len(processes)}.log"
        with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--no-startup-delay", "--interval", "0.2", "-v", "0"],
                cwd=ROOT,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        process.log = log
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_for(condition, what, process=None):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}:\n{process.log.read_text()}")
        time.sleep(0.05)
    log = process.log.read_text() if process is not None else ""
    pytest.fail(f"timed out waiting for {what}\n{log}")


def job_status(job):
    return ImportJob.objects.values_list("status", flat=True).get(pk=job.pk)


def the_task():
    (task,) = DBTaskResult.objects.all()
    return task


def assert_validated_once_and_nothing_imported(job, attempts):
    job.refresh_from_db()
    assert job.status == ImportStatus.READY, job.result
    assert job.result["counts"]["rows"] == BIG_ROWS and job.result["counts"]["errors"] == 0
    assert job.rows_processed == BIG_ROWS
    task = the_task()
    assert (task.status, task.return_value, len(task.worker_ids)) == (TaskResultStatus.SUCCESSFUL, "ready", attempts)
    assert Disclosure.objects.count() == 0 and RosterEntry.objects.count() == 0  # validation writes no roster


@pytest.mark.postgres
def test_a_worker_killed_mid_validation_loses_nothing_the_job_completes_on_retry(
    transactional_db, postgres_only, world, clerk_v1, start_worker, run_tasks, settings
):
    settings.TASKS_RETRY_DELAY = 0
    job = upload(clerk_v1, world.v1, big_roster())
    assert job.status == ImportStatus.PENDING

    process = start_worker()
    wait_for(lambda: job_status(job) == ImportStatus.VALIDATING, "the worker claimed the job", process)
    process.send_signal(signal.SIGKILL)  # no chance to clean up: out of memory, power cut
    process.wait(timeout=30)
    task = the_task()
    assert task.status == TaskResultStatus.RUNNING and job_status(job) == ImportStatus.VALIDATING
    (dead_worker,) = task.worker_ids
    assert WorkerHeartbeat.objects.filter(worker_id=dead_worker).exists()  # its last beat stays behind

    # TASKS_WORKER_LOST_AFTER passes without a beat
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.TASKS_WORKER_LOST_AFTER + 1)
    WorkerHeartbeat.objects.filter(worker_id=dead_worker).update(seen_at=long_ago)
    DBTaskResult.objects.update(started_at=long_ago)
    assert worker.background_tasks_tick().startswith("recovered 1, retried 1")
    run_tasks()  # another worker takes the retry
    assert_validated_once_and_nothing_imported(job, attempts=2)


@pytest.mark.postgres
def test_the_database_refused_under_a_running_task_the_task_is_retried_and_nothing_partial_is_stored(
    transactional_db, postgres_only, world, clerk_v1, start_worker, tcp_proxy
):
    job = upload(clerk_v1, world.v1, big_roster())
    db = connection.settings_dict
    proxy = tcp_proxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    process = start_worker(port=proxy.port)
    wait_for(lambda: job_status(job) == ImportStatus.VALIDATING, "the worker claimed the job", process)

    proxy.set_mode("refuse")
    wait_for(lambda: "数据库不可用" in process.log.read_text(), "the worker noticed the outage", process)
    assert process.poll() is None  # it waits the outage out instead of dying
    assert job_status(job) == ImportStatus.VALIDATING and the_task().status == TaskResultStatus.RUNNING

    proxy.set_mode("pass")
    wait_for(lambda: the_task().status == TaskResultStatus.SUCCESSFUL, "the retried task finished", process)
    assert_validated_once_and_nothing_imported(job, attempts=2)
    assert ImportJob.objects.count() == 1 and DBTaskResult.objects.count() == 1


@pytest.mark.postgres
def test_two_ticks_at_once_with_a_job_a_dead_worker_left_validating(
    transactional_db, postgres_only, world, clerk_v1, run_tasks, settings
):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    settings.TASKS_RETRY_DELAY = 0
    job = upload(clerk_v1, world.v1, csv_bytes([HEADER, *standard_rows()], "utf-8"))
    # a worker claimed the task and the job two minutes ago, then died without a heartbeat since
    assert importer.job_claim("claim", where=Q(pk=job.pk)) == 1
    started = timezone.now() - datetime.timedelta(seconds=120)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=started, worker_ids=["dead"])

    barrier = threading.Barrier(2)
    outcomes = []

    def tick():
        out, err = StringIO(), StringIO()
        try:
            barrier.wait(timeout=30)
            call_command("tick", stdout=out, stderr=err)
            outcomes.append(("ok", out.getvalue()))
        except BaseException as exc:  # reported by the test: a tick must exit 0
            outcomes.append(("failed", f"{exc!r}\n{err.getvalue()}"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)

    assert [status for status, _ in outcomes] == ["ok", "ok"], outcomes
    steps = [line for _, out in outcomes for line in out.splitlines() if line.startswith("portal.worker.")]
    recovered = sorted(int(line.split("recovered ")[1].split(",")[0]) for line in steps)
    assert recovered == [0, 1]  # one tick found the lost task, the other found it already moved
    assert the_task().status == TaskResultStatus.READY and job_status(job) == ImportStatus.VALIDATING

    run_tasks()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.result["counts"]["rows"] == 3
    task = the_task()
    assert task.status == TaskResultStatus.SUCCESSFUL and task.worker_ids[0] == "dead" and len(task.worker_ids) == 2


@pytest.mark.postgres
def test_the_database_hung_under_a_running_task_another_worker_takes_it_and_the_late_one_changes_nothing(
    transactional_db, postgres_only, world, clerk_v1, start_worker, tcp_proxy, run_tasks, settings
):
    settings.TASKS_RETRY_DELAY = 0
    job = upload(clerk_v1, world.v1, big_roster())
    db = connection.settings_dict
    proxy = tcp_proxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    process = start_worker(port=proxy.port)
    wait_for(lambda: job_status(job) == ImportStatus.VALIDATING, "the worker claimed the job", process)

    proxy.set_mode("hang")  # the worker's queries (and its heartbeat) now wait for an answer that does not come
    (hung_worker,) = the_task().worker_ids
    # TASKS_WORKER_LOST_AFTER passes without a beat: the tick (on a working connection) finds the task lost
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.TASKS_WORKER_LOST_AFTER + 1)
    WorkerHeartbeat.objects.filter(worker_id=hung_worker).update(seen_at=long_ago)
    DBTaskResult.objects.update(started_at=long_ago)
    assert worker.background_tasks_tick().startswith("recovered 1, retried 1")
    run_tasks()  # another worker validates the job from the start
    assert_validated_once_and_nothing_imported(job, attempts=2)
    validated = ImportJob.objects.values_list("status", "result", "rows_processed").get(pk=job.pk)

    finished_by_retry = the_task().finished_at
    proxy.set_mode("pass")  # the hung worker wakes up and finishes its own, late run
    wait_for(lambda: the_task().finished_at != finished_by_retry, "the late run ended", process)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=WAIT)
    assert ImportJob.objects.values_list("status", "result", "rows_processed").get(pk=job.pk) == validated
    assert the_task().status == TaskResultStatus.SUCCESSFUL and ImportJob.objects.count() == 1
    assert Disclosure.objects.count() == 0 and RosterEntry.objects.count() == 0


def test_choosing_a_large_sheet_queues_its_validation_with_the_move(world, clerk_v1, settings, run_tasks):
    from .test_services import roster_file

    settings.ROSTER_IMPORT_SYNC_ROWS = 2
    data = roster_file(sheets={"11月": [HEADER, *standard_rows()], "10月": [HEADER, standard_rows()[0]]})
    job = upload(clerk_v1, world.v1, data, name="名单.xlsx")
    assert not DBTaskResult.objects.exists()  # two sheets: nothing to validate until the clerk picks one
    job = importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="11月")
    assert job.status == ImportStatus.PENDING and DBTaskResult.objects.count() == 1
    run_tasks()
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.result["counts"]["rows"] == 3
    job = importer.roster_import_choose_sheet(job=job, actor=clerk_v1, sheet_name="10月")  # small: inline
    assert job.status == ImportStatus.READY and DBTaskResult.objects.count() == 1
