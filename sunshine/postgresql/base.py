"""Django's PostgreSQL backend, with limits that keep a web worker from waiting on a database that cannot answer.

Every process gets a connect timeout and TCP keepalives from settings.py (``OPTIONS``). Web processes
(``sunshine/wsgi.py``, which gunicorn and runserver load, calls ``limit_web_queries``) also get:

- ``statement_timeout`` and ``lock_timeout`` in the session, from the connection's ``options``: the server
  cancels a statement or a lock wait that runs too long (no extra round trip per connection);
- a client-side deadline on every answer (``DeadlineConnection``): a hung server or a silently dropped
  network never cancels anything, so only the client can stop waiting. The deadline is the statement
  timeout plus the connect timeout, so the server's own, clearer cancellation normally comes first;
- a health check of a reused connection (``CONN_HEALTH_CHECKS``) that gives up after the connect timeout.

A connection that missed its deadline is closed (it is mid-protocol) and the query raises
``OperationalError``, which the 503 page (``sunshine.outages``) turns into 服务暂时不可用. Management
commands, migrations and the task worker never load wsgi.py: a long import or migration is not cut.
"""

import dataclasses
import types

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base


@dataclasses.dataclass(frozen=True)
class WebLimits:
    statement_seconds: float
    lock_seconds: float
    health_check_seconds: float

    @property
    def answer_seconds(self):
        return self.statement_seconds + self.health_check_seconds

    def session_options(self):
        """libpq ``options``: session settings sent with the start-up packet."""
        return (
            f"-c statement_timeout={round(self.statement_seconds * 1000)} "
            f"-c lock_timeout={round(self.lock_seconds * 1000)}"
        )


_web_limits = None


def limit_web_queries():
    """Called once by the web process before it serves: its connections from now on carry the web limits."""
    global _web_limits
    _web_limits = WebLimits(
        statement_seconds=settings.DB_STATEMENT_TIMEOUT,
        lock_seconds=settings.DB_LOCK_TIMEOUT,
        health_check_seconds=settings.DB_CONNECT_TIMEOUT,
    )
    return _web_limits


def web_limits():
    return _web_limits


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection that waits at most ``deadline`` seconds for any answer (None: no limit)."""

    deadline = None

    def wait(self, gen, interval=0.1, timeout=None):
        limit = self.deadline if timeout is None else timeout
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except psycopg.errors._WaitTimeout:  # psycopg's own (an OperationalError); documented on Connection.wait
            self.close()  # the protocol is mid-answer: the connection cannot be used again
            raise psycopg.OperationalError(f"no answer from the database within {limit:g} s") from None


# What Django's backend calls ``Database``: psycopg itself, except that it connects with DeadlineConnection.
psycopg_with_deadlines = types.ModuleType("psycopg_with_deadlines")
psycopg_with_deadlines.__dict__.update(vars(psycopg))
psycopg_with_deadlines.connect = DeadlineConnection.connect


class DatabaseWrapper(base.DatabaseWrapper):
    Database = psycopg_with_deadlines

    def get_connection_params(self):
        params = super().get_connection_params()
        if _web_limits is not None:
            params["options"] = f"{params.get('options', '')} {_web_limits.session_options()}".strip()
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if _web_limits is not None and isinstance(connection, DeadlineConnection):
            connection.deadline = _web_limits.answer_seconds
        return connection

    def is_usable(self):
        if _web_limits is None or not isinstance(self.connection, DeadlineConnection):
            return super().is_usable()
        answer_deadline = self.connection.deadline
        self.connection.deadline = _web_limits.health_check_seconds  # SELECT 1 answers at once or not at all
        try:
            return super().is_usable()
        finally:
            self.connection.deadline = answer_deadline
