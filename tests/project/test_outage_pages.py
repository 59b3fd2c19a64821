"""What residents, the API and operators see when the database fails, on any database: the Chinese 503 page
(not a bare "Server Error (500)"), a Chinese 500 page for other errors, /healthz naming what fails, and one clear
message from management commands.

Every query is made to fail with ``connection.execute_wrapper``, so the error comes from the real view or
middleware path; the error pages must render without a single query (the wrapper would refuse it).
"""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client

from sunshine import health, outages

ROOT = Path(__file__).resolve().parents[2]


def failing_queries(error):
    def refuse(execute, sql, params, many, context):
        raise error

    return connection.execute_wrapper(refuse)


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)  # answer as production does, instead of re-raising


@pytest.fixture
def office_phone(settings):
    settings.OFFICE_PHONE = "0791-88886666"
    return settings.OFFICE_PHONE


def test_a_page_answers_503_in_chinese_when_the_database_is_unavailable(visitor, db, office_phone):
    with failing_queries(OperationalError("connection refused")):
        response = visitor.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    text = response.content.decode()
    assert "服务暂时不可用，请稍后再试" in text and office_phone in text
    assert "Server Error" not in text


def test_a_failing_session_lookup_in_middleware_also_ends_in_the_503_page(visitor, clerk_v1):
    visitor.force_login(clerk_v1)  # the session and the user are now read from the database before any view
    with failing_queries(OperationalError("server closed the connection unexpectedly")):
        # The staff-session middleware lets the view answer (a resident's form gives their text back); a page
        # that needs the signed-in user then fails on the same lookup and answers the 503 page.
        response = visitor.get("/admin/")
        static = visitor.get("/robots.txt")  # a view that never queries still answers
    assert response.status_code == 503
    assert "服务暂时不可用" in response.content.decode()
    assert static.status_code == 200


def test_a_statement_timeout_is_unavailability_too(visitor, db):
    with failing_queries(OperationalError("canceling statement due to statement timeout")):
        assert visitor.get("/complaints/results/").status_code == 503


def test_the_api_and_open311_answer_json_503(visitor, db):
    with failing_queries(OperationalError("connection refused")):
        api = visitor.get("/api/v1/disclosures/")
        open311 = visitor.get("/open311/v2/services.json")
        open311_xml = visitor.get("/open311/v2/services.xml")
    assert api.status_code == 503 and api["Content-Type"] == "application/json"
    assert api.json() == {"detail": "服务暂时不可用，请稍后再试。"}
    assert open311.status_code == 503
    assert open311.json() == [{"code": 503, "description": "服务暂时不可用，请稍后再试。"}]
    assert open311_xml.status_code == 503 and open311_xml["Content-Type"].startswith("text/xml")
    assert "<code>503</code><description>服务暂时不可用，请稍后再试。</description>" in open311_xml.content.decode()


def test_any_other_error_answers_the_chinese_500_page(visitor, db, office_phone):
    with failing_queries(ProgrammingError("relation does not exist")):
        response = visitor.get("/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "服务器出错了" in text and office_phone in text and "Server Error (500)" not in text
    assert "Retry-After" not in response


def test_without_an_office_phone_the_page_leaves_the_line_out(visitor, db, settings):
    settings.OFFICE_PHONE = ""
    with failing_queries(OperationalError("connection refused")):
        text = visitor.get("/").content.decode()
    assert "办公电话" not in text


# /healthz


@pytest.fixture
def generous_health_deadline(monkeypatch):
    """What is named is under test, not how fast (the deadline has its own test): a loaded CI machine may not
    schedule the check threads within 2.5 s, and "timeout" would then replace what the check found."""
    monkeypatch.setattr(health, "HEALTH_DEADLINE_SECONDS", 10)


def test_healthz_answers_200_with_each_check_named(client, db, generous_health_deadline):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "cache", "storage"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_names_an_unreachable_redis(client, db, settings, generous_health_deadline):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHE_URL = f"redis://127.0.0.1:{port}/8"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["cache"] == {"ok": False, "error": "ConnectionError"}


def test_healthz_names_a_check_that_does_not_answer_in_time_and_does_not_wait_for_it():
    release = threading.Event()

    def hangs(deadline):
        release.wait(30)

    try:
        results = health.run_checks({"database": hangs, "storage": lambda deadline: None}, deadline_seconds=0.2)
    finally:
        release.set()
    assert results["database"] == {"ok": False, "error": "timeout"}
    assert results["storage"]["ok"] is True


def test_healthz_never_shows_the_drivers_message(client, db, monkeypatch):
    def refuses(deadline):
        raise psycopg.OperationalError('connection to server at "10.0.0.5", port 5432 failed: password=hunter2')

    monkeypatch.setitem(health.CHECKS, "database", refuses)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert "10.0.0.5" not in response.content.decode()


# Which errors mean what


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.errors.ConnectionTimeout("connection timeout expired"), True),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"), False),
    ],
)
def test_unavailable_versus_unreachable(error, unreachable):
    wrapped = OperationalError(str(error))
    wrapped.__cause__ = error  # what Django's DatabaseErrorWrapper does
    assert outages.database_unavailable(wrapped) is True
    assert outages.database_unreachable(wrapped) is unreachable


def test_other_errors_are_neither():
    assert not outages.database_unavailable(ValueError("x"))
    assert not outages.database_unreachable(ProgrammingError("relation does not exist"))


def test_the_command_line_message_never_shows_a_password(settings):
    error = psycopg.OperationalError(
        "connection to postgres://app:s3cr3t-pw@db:5432/sunshine failed; host=db password=other-secret"
    )
    message = outages.unreachable_message(error)
    assert "s3cr3t-pw" not in message and "other-secret" not in message
    assert "数据库无法连接" in message and "Cannot reach the database" in message


# Management commands, in their own process


def manage(*args, database_url):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DJANGO_SETTINGS_MODULE="sunshine.settings_test", DATABASE_URL=database_url, DB_CONNECT_TIMEOUT="2")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def refusing_postgres_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgres://sunshine_app:topsecret-pw@127.0.0.1:{port}/sunshine"


@pytest.mark.parametrize(
    "args",
    [
        ["import_roster", "名单.xlsx", "--village", "990101001000", "--category", "dibao", "--period", "2026-11"]
        + ["--phase", "pre"],
        ["tick"],
        ["seed_demo"],
        ["audit_verify"],
        ["migrate"],
        ["complaints_tick"],
    ],
    ids=lambda args: args[0],
)
def test_a_command_without_its_database_prints_one_clear_message_and_exits_2(args, refusing_postgres_url):
    result = manage(*args, database_url=refusing_postgres_url)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "数据库无法连接" in result.stderr and "请检查 DATABASE_URL 和数据库服务" in result.stderr
    assert "Traceback" not in result.stderr
    assert "topsecret-pw" not in result.stderr + result.stdout


def test_an_unopenable_sqlite_file_is_the_same_clear_message(tmp_path):
    result = manage("migrate", database_url=f"sqlite:///{tmp_path}/missing-directory/db.sqlite3")
    assert result.returncode == 2, result.stderr[-3000:]
    assert "数据库无法连接" in result.stderr and "Traceback" not in result.stderr
