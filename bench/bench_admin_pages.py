"""Admin pages at county volume: p50/p95 server time, queries and response size of every list and summary page
each staff role can open, plus the change page of the biggest roster revision.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_county .venv/bin/python bench/bench_admin_pages.py \
        [--repeat 5] [--roles clerk,reviewer,...] [--only 异常线索,revision] [--list]

In process, with Django's test ``Client`` and ``force_login`` (no network, no runserver: the figures are the
server's own time: URL routing, middleware, admin view, queries, template). Everything runs in one
transaction that is rolled back at the end, so the sign-ins' audit events and sessions never stay in the
shared database. Pages are discovered, not listed: ``admin.site.get_app_list`` for each user (every model
admin they may view: the 异常线索 and 乡镇统计 pages, the audit log, 名单导入, 我的导出, 后台任务 …), the
admin index, and the biggest roster revision's change page with its disclosure. A page is over budget when
its p95 exceeds 1 s (异常线索: 2 s).

Without DATABASE_URL (as ``make bench`` runs it) it builds a small region in a throw-away SQLite file first
(``simulate_region --villages 30``), so the script always runs; the county figures need the county database
(``manage.py simulate_region`` on PostgreSQL; see the README).
"""

import argparse
import os
import statistics
import time

from _county import boot  # noqa: E402  (bench/ is the script's own folder)

SMALL = boot("bench-admin-")

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

BUDGET_S = 1.0
BUDGETS_S = {"disclosures.anomalyreport": 2.0}  # 异常线索 (issue 14: within 2 s)
# One user per role (seed_demo's and simulate_region's usernames); the superuser is made inside the
# rolled-back transaction when the database has none.
ROLES = {
    "clerk": "clerk_v01",
    "reviewer": "reviewer_t1",
    "discipline": "discipline_t1",
    "inspector": "inspector",
    "county_admin": "county_admin",
    "superuser": None,
}


def _user(role, username):
    users = get_user_model().objects
    if username is not None:
        return users.get(username=username)
    return users.filter(is_superuser=True).first() or users.create_superuser("bench_superuser", password=None)


def _pages(user):
    """``[(key, label, url)]``: the admin index, every changelist this user may view, the big revision."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = [("admin.index", "首页", reverse("admin:index"))]
    for app in admin.site.get_app_list(request):
        for model in app["models"]:
            if model.get("admin_url") and model["perms"].get("view", model["perms"].get("change")):
                key = f"{app['app_label']}.{model['object_name'].lower()}"
                pages.append((key, str(model["name"]), model["admin_url"]))
    return pages + _big_revision_pages(user)


def _big_revision_pages(user):
    from disclosures.models import Revision
    from villages.selectors import scope_for

    revisions = scope_for(Revision.objects.all(), user, "disclosure.view", field="disclosure__division")
    big = revisions.order_by("-entry_count").only("pk", "disclosure_id", "entry_count").first()
    if big is None:
        return []
    label = f"{big.entry_count} 行名单"
    revision_url = reverse("admin:disclosures_revision_change", args=[big.pk])
    disclosure_url = reverse("admin:disclosures_disclosure_change", args=[big.disclosure_id])
    return [
        ("revision.change", f"版本页（{label}）", revision_url),
        ("disclosure.change", f"公开事项（{label}）", disclosure_url),
    ]


def _measure(client, url, repeat):
    times, queries, size, status = [], 0, 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        queries, size, status = len(captured), len(response.content), response.status_code
    times.sort()
    p95 = times[min(len(times) - 1, max(0, int(round(len(times) * 0.95)) - 1))]
    return statistics.median(times), p95, queries, size, status


def run(args):
    over, rows = [], []
    for role, username in ROLES.items():
        if args.roles and role not in args.roles:
            continue
        user = _user(role, username)
        client = Client()
        client.force_login(user)
        for key, label, url in _pages(user):
            if args.only and not any(word in f"{key} {label} {url}" for word in args.only):
                continue
            if args.list:
                print(f"{role:<13} {label:<16} {url}")
                continue
            client.get(url)  # warm: templates, the user's jurisdiction, connection
            p50, p95, queries, size, status = _measure(client, url, args.repeat)
            rows.append((role, label, p50, p95, queries, size, status))
            print(f"{role:<13} {label:<22} p50 {p50 * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms  "
                  f"{queries:4d} queries  {size / 1024:8.1f} KB  HTTP {status}  {url}", flush=True)  # fmt: skip
            budget = BUDGETS_S.get(key, BUDGET_S)
            if p95 > budget or status >= 400:
                over.append(f"OVER BUDGET {role} {label} ({url}): p95 {p95 * 1000:.0f} ms > {budget * 1000:.0f} ms"
                            + (f", HTTP {status}" if status >= 400 else ""))  # fmt: skip
    return rows, over


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page (after one warm-up)")
    parser.add_argument("--roles", type=lambda s: s.split(","), default=None, help=f"some of {','.join(ROLES)}")
    parser.add_argument("--only", type=lambda s: s.split(","), default=None, help="pages whose key/label/URL has one")
    parser.add_argument("--list", action="store_true", help="list the pages, measure nothing")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    if SMALL:
        print("no DATABASE_URL: measuring a small region in a throw-away SQLite file (not the county figures)")
        call_command("migrate", verbosity=0)
        with open(os.devnull, "w") as quiet:
            call_command("simulate_region", "--villages", "30", "--townships", "4", "--complaints", "3000",
                         "--audit-events", "20000", stdout=quiet)  # fmt: skip
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {args.repeat} timed requests per page")
    with transaction.atomic():
        rows, over = run(args)
        transaction.set_rollback(True)  # sign-in events and sessions: nothing stays
    print(f"\n{len(rows)} pages measured; {len(over)} over budget")
    for line in over:
        print(line)


if __name__ == "__main__":
    main()
