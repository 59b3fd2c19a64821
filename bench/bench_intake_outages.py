"""Benchmark: what a failing part costs a resident filing a complaint.

Run:  .venv/bin/python bench/bench_intake_outages.py [--rounds 20]

A throw-away SQLite database; the cache is ``sunshine.cache.FallbackRedisCache`` on Redis DB 9 through a
``tests.faults.TcpProxy``. Each round is one resident: GET the form, POST it. Prints the median and the slowest
POST with Redis answering, refused and hung (the first request of a hung period pays the socket timeout, the
next ones use this process's cache), a resubmission of the same form (replay), and the 503 page given back when
the database fails inside the submission.
"""

import argparse
import logging
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import TcpProxy  # noqa: E402

try:
    socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
except OSError:
    print("skipped: Redis is not running on 127.0.0.1:6379")
    sys.exit(0)
PROXY = TcpProxy("127.0.0.1", 6379)
TMP = tempfile.mkdtemp(prefix="bench-intake-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["CACHE_URL"] = f"redis://127.0.0.1:{PROXY.port}/9"
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError  # noqa: E402
from django.test import Client  # noqa: E402

from complaints.categories import seed_categories  # noqa: E402
from complaints.models import Complaint, ComplaintCategory  # noqa: E402
from tests import factories as f  # noqa: E402

TOKEN = re.compile(r'name="intake_token" value="([^"]+)"')


def setup():
    call_command("migrate", verbosity=0)
    seed_categories()
    county = f.county("基准县", code="990900000000")
    village = f.village(f.township(county, "基准乡", code="990901000000"), "基准村", code="990901001000")
    settings.COMPLAINTS_RATE_LIMITS = {"address": (10**6, 3600), "session": (10**6, 3600)}
    settings.ALLOWED_HOSTS = ["testserver"]
    return {"village": village.pk, "category": ComplaintCategory.objects.first().pk, "text": "路灯坏了三个月。"}


def one_resident(form):
    client = Client()
    token = TOKEN.search(client.get("/complaints/new/").content.decode()).group(1)
    data = {**form, "intake_token": token}
    started = time.perf_counter()
    response = client.post("/complaints/new/", data)
    return (time.perf_counter() - started) * 1000, response.status_code, client, data


def run(label, form, rounds, expect=302):
    times = []
    for _ in range(rounds):
        elapsed, status, *_ = one_resident(form)
        assert status == expect, (label, status)
        times.append(elapsed)
    print(
        f"{label:<44} first {times[0]:7.1f} ms   median {statistics.median(times):7.1f} ms   "
        f"slowest {max(times):7.1f} ms"
    )


def main():
    logging.disable(logging.CRITICAL)  # the warnings and tracebacks the outages log are the expected ones
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    form = setup()
    run("warm-up", form, 3)
    run("Redis answering", form, rounds)
    for mode in ("refuse", "hang"):
        PROXY.set_mode(mode)
        cache._down_until = 0.0  # start each outage fresh: its first request meets the dead Redis
        run(f"Redis {mode} (fallback {settings.CACHE_FALLBACK_SECONDS} s)", form, rounds)
        PROXY.set_mode("pass")
        cache._down_until = 0.0
    _, _, client, data = one_resident(form)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert client.post("/complaints/new/", data).status_code == 302
        times.append((time.perf_counter() - started) * 1000)
    print(f"{'resubmitted form (replay)':<44} median {statistics.median(times):7.1f} ms")
    with mock.patch("complaints.services.complaint_submit_once", side_effect=OperationalError("refused")):
        run("database fails in the submission → 503 page", form, rounds, expect=503)
    print(f"complaints stored: {Complaint.objects.count()}")
    cache.clear()
    PROXY.close()


if __name__ == "__main__":
    main()
