"""Pulling the plug on PostgreSQL: pages answer the Chinese 503 page, /healthz names the database, workers
recover after a blip, and commands print one clear message and store nothing partial.

A real gunicorn (tests/project/outage_helpers.py) and real commands talk to the test database through a TcpProxy
the test controls: "refuse" is a database that went down, "hang" a server or network that stops answering.
Durations are not asserted here (bench/bench_outage.py prints them); what each answer is, is.
"""

import io
import threading
import time

import psycopg
import pytest
from django.db import connection

from disclosures.models import ImportJob, ImportStatus, RosterEntry
from tests.disclosures.importer.corpus import HEADER, rows_sheet, standard_rows, xlsx_bytes
from tests.disclosures.importer.factories import roster_category

from .outage_helpers import OFFICE_PHONE, WebProcess, manage, start_manage

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="fault injection runs against PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def db_proxy(tcp_proxy, transactional_db):
    settings = connection.settings_dict
    return tcp_proxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))


@pytest.fixture
def web(db_proxy):
    server = WebProcess(db_proxy)
    yield server
    server.stop()


def assert_unavailable_page(answer):
    assert answer.status == 503, answer.text[:500]
    assert "服务暂时不可用，请稍后再试" in answer.text
    assert OFFICE_PHONE in answer.text
    assert answer.headers["Retry-After"] == "30"
    assert "Server Error (500)" not in answer.text and "Traceback" not in answer.text


def test_a_page_answers_the_chinese_503_page_while_the_database_refuses(web, db_proxy):
    assert web.get("/").status == 200
    db_proxy.set_mode("refuse")
    assert_unavailable_page(web.get("/"))
    assert_unavailable_page(web.get("/complaints/new/"))


def test_a_page_answers_503_while_the_database_hangs(web, db_proxy):
    assert web.get("/").status == 200  # the worker now holds a persistent connection
    db_proxy.set_mode("hang")
    assert_unavailable_page(web.get("/"))  # its health check gives up, then the new connection times out
    assert_unavailable_page(web.get("/"))


def test_the_api_answers_json_503_while_the_database_refuses(web, db_proxy):
    db_proxy.set_mode("refuse")
    answer = web.get("/api/v1/disclosures/")
    assert answer.status == 503 and answer.headers["Content-Type"] == "application/json"
    assert "服务暂时不可用" in answer.text


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_healthz_names_the_database_when_it_fails(web, db_proxy, mode):
    healthy = web.get("/healthz")
    assert healthy.status == 200 and '"failing": []' in healthy.text
    db_proxy.set_mode(mode)
    answer = web.get("/healthz")
    assert answer.status == 503
    assert '"failing": ["database"]' in answer.text
    db_proxy.set_mode("pass")
    assert web.get("/healthz").status == 200


def test_after_a_blip_the_workers_next_request_succeeds(web, db_proxy):
    assert web.get("/").status == 200  # persistent connection opened
    db_proxy.set_mode("refuse")  # cuts it: the database restarted
    db_proxy.set_mode("pass")
    answer = web.get("/")
    assert answer.status == 200, answer.text[:300]  # the health check replaced the dead connection


def test_commands_print_one_clear_message_when_the_database_refuses(db_proxy, tmp_path):
    db_proxy.set_mode("refuse")
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(xlsx_bytes(lambda wb: rows_sheet(wb.active, [HEADER, *standard_rows()])))
    for args in (
        ["import_roster", str(roster), "--village", "990101001000", "--category", "dibao", "--period", "2026-11"]
        + ["--phase", "pre"],
        ["tick"],
        ["migrate", "--check"],
    ):
        result = manage(db_proxy, *args)
        assert result.returncode == 2, (args, result.stderr[-2000:])
        assert "数据库无法连接" in result.stderr and "请检查 DATABASE_URL 和数据库服务" in result.stderr
        assert "Traceback" not in result.stderr


# An import confirm cut off mid-way


def _wait_for_lock_waiter(dbname, seconds=60):
    """The pid of a backend of ``dbname`` waiting for a row lock (the import blocked on the disclosure)."""
    with connection.cursor() as cursor:
        for _ in range(seconds * 10):
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' AND pid <> "
                "pg_backend_pid()",
                [dbname],
            )
            row = cursor.fetchone()
            if row:
                return row[0]
            time.sleep(0.1)
    raise AssertionError("the import never reached the disclosure lock")


def _locker(dsn, disclosure_id, locked, release):
    """Hold the disclosure's row lock from another connection until ``release`` is set."""
    with psycopg.connect(dsn) as holder, holder.transaction():
        holder.execute("SELECT id FROM disclosures_disclosure WHERE id = %s FOR UPDATE", [disclosure_id])
        locked.set()
        release.wait(90)


def test_an_import_confirm_cut_off_mid_way_stores_nothing(db_proxy, tmp_path, world, clerk_v1):
    from django.core.management import call_command

    roster_category()
    first = tmp_path / "first.xlsx"
    first.write_bytes(xlsx_bytes(lambda wb: rows_sheet(wb.active, [HEADER, *standard_rows()])))
    slot = ["--village", "990101001000", "--category", "dibao", "--period", "2026-11", "--phase", "pre"]
    call_command("import_roster", str(first), *slot, "--user", "clerk_v1", stdout=io.StringIO())
    draft_names = sorted(RosterEntry.objects.values_list("name", flat=True))
    assert len(draft_names) == 3
    disclosure_id = RosterEntry.objects.first().revision.disclosure_id
    second = tmp_path / "second.xlsx"
    second.write_bytes(xlsx_bytes(lambda wb: rows_sheet(wb.active, [HEADER, *standard_rows()[:1]])))

    settings = connection.settings_dict
    dsn = f"postgresql://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT']}/"
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_locker, args=(dsn + settings["NAME"], disclosure_id, locked, release))
    holder.start()
    try:
        assert locked.wait(30)
        process = start_manage(db_proxy, "import_roster", str(second), *slot, "--user", "clerk_v1")
        _wait_for_lock_waiter(settings["NAME"])  # inside the confirm transaction: job locked, rows not yet in
        db_proxy.set_mode("refuse")  # the database goes away mid-import
    finally:
        release.set()
        holder.join(30)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 2, stderr[-2000:]
    assert "数据库无法连接" in stderr and "Traceback" not in stderr

    db_proxy.set_mode("pass")
    assert sorted(RosterEntry.objects.values_list("name", flat=True)) == draft_names  # untouched
    assert not ImportJob.objects.filter(status=ImportStatus.IMPORTED).exclude(original_name="first.xlsx").exists()


# The limits themselves


def test_web_connections_carry_the_statement_and_lock_timeouts_and_commands_do_not(monkeypatch):
    from django.db import connections

    from sunshine.postgresql import base

    def timeouts():
        probe = connections.create_connection("default")
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")
                return cursor.fetchone()
        finally:
            probe.close()

    assert timeouts() == ("0", "0")  # this test process is not a web process: nothing is cut
    limits = base.WebLimits(statement_seconds=3, lock_seconds=2, health_check_seconds=2)
    monkeypatch.setattr(base, "_web_limits", limits)
    assert timeouts() == ("3s", "2s")


def test_an_answer_that_never_comes_is_given_up_at_the_deadline_and_the_connection_closed(db_proxy):
    from sunshine.postgresql.base import DeadlineConnection

    settings = connection.settings_dict
    with DeadlineConnection.connect(
        host="127.0.0.1", port=db_proxy.port, dbname=settings["NAME"], user=settings["USER"] or "postgres"
    ) as hung:
        hung.deadline = 0.5
        assert hung.execute("SELECT 1").fetchone() == (1,)
        db_proxy.set_mode("hang")
        with pytest.raises(psycopg.OperationalError, match="no answer from the database within 0.5 s"):
            hung.execute("SELECT 1")
        assert hung.closed
