"""Background work through django-tasks.

``enqueue`` is the one way code queues a task. With the database backend (the embedded default) the task row
is written in the caller's transaction, so it exists exactly when the change that asked for it committed;
any other backend (a Redis queue on a multi-machine deployment) is only told after the commit.
"""

from django.db import transaction
from django_tasks_db.backend import DatabaseBackend


def transactional_backend(task):
    return isinstance(task.get_backend(), DatabaseBackend)


def enqueue(task, *args, **kwargs):
    """Queue ``task(*args, **kwargs)``; in the current transaction when the backend is the database."""
    if transactional_backend(task):
        return task.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
    return None
