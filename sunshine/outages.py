"""When the database cannot answer: a Chinese 503 page instead of a bare 500, and a clear message from commands.

``server_error`` is the project's ``handler500``. Django calls it for an exception raised anywhere while a
request is handled — a view, or a middleware before the view (the session and the signed-in user are read
from the database there). When the exception says the database is unavailable (refused, hung, restarted,
a statement or lock timeout) the answer is 503 with ``Retry-After`` and 服务暂时不可用，请稍后再试 and the
office phone; otherwise the Chinese 500 page. Both pages are rendered without the request's context
processors, session or database; the API and Open311 get a JSON body.

``database_unreachable`` is narrower (the database cannot be reached at all); ``manage.py`` turns it into
``unreachable_message`` and exit status 2 for every management command.
"""

import re
import sqlite3
import sys

from django.conf import settings
from django.db import utils as db_utils
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .input_guard import API_PREFIX, OPEN311_PREFIX, open311_error

RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "服务暂时不可用，请稍后再试。"
SERVER_ERROR_MESSAGE = "服务器出错了，请稍后再试。"
# PostgreSQL SQLSTATEs that mean the server cannot take us now: connection exceptions (class 08), the server
# shutting down or starting (57P01–57P03) and too many connections (53300).
UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
UNREACHABLE_SQLITE = ("unable to open database file", "disk i/o error")


def _chain(exc):
    """``exc`` and the exceptions it was raised from or while handling (Django wraps the driver's)."""
    seen = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _driver_errors():
    errors = [db_utils.OperationalError, db_utils.InterfaceError, sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:  # SQLite-only installation
        return tuple(errors)
    return (*errors, psycopg.OperationalError, psycopg.InterfaceError)


def database_unavailable(exc):
    """True when ``exc`` (or what it wraps) says the database could not serve this request now.

    Refused or lost connections, deadlines and timeouts, a locked SQLite file: all worth retrying later.
    """
    errors = _driver_errors()
    return any(isinstance(item, errors) for item in _chain(exc))


def database_unreachable(exc):
    """True when the database cannot be reached at all (not merely busy): the command-line message's case."""
    for item in _chain(exc):
        if isinstance(item, db_utils.InterfaceError):
            return True
        sqlstate = getattr(item, "sqlstate", "") or ""
        from_driver = type(item).__module__.startswith("psycopg") and isinstance(item, _driver_errors())
        if from_driver and (not sqlstate or sqlstate.startswith(UNREACHABLE_SQLSTATES)):
            return True  # no SQLSTATE: the client itself failed (refused, timed out, connection lost)
        if isinstance(item, sqlite3.OperationalError) and str(item).lower().startswith(UNREACHABLE_SQLITE):
            return True
    return False


CREDENTIALS_IN_URL = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
PASSWORD_PARAMETER = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)


def masked_reason(exc):
    """The driver's message on one line, with any password (from DATABASE_URL or a conninfo) replaced by ***."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    password = settings.DATABASES.get("default", {}).get("PASSWORD") or ""
    if password:
        text = text.replace(password, "***")
    text = CREDENTIALS_IN_URL.sub(r"\1***@", text)
    return PASSWORD_PARAMETER.sub(r"\1***", text)


def unreachable_message(exc):
    reason = masked_reason(exc)
    return (
        f"数据库无法连接：{reason}。请检查 DATABASE_URL 和数据库服务。\n"
        f"Cannot reach the database: {reason}. Check DATABASE_URL and the database server.\n"
    )


def error_page(request, *, status, message):
    """The 500/503 answer: Open311's error array (JSON or XML), the API's JSON, else a page that needs no database."""
    path = getattr(request, "path_info", "") or ""
    if path.startswith(OPEN311_PREFIX):
        response = open311_error(path, message, status=status)
    elif path.startswith(API_PREFIX):
        response = JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})
    else:
        context = {"message": message, "phone": settings.OFFICE_PHONE, "site_name": settings.SITE_NAME}
        template = "503.html" if status == 503 else "500.html"
        response = HttpResponse(render_to_string(template, context), status=status)  # no request: no queries
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request, *args, **kwargs):
    """handler500: Django calls it inside its ``except`` block, so the exception is the one being handled."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return error_page(request, status=503, message=UNAVAILABLE_MESSAGE)
    return error_page(request, status=500, message=SERVER_ERROR_MESSAGE)
