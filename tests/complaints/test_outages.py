"""Failing parts lose nothing a resident typed.

- Redis refused or hung (a TcpProxy in front of 127.0.0.1:6379, DB 9): the cache and rate limits fall back to
  this process, with one logged warning; intake and tracking keep working, and limits still count.
- The database failing during an intake or objection POST: HTTP 503, 服务暂时不可用, the office phone, and the
  form as the resident filled it in; nothing stored. In-process (any database) and end to end on PostgreSQL: the
  app served by gunicorn in a subprocess, its DATABASE_URL through a TcpProxy that refuses or hangs.
"""

import http.cookiejar
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import views
from complaints.models import Complaint
from tests.complaints.test_intake_replay import fresh_form, shown

ROOT = Path(__file__).resolve().parents[2]
TEXT = "村东头的桥栏杆断了，孩子上学很危险。"


def redis_reachable():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_behind_proxy(settings, tcp_proxy):
    if not redis_reachable():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    proxy = tcp_proxy("127.0.0.1", 6379)
    settings.CACHES = {
        "default": {
            "BACKEND": "sunshine.cache.FallbackRedisCache",
            "LOCATION": f"redis://127.0.0.1:{proxy.port}/9",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.3, "SOCKET_TIMEOUT": 0.3, "FALLBACK_SECONDS": 600},
        }
    }
    from django.core.cache import cache

    cache.clear()
    return proxy


@pytest.mark.parametrize("mode", ["refuse", "hang"])
def test_intake_and_tracking_work_while_redis_is_down(redis_behind_proxy, mode, world, cat, caplog):
    from django.core.cache import cache

    assert cache.get("complaints:rl:session:x") is None  # Redis answers through the proxy
    redis_behind_proxy.set_mode(mode)
    resident = Client()
    with caplog.at_level(logging.WARNING, logger="sunshine.cache"):
        filed = resident.post(reverse("complaints:new"), fresh_form(resident, world, cat, text=TEXT), follow=True)
        code, secret = shown(filed)
        complaint = Complaint.objects.get()
        assert code == complaint.tracking_code and complaint.check_secret(secret)
        other = Client()
        tracked = other.post(reverse("complaints:track"), {"code": code, "secret": secret}, follow=True)
        assert tracked.status_code == 200 and TEXT in tracked.content.decode()
    warnings = [r for r in caplog.records if r.name == "sunshine.cache"]
    assert len(warnings) == 1 and "Redis unreachable" in warnings[0].getMessage()


def test_rate_limits_still_count_in_this_process_while_redis_is_down(redis_behind_proxy, settings, world, cat):
    settings.COMPLAINTS_RATE_LIMITS = {"session": (2, 3600)}
    redis_behind_proxy.set_mode("refuse")
    resident = Client()
    statuses = [
        resident.post(reverse("complaints:new"), fresh_form(resident, world, cat, text=f"第{n}件事")).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Complaint.objects.count() == 2


def test_sessions_do_not_live_in_redis(settings):
    """A resident's access to their complaint (the session) must survive Redis going away."""
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_after_the_cool_down_redis_is_tried_again_and_shared_again(redis_behind_proxy, caplog):
    from django.core.cache import cache

    redis_behind_proxy.set_mode("refuse")
    cache.set("complaints:test", "local")  # fails over: this process's cache holds it
    assert cache.get("complaints:test") == "local"
    redis_behind_proxy.set_mode("pass")
    assert cache.get("complaints:test") == "local"  # still cooling down: Redis is not asked
    later = time.monotonic() + 601
    with mock.patch("sunshine.cache.time.monotonic", return_value=later), caplog.at_level(logging.WARNING):
        assert cache.get("complaints:test") is None  # Redis again, which never saw the value
        cache.set("complaints:test", "shared")
    assert any("Redis answers again" in r.getMessage() for r in caplog.records)
    with mock.patch("sunshine.cache.time.monotonic", return_value=later):
        assert cache.get("complaints:test") == "shared"


# ---------------------------------------------------------------- the database, in-process


def test_a_database_failure_during_intake_gives_the_form_back_with_503(client, world, cat):
    data = fresh_form(
        client, world, cat, text=TEXT, name="张三", phone="13912345678", notify="on", concerns_cadres="on"
    )
    with mock.patch("complaints.services.complaint_submit_once", side_effect=OperationalError("connection refused")):
        response = client.post(reverse("complaints:new"), data)
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"]
    assert "服务暂时不可用" in html and "12345" in html
    assert TEXT in html and 'value="张三"' in html and 'value="13912345678"' in html
    assert f'<option value="{cat["environment"].pk}" selected>' in html
    assert f'<option value="{world.v1.pk}" selected>' in html
    assert re.search(r'<input type="checkbox" name="concerns_cadres"[^>]* checked>', html)
    assert re.search(r'<input type="checkbox" name="notify"[^>]* checked>', html)
    assert not re.search(r'<input type="checkbox" name="concerns_township_staff"[^>]* checked>', html)
    assert f'value="{data["intake_token"]}"' in html  # the retry is the same form: it cannot file twice
    assert Complaint.objects.count() == 0


def test_the_outage_page_needs_no_database_and_no_session(world, cat):
    request = RequestFactory().post(
        "/complaints/new/", {"village": world.v1.pk, "category": cat["roads-water"].pk, "text": TEXT, "disclosure": "7"}
    )
    request.session = mock.Mock(side_effect=AssertionError("the session was used"))
    with CaptureQueriesContext(connection) as queries:
        response = views._intake_outage(request)
    html = response.content.decode()
    assert len(queries) == 0
    assert response.status_code == 503 and TEXT in html and "我有异议" in html and 'name="disclosure"' in html


def test_photos_are_named_as_lost_on_the_outage_page(client, world, cat):
    from tests.complaints.images import jpeg_with_exif

    data = fresh_form(client, world, cat, text=TEXT, photo1=jpeg_with_exif())
    with mock.patch("complaints.services.complaint_submit_once", side_effect=OperationalError("gone")):
        html = client.post(reverse("complaints:new"), data).content.decode()
    assert "照片无法保留，提交时请重新选择" in html


# ---------------------------------------------------------------- the database, end to end (PostgreSQL)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A resident's browser against the real server: cookies, the form's CSRF token and one-time token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def open(self, path, data=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def form(self, text):
        status, html = self.open("/complaints/new/")
        assert status == 200, html[:500]
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|intake_token)" value="([^"]+)"', html))
        return {**fields, "text": text}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server_through_proxy(transactional_db, tcp_proxy, tmp_path):
    """gunicorn serving the test database through a TcpProxy: a fresh connection per request, 2 s to connect."""
    if connection.vendor != "postgresql":
        pytest.skip("the database fault tests run the server against PostgreSQL")
    db = connection.settings_dict
    proxy = tcp_proxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sunshine.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}?connect_timeout=2",
        "DB_CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "sunshine.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen([*command, "--timeout", "60"], cwd=ROOT, env=env, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield proxy, f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.postgres
def test_database_refused_and_hung_during_intake_lose_nothing(server_through_proxy, world, cat):
    proxy, base = server_through_proxy
    resident = Browser(base)
    form = {**resident.form(TEXT), "village": world.v1.pk, "category": cat["roads-water"].pk, "phone": "13912345678"}
    for mode in ("refuse", "hang"):
        proxy.set_mode(mode)
        status, html = resident.open("/complaints/new/", form)
        assert status == 503, html[:500]
        assert "服务暂时不可用" in html and TEXT in html and 'value="13912345678"' in html
        assert f'<option value="{cat["roads-water"].pk}" selected>' in html
        proxy.set_mode("pass")
        assert Complaint.objects.count() == 0  # nothing half stored
    status, _ = resident.open("/complaints/new/", form)  # the retry, from the page given back
    assert status == 302 and Complaint.objects.count() == 1
    assert resident.open("/complaints/new/", form)[0] == 302 and Complaint.objects.count() == 1

    # A resident who already has a session (it cannot be read while the database is down) gets the same page.
    second = {**resident.form("第二件事：水渠堵了。"), "village": world.v1.pk, "category": cat["roads-water"].pk}
    proxy.set_mode("refuse")
    status, html = resident.open("/complaints/new/", second)
    assert status == 503 and "第二件事：水渠堵了。" in html
    proxy.set_mode("pass")
    assert Complaint.objects.count() == 1


def test_an_objection_whose_post_meets_a_database_failure_keeps_its_link_and_text(client, world, cat):
    from django.utils import timezone

    from disclosures.models import Category, Disclosure, Kind, Phase, Revision, RosterEntry

    category = Category.objects.create(
        slug="dibao-o", name="低保", kind=Kind.ROSTER, cadence="monthly", objection_days=7
    )
    disclosure = Disclosure.objects.create(
        division=world.v1, category=category, period="2026-11", phase=Phase.PRE, status="published"
    )
    revision = Revision.objects.create(disclosure=disclosure, number=1)
    entry = RosterEntry.objects.create(revision=revision, name="张三", person_key="k" * 64)
    Revision.objects.filter(pk=revision.pk).update(state="published")
    Disclosure.objects.filter(pk=disclosure.pk).update(
        current_revision=revision, objection_ends_at=timezone.now() + timezone.timedelta(days=7)
    )
    url = reverse("complaints:new") + f"?disclosure={disclosure.pk}&entry={entry.pk}"
    token = re.search(r'name="intake_token" value="([^"]+)"', client.get(url).content.decode()).group(1)
    data = {
        "village": world.v1.pk,
        "category": cat["objection"].pk,
        "text": "张三家新盖了楼房。",
        "disclosure": disclosure.pk,
        "entry": entry.pk,
        "intake_token": token,
    }
    with mock.patch("complaints.services.complaint_submit_once", side_effect=OperationalError("refused")):
        refused = client.post(url, data)
    html = refused.content.decode()
    assert refused.status_code == 503 and "我有异议" in html and "张三家新盖了楼房。" in html
    assert f'name="disclosure" value="{disclosure.pk}"' in html and f'name="entry" value="{entry.pk}"' in html
    assert client.post(url, data).status_code == 302  # the retry, once the database is back
    complaint = Complaint.objects.get()
    assert (complaint.disclosure, complaint.roster_entry) == (disclosure, entry)
