"""The audit log at county volume: p50/p95 server time and queries of its list (plain and with each filter), one
event's page and one object's 变更记录, for the inspector (county), a township's discipline officer and a superuser.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sunshine_audit_big .venv/bin/python bench/bench_audit_pages.py \
        [--repeat 7] [--roles inspector,discipline,superuser]

In process with Django's test ``Client`` (the server's own time), inside one transaction rolled back at the end
(the sign-ins' events and sessions never stay). Without DATABASE_URL it builds a small region in a throw-away
SQLite file first, so the script always runs; the county figures need the county database (README, Benchmarks).
"""

import argparse
import statistics
import time

from _county import boot  # noqa: E402  (bench/ is the script's own folder)

SMALL = boot("bench-audit-")

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from sunshine.audit.models import AuditEvent  # noqa: E402
from villages.models import Division, Level  # noqa: E402

BUDGET_S = 1.0
ROLES = {"inspector": "inspector", "discipline": "discipline_t1", "superuser": None}


def _user(username):
    users = get_user_model().objects
    if username is None:
        return users.filter(is_superuser=True).first() or users.create_superuser("bench_root", "", "x")
    return users.get(username=username)


def _pages():
    """(label, URL) of the audit pages: the list with each filter, a busy object's history, one event."""
    changelist = reverse("admin:audit_auditevent_changelist")
    township = Division.objects.filter(level=Level.TOWNSHIP).order_by("path").first()
    newest = AuditEvent.objects.order_by("-id").values_list("id", "created_at").first()
    day = newest[1].date().isoformat()
    busy = (
        AuditEvent.objects.filter(content_type__model="complaint")
        .values("object_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    pages = [
        ("列表", changelist),
        ("列表 第 50 页", f"{changelist}?p=50"),
        ("操作类别=留言投诉", f"{changelist}?kind=complaint"),
        ("操作=上报上一级办理", f"{changelist}?action=complaint.escalated"),
        ("对象类型=公开事项", f"{changelist}?object_kind=" + str(_content_type_id("disclosures", "disclosure"))),
        ("日期=最近一天", f"{changelist}?since={day}&until={day}"),
        ("区划=第一个乡镇", f"{changelist}?division={township.pk}"),
        ("搜索 对象编号", f"{changelist}?q=" + str(busy["object_id"] if busy else 1)),
        ("一条事件", reverse("admin:audit_auditevent_change", args=[newest[0]])),
    ]
    if busy:
        pages.append(("一件投诉的变更记录", reverse("admin:complaints_complaint_history", args=[busy["object_id"]])))
    return pages


def _content_type_id(app_label, model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_by_natural_key(app_label, model).pk


def _measure(client, url, repeat):
    client.get(url)  # warm-up
    times, queries, status = [], 0, 200
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        queries, status = len(captured), response.status_code
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, queries, status


def run(args):
    print(f"{AuditEvent.objects.count():,} audit events on {connection.vendor}; {args.repeat} timed requests per page")
    print(f"{'role':<11} {'page':<22} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  status")
    over = 0
    for role in args.roles:
        client = Client()
        client.force_login(_user(ROLES[role]))
        for label, url in _pages():
            p50, p95, queries, status = _measure(client, url, args.repeat)
            flag = "  OVER 1 s" if p95 > BUDGET_S else ""
            over += bool(flag)
            print(f"{role:<11} {label:<22} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {queries:8d}  {status}{flag}")
    print(f"pages over budget: {over}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--roles", type=lambda s: s.split(","), default=list(ROLES))
    args = parser.parse_args()
    if SMALL:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
    with transaction.atomic():
        run(args)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
