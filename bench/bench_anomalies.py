"""异常线索 (anomaly leads) at county volume: p50/p95 server time and peak memory of the page, its whole-report
export, and the reconciliation alone (SQL) beside the Python reconciliation it replaced.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_county .venv/bin/python bench/bench_anomalies.py \
        [--repeat 7] [--periods 2026-10,2026] [--user inspector] [--no-reference]

In process, with Django's test ``Client`` and ``force_login``, inside one transaction rolled back at the end (the
sign-in and the export's audit event never stay). For each period (the page's default first, then ``--periods``):
  page       — GET /admin/disclosures/anomalyreport/?period=… (all four lists, as the inspector sees them);
  export     — GET …/export/all.xlsx?period=… (one workbook, a sheet per list);
  sql        — ``reconciliation_sql.anomaly_rows`` for the period's payouts in the user's jurisdiction;
  python     — ``reconciliation.reconcile_many`` for the same payouts (what the page ran before issue 14), once.
Time: median and p95 of ``--repeat`` runs after one warm-up. Memory: the peak of Python allocations during one run
(tracemalloc), and the process's maximum resident set size (``ru_maxrss``) before and after everything, which is
what a worker's memory limit sees.

Without DATABASE_URL it measures the demo county (``seed_demo``) in a throw-away SQLite file, so the script always
runs; the county figures need the county database (``manage.py simulate_region`` on PostgreSQL; see the README).
"""

import argparse
import os
import resource
import statistics
import time
import tracemalloc

from _county import boot  # noqa: E402  (bench/ is the script's own folder)

SMALL = boot("bench-anomalies-")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGE = "/admin/disclosures/anomalyreport/"
BUDGET_S, BUDGET_MB = 2.0, 300  # issue 14: within 2 s at p95, under 300 MB per worker


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes


def _timed(run, repeat):
    """(p50 s, p95 s, queries of one run, peak traced MB of one run)."""
    run()  # warm: templates, the user's jurisdiction, connection
    reset_queries()  # the log keeps 9,000 queries at most: a full one would count none
    tracemalloc.start()
    with CaptureQueriesContext(connection) as captured:
        run()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    times.sort()
    p95 = times[min(len(times) - 1, max(0, round(len(times) * 0.95) - 1))]
    return statistics.median(times), p95, len(captured), peak / 2**20


def _get(client, url):
    def run():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return run


def _posts(user, period):
    from disclosures import selectors
    from disclosures.models import Kind, Phase
    from villages.selectors import scope_for

    posts = selectors.public_disclosures().filter(phase=Phase.POST, category__kind=Kind.ROSTER, period=period)
    return scope_for(posts, user, selectors.ANOMALY_PERM)


def measure(user, period, args):
    from disclosures.reconciliation_sql import anomaly_rows

    client = Client()
    client.force_login(user)
    posts = _posts(user, period)
    anomalies = sum(len(rows) for rows in anomaly_rows(posts).values())
    print(f"\nperiod {period}: {posts.count()} published payouts in scope, {anomalies} reconciliation anomalies")
    rows = [
        ("page", _get(client, f"{PAGE}?period={period}"), args.repeat),
        ("export", _get(client, f"{PAGE}export/all.xlsx?period={period}"), args.repeat),
        ("sql", lambda: anomaly_rows(posts), args.repeat),
    ]
    over = []
    for name, run, repeat in rows:
        p50, p95, queries, peak = _timed(run, repeat)
        print(f"  {name:<7} p50 {p50 * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms  {queries:3d} queries  "
              f"peak {peak:7.1f} MB traced", flush=True)  # fmt: skip
        if name in ("page", "export") and (p95 > BUDGET_S or peak > BUDGET_MB):
            over.append(f"OVER BUDGET {name} {period}: p95 {p95 * 1000:.0f} ms, peak {peak:.0f} MB")
    return over


def reference(user, periods):
    """The Python reconciliation the page ran before (every entry of every payout as a model instance), once per
    period: its time and traced peak, last, so that its memory does not hide the others' in ``ru_maxrss``."""
    from disclosures.reconciliation import reconcile_many

    print("\nbefore issue 14 (disclosures.reconciliation.reconcile_many, one run after a warm-up):")
    for period in periods:
        posts = _posts(user, period)
        p50, _p95, queries, peak = _timed(lambda posts=posts: reconcile_many(list(posts)), 1)
        print(f"  python  {period:<8} {p50 * 1000:8.1f} ms  {queries:3d} queries  peak {peak:7.1f} MB traced")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measure (after one warm-up)")
    parser.add_argument("--periods", type=lambda s: [p for p in s.split(",") if p], default=[])
    parser.add_argument("--user", default="inspector")
    parser.add_argument("--no-reference", dest="reference", action="store_false", help="skip the Python reference")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    if SMALL:
        print("no DATABASE_URL: measuring the demo county in a throw-away SQLite file (not the county figures)")
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", verbosity=0, stdout=quiet)
    from disclosures import selectors

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {args.repeat} timed runs per measure")
    rss_before = _maxrss_mb()
    over = []
    with transaction.atomic():
        user = get_user_model().objects.get(username=args.user)
        default = selectors.anomaly_default_period(user)
        periods = list(dict.fromkeys([default, *args.periods]))
        for period in periods:
            over += measure(user, period, args)
        rss_after = _maxrss_mb()
        if args.reference:
            reference(user, periods)
        transaction.set_rollback(True)  # sign-in and export events: nothing stays
    reference_rss = f", {_maxrss_mb():.0f} MB after the Python reference" if args.reference else ""
    print(f"\nmax resident set size: {rss_before:.0f} MB before, {rss_after:.0f} MB after the page, export and sql"
          f" runs (budget {BUDGET_MB} MB){reference_rss}")  # fmt: skip
    for line in over:
        print(line)


if __name__ == "__main__":
    main()
