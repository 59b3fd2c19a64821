"""What ``/healthz`` checks: the database, the cache and file storage, each on its own and within a deadline.

Each check runs in its own thread and bounds itself (a fresh database connection with a connect timeout and an
answer deadline, Redis with socket timeouts), so a hung peer cannot hold a thread for long; the page waits
``HEALTH_DEADLINE_SECONDS`` for all of them together and names whatever has not answered by then. The request's
own database connection is never used: it may be the one that hangs.
"""

import logging
import threading
import time
import uuid

# Imported here, not in the check: a first import inside a check's thread waits on Python's import lock, which a
# busy process can hold past the deadline.
import redis
from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections

logger = logging.getLogger(__name__)

HEALTH_DEADLINE_SECONDS = 2.5  # every check together; /healthz answers within 3 s however the parts fail
CONNECT_SECONDS = 2  # libpq's smallest connect_timeout


def _remaining(deadline):
    return max(0.1, deadline - time.monotonic())


def check_database(deadline):
    wrapper = connections["default"]
    if wrapper.vendor != "postgresql":
        probe = connections.create_connection("default")
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            probe.close()
        return
    from sunshine.postgresql.base import DeadlineConnection

    params = {**wrapper.get_connection_params(), "connect_timeout": CONNECT_SECONDS}
    with DeadlineConnection.connect(**params, autocommit=True) as connection:
        connection.deadline = _remaining(deadline)
        connection.execute("SELECT 1")


def check_cache(deadline):
    if settings.CACHE_URL.startswith("redis"):
        # Ask Redis itself: the cache in front of it may be degrading to a per-process one on purpose.
        seconds = _remaining(deadline)
        client = redis.Redis.from_url(settings.CACHE_URL, socket_timeout=seconds, socket_connect_timeout=seconds)
        try:
            client.ping()
        finally:
            client.close()
        return
    cache = caches["default"]
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 10)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)


def check_storage(deadline):
    for alias in ("default", "private"):
        storage = storages[alias]
        name = storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
        storage.delete(name)


CHECKS = {"database": check_database, "cache": check_cache, "storage": check_storage}


class _Run(threading.Thread):
    def __init__(self, name, check, deadline):
        super().__init__(name=f"healthz-{name}", daemon=True)
        self.check, self.deadline = check, deadline
        self.error = None
        self.seconds = None

    def run(self):
        started = time.monotonic()
        try:
            self.check(self.deadline)
        except Exception as exc:  # a health check reports any failure; it never raises
            self.error = exc
        finally:
            self.seconds = time.monotonic() - started


def run_checks(checks=None, deadline_seconds=None):
    """{name: {"ok": bool, "ms": int} or {"ok": False, "error": "timeout" | exception class}}; never raises.

    The error names only the kind of failure (the page is public); the log has the full message.
    """
    if deadline_seconds is None:
        deadline_seconds = HEALTH_DEADLINE_SECONDS
    deadline = time.monotonic() + deadline_seconds
    runs = {name: _Run(name, check, deadline) for name, check in (checks or CHECKS).items()}
    for run in runs.values():
        run.start()
    results = {}
    for name, run in runs.items():
        run.join(max(0.0, deadline - time.monotonic()))
        if run.is_alive():
            logger.warning("healthz: %s did not answer within %.1f s", name, deadline_seconds)
            results[name] = {"ok": False, "error": "timeout"}
        elif run.error is not None:
            logger.warning("healthz: %s failed: %r", name, run.error)
            results[name] = {"ok": False, "error": type(run.error).__name__}
        else:
            results[name] = {"ok": True, "ms": round(run.seconds * 1000)}
    return results
