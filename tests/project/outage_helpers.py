"""A real web process (gunicorn) and real commands whose database sits behind a TcpProxy (tests/faults.py).

The process is its own: its connections, persistent or not, go through the proxy, so the test can make the
database refuse or hang under a page, /healthz or a command, exactly as a deployment would see it.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
OFFICE_PHONE = "0791-88886666"


def database_url_through(proxy):
    """The test database (pytest-django's test_…_gwN), reached through ``proxy``."""
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    return f"postgres://{user}@127.0.0.1:{proxy.port}/{settings['NAME']}"


def process_env(proxy, **extra):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DJANGO_SETTINGS_MODULE="sunshine.settings_test",
        DATABASE_URL=database_url_through(proxy),
        DEBUG="0",
        OFFICE_PHONE=OFFICE_PHONE,
        DB_CONN_MAX_AGE="600",  # persistent connections, as in production
        DB_CONNECT_TIMEOUT="2",
        DB_STATEMENT_TIMEOUT="3",
        DB_LOCK_TIMEOUT="2",
        **extra,
    )
    return env


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebProcess:
    """gunicorn with one sync worker (so "the worker's next request" is well defined) on a free port."""

    def __init__(self, proxy, workers=1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "sunshine.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--timeout", "120", "--log-level", "warning"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=process_env(proxy), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_until_serving()

    def _wait_until_serving(self):
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                if self.get("/robots.txt").status == 200:  # no database needed
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not start within 30 s")

    def get(self, path):
        """(status, headers, body text); HTTP errors are answers too."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as response:
                return Answer(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read().decode())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stderr.close()


class Answer:
    def __init__(self, status, headers, text):
        self.status, self.headers, self.text = status, headers, text


def manage(proxy, *args, timeout=120):
    """``python manage.py *args`` in its own process, its database behind ``proxy``."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(proxy),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_manage(proxy, *args):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=process_env(proxy),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
