"""The background worker's safety net (portal.worker): lost tasks found again, passing faults retried with a
growing delay up to TASKS_MAX_ATTEMPTS, old results pruned, and two recoverers at once moving each task once."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, connections
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from portal import worker
from portal.models import WorkerHeartbeat
from sunshine.background import enqueue, failure_reason

RUNS = {"flaky": 0}


@task()
def flaky_task(failures):
    """Fails with a database error ``failures`` times, then succeeds."""
    RUNS["flaky"] += 1
    if RUNS["flaky"] <= failures:
        raise OperationalError("connection refused")
    return "done"


@task()
def broken_task():
    raise ValueError("第 3 行数据不对")


@task()
def redis_away_task():
    import redis

    raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture(autouse=True)
def _fresh_runs(settings):
    RUNS["flaky"] = 0
    settings.TASKS_RETRY_DELAY = 0
    settings.TASKS_MAX_ATTEMPTS = 3
    settings.TASKS_WORKER_LOST_AFTER = 60


def running(result_id, *, worker_id, started_ago):
    """Make a queued task look claimed by ``worker_id`` ``started_ago`` seconds ago."""
    started = timezone.now() - datetime.timedelta(seconds=started_ago)
    DBTaskResult.objects.filter(pk=result_id).update(
        status=TaskResultStatus.RUNNING, started_at=started, worker_ids=[worker_id]
    )


def row(result):
    return DBTaskResult.objects.get(pk=result.id)


def recovering_worker(worker_id):
    return worker.RecoveringWorker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def test_a_task_whose_worker_stopped_beating_is_failed_as_lost_and_then_queued_again(db, run_tasks):
    result = enqueue(flaky_task, 0)
    running(result.id, worker_id="gone", started_ago=120)
    WorkerHeartbeat.objects.create(
        worker_id="gone", host="h", pid=1, started_at=timezone.now(), seen_at=timezone.now() - datetime.timedelta(99)
    )

    assert worker.recover_lost_tasks() == 1
    lost = row(result)
    assert lost.status == TaskResultStatus.FAILED and lost.exception_class_path == "sunshine.background.WorkerLost"
    assert "工作进程在运行中中断" in failure_reason(lost.exception_class_path, lost.traceback)
    assert worker.recover_lost_tasks() == 0  # idempotent

    assert worker.retry_failed_tasks() == 1
    queued = row(result)
    assert (queued.status, queued.worker_ids, queued.finished_at) == (TaskResultStatus.READY, ["gone"], None)
    run_tasks()
    done = row(result)
    assert (done.status, done.return_value, len(done.worker_ids)) == (TaskResultStatus.SUCCESSFUL, "done", 2)
    assert done.exception_class_path == ""  # a success clears the earlier failure


def test_a_task_of_a_live_worker_or_one_just_claimed_is_left_alone(db):
    beating = enqueue(flaky_task, 0)
    running(beating.id, worker_id="alive", started_ago=600)
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="alive", host="h", pid=1, started_at=now, seen_at=now)
    fresh = enqueue(flaky_task, 0)
    running(fresh.id, worker_id="starting", started_ago=5)  # no heartbeat yet, but claimed only 5 s ago

    assert worker.recover_lost_tasks() == 0
    assert {row(beating).status, row(fresh).status} == {TaskResultStatus.RUNNING}


def test_a_passing_fault_is_retried_until_the_last_attempt_then_stays_failed_with_its_reason(db, run_tasks):
    result = enqueue(flaky_task, 99)
    for _attempt in range(3):
        run_tasks()
        assert row(result).status == TaskResultStatus.FAILED
        worker.retry_failed_tasks()
    failed = row(result)
    assert (failed.status, len(failed.worker_ids), RUNS["flaky"]) == (TaskResultStatus.FAILED, 3, 3)
    assert failure_reason(failed.exception_class_path, failed.traceback) == (
        "django.db.utils.OperationalError: connection refused"
    )


def test_a_passing_fault_then_success_ends_successful(db, run_tasks):
    result = enqueue(flaky_task, 1)
    run_tasks()
    assert worker.retry_failed_tasks() == 1
    run_tasks()
    assert (row(result).status, RUNS["flaky"]) == (TaskResultStatus.SUCCESSFUL, 2)


def test_redis_away_is_a_passing_fault_too(db, run_tasks):
    result = enqueue(redis_away_task)
    run_tasks()
    assert row(result).exception_class_path == "redis.exceptions.ConnectionError"
    assert worker.retry_failed_tasks() == 1 and row(result).status == TaskResultStatus.READY


def test_a_failure_of_the_task_itself_is_not_retried(db, run_tasks):
    result = enqueue(broken_task)
    run_tasks()
    assert worker.retry_failed_tasks() == 0
    failed = row(result)
    assert failed.status == TaskResultStatus.FAILED and len(failed.worker_ids) == 1
    assert failure_reason(failed.exception_class_path, failed.traceback) == "ValueError: 第 3 行数据不对"


def test_retries_wait_longer_each_time(db, settings, run_tasks):
    settings.TASKS_RETRY_DELAY = 10
    assert [worker.retry_delay(n) for n in (1, 2, 3, 20)] == [10, 20, 40, 3600]
    result = enqueue(flaky_task, 1)
    run_tasks()
    finished_at = row(result).finished_at
    assert worker.retry_failed_tasks() == 1
    assert row(result).run_after == finished_at + datetime.timedelta(seconds=10)
    run_tasks()  # not due yet: the worker leaves it
    assert row(result).status == TaskResultStatus.READY and RUNS["flaky"] == 1


def test_a_task_whose_outcome_could_not_be_written_is_recorded_once_the_database_answers(db):
    result = enqueue(flaky_task, 0)
    running(result.id, worker_id="me", started_ago=1)
    recovering = recovering_worker("me")
    claimed = row(result)
    recovering.unrecorded[claimed.pk] = (claimed.started_at, OperationalError("server closed the connection"))
    recovering.record_unrecorded()
    failed = row(result)
    assert failed.status == TaskResultStatus.FAILED and recovering.unrecorded == {}
    assert failed.exception_class_path == "django.db.utils.OperationalError"
    assert worker.retry_failed_tasks() == 1


def test_a_late_outcome_never_fails_the_run_another_worker_has_since_claimed(db):
    result = enqueue(flaky_task, 0)
    running(result.id, worker_id="me", started_ago=300)
    first_claim = row(result).started_at
    running(result.id, worker_id="other", started_ago=1)  # lost, retried, and claimed by another worker since
    recovering = recovering_worker("me")
    recovering.unrecorded[row(result).pk] = (first_claim, OperationalError("server closed the connection"))
    recovering.record_unrecorded()
    assert row(result).status == TaskResultStatus.RUNNING and row(result).worker_ids == ["other"]


def test_old_results_are_pruned_failed_ones_kept_longer(db, run_tasks):
    done, failed = enqueue(flaky_task, 0), enqueue(broken_task)
    run_tasks()
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    DBTaskResult.objects.update(finished_at=ten_days_ago)
    assert worker.background_tasks_tick() == "recovered 0, retried 0, pruned 1"
    assert [str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)] == [failed.id]
    assert not DBTaskResult.objects.filter(pk=done.id).exists()


def test_the_worker_command_runs_queued_tasks_and_signs_off(db, run_tasks):
    # run_tasks: keeps the worker loop from closing the test transaction's connection
    result = enqueue(flaky_task, 0)
    call_command("worker", batch=True, startup_delay=False, interval=0, verbosity=0)
    assert row(result).status == TaskResultStatus.SUCCESSFUL
    (worker_id,) = row(result).worker_ids
    assert not WorkerHeartbeat.objects.filter(worker_id=worker_id).exists()  # a worker that stops removes its row


# ---------------------------------------------------------------- two recoverers at once (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_recoverers_at_once_move_each_lost_task_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent recoverers need PostgreSQL's row-level concurrency")
    results = [enqueue(flaky_task, 0) for _ in range(20)]
    for result in results:
        running(result.id, worker_id="gone", started_ago=300)
    barrier = threading.Barrier(2)
    counts = {"recovered": [], "retried": []}

    def recoverer():
        try:
            barrier.wait(timeout=30)
            counts["recovered"].append(worker.recover_lost_tasks())
            barrier.wait(timeout=30)
            counts["retried"].append(worker.retry_failed_tasks())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=recoverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts["recovered"]) == 20 and sum(counts["retried"]) == 20
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {TaskResultStatus.READY}
    assert {len(ids) for ids in DBTaskResult.objects.values_list("worker_ids", flat=True)} == {1}


def test_the_worker_settings_have_their_documented_defaults():
    from sunshine import settings as project_settings

    assert project_settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert (
        project_settings.TASKS_WORKER_LOST_AFTER,
        project_settings.TASKS_MAX_ATTEMPTS,
        project_settings.TASKS_RETRY_DELAY,
        project_settings.TASKS_KEEP_DAYS,
        project_settings.TASKS_KEEP_FAILED_DAYS,
    ) == (60, 5, 10, 7, 30)
