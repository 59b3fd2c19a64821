"""How long a visitor waits when PostgreSQL goes away, and how a worker recovers: seconds per answer.

    .venv/bin/python bench/bench_outage.py      # DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_outages

Migrates the database, starts gunicorn (one sync worker, persistent connections, the default timeouts:
DB_CONNECT_TIMEOUT 3 s, DB_STATEMENT_TIMEOUT 15 s) with its database behind the TCP proxy of tests/faults.py,
then times, each from a warm worker holding a persistent connection:

- the home page and /healthz with the database refused (went down) and hung (accepts, never answers);
- the first home page after a blip (refused, then back), which must be 200 (CONN_HEALTH_CHECKS).

Goals: every outage answer (503) within the connect/statement timeouts, /healthz within 3 s, never gunicorn's
120 s worker timeout; after a blip the first request succeeds.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sunshine_outages")

from tests.faults import TcpProxy  # noqa: E402


def ensure_database():
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "DJANGO_SETTINGS_MODULE": "sunshine.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(base, path):
    """(status, seconds)."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(base + path, timeout=180) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        with error:
            status = error.code
    return status, time.monotonic() - started


def start_gunicorn(proxy):
    host = DATABASE_URL.split("://", 1)[1].split("@", 1)
    user = host[0] if len(host) == 2 else "postgres"
    url = f"postgres://{user}@127.0.0.1:{proxy.port}/{DATABASE_URL.rsplit('/', 1)[1]}"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "sunshine.settings", "DEBUG": "0"}
    env.update(DB_CONN_MAX_AGE="600", LOG_LEVEL="CRITICAL")
    command = [sys.executable, "-m", "gunicorn", "sunshine.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--timeout", "120", "--log-level", "critical"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if get(base, "/robots.txt")[0] == 200:
                return process, base
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("gunicorn did not start")


def measure(proxy, base, mode, path):
    proxy.set_mode("pass")
    warm = get(base, "/")  # the worker holds a healthy persistent connection
    assert warm[0] == 200, warm
    proxy.set_mode(mode)
    return get(base, path)


def main():
    ensure_database()
    target = DATABASE_URL.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = target.partition(":")
    proxy = TcpProxy(host or "127.0.0.1", int(port or 5432))
    process, base = start_gunicorn(proxy)
    rows = []
    try:
        rows.append(("home page, database up", *measure(proxy, base, "pass", "/")))
        for mode, state in (("refuse", "refused"), ("hang", "hung")):
            rows.append((f"home page, database {state}", *measure(proxy, base, mode, "/")))
            rows.append((f"/healthz, database {state}", *measure(proxy, base, mode, "/healthz")))
        measure(proxy, base, "refuse", "/")
        proxy.set_mode("pass")
        rows.append(("first home page after a blip", *get(base, "/")))
    finally:
        process.terminate()
        process.wait(20)
        proxy.close()
    print(f"{'what':<34} {'status':>6} {'seconds':>8}")
    for what, status, seconds in rows:
        print(f"{what:<34} {status:>6} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
