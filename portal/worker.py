"""The background worker's safety net: heartbeats, lost tasks found again, passing faults retried.

``manage.py worker`` runs django-tasks-db's worker loop (``db_worker``'s ``Worker``) for every queue and adds:

- a **heartbeat**: a thread with its own database connection touches the worker's ``WorkerHeartbeat`` row every
  few seconds;
- **recovery** (``recover_lost_tasks``): a task RUNNING under a worker whose heartbeat is older than
  ``TASKS_WORKER_LOST_AFTER`` was lost with that worker (killed, out of memory, machine gone); it is marked failed
  with ``WorkerLost``, which counts as a passing fault;
- **retries** (``retry_failed_tasks``): a task that failed with a passing fault (database, network, disk, lost
  worker) is queued again with a growing delay, until it has had ``TASKS_MAX_ATTEMPTS`` attempts; after the last
  it stays failed with its reason, for staff to see in 后台任务.

Both run from every worker's heartbeat thread and from ``tick`` (``background_tasks_tick``). Every change is one
conditional UPDATE on the row as it was read (its status and the time that status was set), so two recoverers
running at once move each task once and the loser moves nothing. The attempt count is the row's ``worker_ids``
(each claim appends one), so it survives every move. A task runs at least once and may run twice after its
worker was lost: tasks are written to be idempotent.
"""

import contextlib
import datetime
import io
import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from sunshine.background import TRANSIENT_FAILURES, WorkerLost, will_retry

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = 3600  # seconds; the doubling delay between attempts stops growing here
HEARTBEAT_ROWS_KEPT = datetime.timedelta(days=1)


def heartbeat_seconds():
    """How often a worker touches its heartbeat: several times within TASKS_WORKER_LOST_AFTER."""
    return max(1.0, settings.TASKS_WORKER_LOST_AFTER / 6)


def new_worker_id():
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


def beat(worker_id, *, started_at, now=None):
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "started_at": started_at, "seen_at": now},
    )


# ---------------------------------------------------------------- recovery and retries (idempotent, race-safe)


def _fail_as_lost(task_id, started_at, attempts, now):
    """RUNNING → FAILED (WorkerLost), only if the row is still the run that was read (same claim time)."""
    reason = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}: 工作进程在运行中中断（第 {attempts} 次尝试）"
    return DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=reason,
        return_value=None,
    )


def recover_lost_tasks(*, now=None):
    """Mark failed (WorkerLost) every task RUNNING under a worker that stopped beating. Returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.TASKS_WORKER_LOST_AFTER)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    # started before the cutoff: a worker that has just claimed a task may not have beaten since
    running = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    recovered = 0
    for task_id, started_at, worker_ids in running.values_list("pk", "started_at", "worker_ids"):
        if worker_ids and worker_ids[-1] in alive:
            continue
        recovered += _fail_as_lost(task_id, started_at, len(worker_ids), now)
    return recovered


def retry_delay(attempts):
    """Seconds before attempt ``attempts + 1``: TASKS_RETRY_DELAY, doubled after each attempt, at most an hour."""
    return min(MAX_RETRY_DELAY, settings.TASKS_RETRY_DELAY * 2 ** max(0, attempts - 1))


def retry_failed_tasks(*, now=None):
    """Queue again every task that failed on a passing fault and has attempts left. Returns how many."""
    now = now or timezone.now()
    failed = DBTaskResult.objects.failed().filter(exception_class_path__in=TRANSIENT_FAILURES)
    retried = 0
    rows = failed.values_list("pk", "finished_at", "worker_ids", "exception_class_path")
    for task_id, finished_at, worker_ids, exception_class_path in rows:
        attempts = len(worker_ids)
        if not will_retry(TaskResultStatus.FAILED, exception_class_path, attempts):
            continue  # stays failed with its reason
        # The failure's class and traceback stay on the row (staff see why it is waiting); a success clears them.
        retried += DBTaskResult.objects.filter(
            pk=task_id, status=TaskResultStatus.FAILED, finished_at=finished_at
        ).update(
            status=TaskResultStatus.READY,
            run_after=(finished_at or now) + datetime.timedelta(seconds=retry_delay(attempts)),
            finished_at=None,
        )
    return retried


def prune_task_results(*, now=None):
    """Delete finished results after TASKS_KEEP_DAYS (failed ones after TASKS_KEEP_FAILED_DAYS), old heartbeats."""
    now = now or timezone.now()
    done = DBTaskResult.objects.successful().filter(
        finished_at__lt=now - datetime.timedelta(days=settings.TASKS_KEEP_DAYS)
    )
    failed = DBTaskResult.objects.failed().filter(
        finished_at__lt=now - datetime.timedelta(days=settings.TASKS_KEEP_FAILED_DAYS)
    )
    pruned = done.delete()[0] + failed.delete()[0]
    WorkerHeartbeat.objects.filter(seen_at__lt=now - HEARTBEAT_ROWS_KEPT).delete()
    return pruned


def background_tasks_tick(*, now=None):
    """Periodic step: lost tasks found, passing faults retried, old results pruned."""
    recovered = recover_lost_tasks(now=now)
    retried = retry_failed_tasks(now=now)
    pruned = prune_task_results(now=now)
    return f"recovered {recovered}, retried {retried}, pruned {pruned}"


# ---------------------------------------------------------------- the worker process


def _close_connection():
    """Drop this thread's database connection (it may be broken); the next query opens a new one."""
    with contextlib.suppress(Exception):
        connection.close()


class RecoveringWorker(Worker):
    """db_worker's loop, kept alive through database outages.

    When the database goes away the loop waits (1 s, doubling up to 30 s) and starts again instead of dying. A task
    whose outcome could not be written because the database was away is marked failed with that error as soon as
    the database answers again, so it is retried like any other passing fault (it never stays RUNNING under a
    worker that is still beating).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # task id → (its claim time, the database error that kept its outcome from being written)
        self.unrecorded = {}

    def run_task(self, db_task_result):
        try:
            super().run_task(db_task_result)
        except DatabaseError as exc:
            self.unrecorded[db_task_result.pk] = (db_task_result.started_at, exc)
            raise

    def run(self):
        pause = 1
        while self.running:
            try:
                self.record_unrecorded()
                return super().run()
            except DatabaseError as exc:
                logger.warning("数据库不可用，后台任务暂停 %s 秒后重试：%s", pause, exc)
                _close_connection()
                time.sleep(pause)
                pause = min(pause * 2, 30)

    def record_unrecorded(self):
        for task_id, (started_at, exc) in list(self.unrecorded.items()):
            path = f"{type(exc).__module__}.{type(exc).__qualname__}"
            # only our own run: if the outage was long, a recoverer may have handed the task to another worker
            mine = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING, started_at=started_at)
            mine.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=path,
                traceback=f"{path}: {str(exc).strip()[:500]}",
                return_value=None,
            )
            del self.unrecorded[task_id]


class Maintenance:
    """The worker's side threads: heartbeat with recovery (every few seconds) and, optionally, the tick.

    Each thread has its own database connection (Django's connections are per thread), so a long task in the main
    thread never delays the heartbeat, and a database error is logged and tried again on the next beat.
    """

    def __init__(self, worker_id, *, tick_every=0):
        self.worker_id = worker_id
        self.tick_every = tick_every
        self.started_at = timezone.now()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._heartbeat, daemon=True, name="worker-heartbeat")]
        if tick_every:
            self.threads.append(threading.Thread(target=self._tick, daemon=True, name="worker-tick"))

    def _guarded(self, what, action):
        """Run ``action``; never let it end the thread (a silent heartbeat would get this worker's tasks re-run)."""
        try:
            action()
        except DatabaseError as exc:
            logger.warning("%s失败（数据库不可用）：%s", what, exc)
            _close_connection()
        except Exception:
            logger.exception("%s失败", what)

    def beat_and_recover(self):
        beat(self.worker_id, started_at=self.started_at)
        recover_lost_tasks()
        retry_failed_tasks()

    def _heartbeat(self):
        while not self.stopping.wait(heartbeat_seconds()):  # the first beat was written on entry
            self._guarded("后台任务心跳", self.beat_and_recover)
            close_old_connections()  # this thread's own connection, kept no longer than CONN_MAX_AGE
        _close_connection()

    def run_tick(self):
        try:
            call_command("tick", stdout=io.StringIO(), stderr=io.StringIO())
        except CommandError as exc:
            logger.warning("定时任务（tick）有步骤失败：%s", exc)

    def _tick(self):
        while not self.stopping.wait(self.tick_every):
            self._guarded("定时任务（tick）", self.run_tick)
            close_old_connections()
        _close_connection()

    def __enter__(self):
        self._guarded("后台任务心跳", self.beat_and_recover)  # beat before the first claim
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self._guarded("注销工作进程", lambda: WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete())
        return False
