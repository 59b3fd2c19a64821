"""Background work through django-tasks.

``enqueue`` is the one way code queues a task. With the database backend (the embedded default) the task row
is written in the caller's transaction, so it exists exactly when the change that asked for it committed;
any other backend (a Redis queue on a multi-machine deployment) is only told after the commit.
"""

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus
from django_tasks_db.backend import DatabaseBackend


def transactional_backend(task):
    return isinstance(task.get_backend(), DatabaseBackend)


def enqueue(task, *args, **kwargs):
    """Queue ``task(*args, **kwargs)``; in the current transaction when the backend is the database."""
    if transactional_backend(task):
        return task.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
    return None


# ---------------------------------------------------------------- what staff see of a task, and which failures pass

STATUS_LABELS = {
    TaskResultStatus.READY: _("排队中"),
    TaskResultStatus.RUNNING: _("正在运行"),
    TaskResultStatus.SUCCESSFUL: _("已完成"),
    TaskResultStatus.FAILED: _("失败"),
}


def status_label(status):
    return STATUS_LABELS.get(status, status)


def _path(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


class WorkerLost(Exception):
    """Recorded as the failure of a task whose worker stopped answering (killed, out of memory, machine gone)."""


# Failures that say nothing about the task itself: the database, the network or the disk was away for a while.
# A task that failed with one of these is run again (portal.worker.retry_failed_tasks); any other failure stays.
TRANSIENT_FAILURES = frozenset(
    [
        *(
            _path(cls)
            for cls in (
                DatabaseError,
                OperationalError,
                InterfaceError,
                OSError,
                ConnectionError,
                ConnectionRefusedError,
                ConnectionResetError,
                ConnectionAbortedError,
                BrokenPipeError,
                TimeoutError,
                WorkerLost,
            )
        ),
        # Redis (cache, rate limits) away: named, not imported, so a deployment without redis-py loses nothing
        "redis.exceptions.ConnectionError",
        "redis.exceptions.TimeoutError",
    ]
)


def will_retry(status, exception_class_path, attempts):
    """Will the worker run this task (again)? Queued and running ones will; a failed one if its failure passes
    and it has attempts left (TASKS_MAX_ATTEMPTS)."""
    if status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
        return True
    return (
        status == TaskResultStatus.FAILED
        and exception_class_path in TRANSIENT_FAILURES
        and attempts < settings.TASKS_MAX_ATTEMPTS
    )


def failure_reason(exception_class_path, traceback_text):
    """The failure as staff read it: the exception's class and message (the traceback's last line), short."""
    if not exception_class_path:
        return ""
    lines = [line for line in (traceback_text or "").strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else exception_class_path
    return last[:300]
