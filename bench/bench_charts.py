"""Benchmark: what the charts cost — their one aggregate query, their layout and template, the pages that show
them, and their share of a bulletin PDF.

Run:  .venv/bin/python bench/bench_charts.py [--periods 24] [--rows 500] [--ledger-lines 1200] [--rounds 20]

It builds a throw-away SQLite database, publishes ``--periods`` monthly 低保 payout rosters of ``--rows`` rows in
one village and a ledger of ``--ledger-lines`` lines over twelve months, then prints medians of: the ledger's
month sums (uncached and cached), the category's per-period sums (village and county), laying out and rendering
the charts, the ledger and category pages through the full stack, and bare WeasyPrint on the newest payout's
bulletin HTML with and without its chart (the bulletin goal: 500 rows ≤ 2.5 s, so a chart must be cheap).
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent


def setup():
    sys.path.insert(0, str(ROOT))
    tmp = tempfile.mkdtemp(prefix="bench-charts-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["PRIVATE_MEDIA_ROOT"] = f"{tmp}/private"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.settings")
    import django

    django.setup()


def build(periods, rows, ledger_lines):
    from django.core.management import call_command

    from disclosures import services as s
    from disclosures.categories import seed_categories
    from disclosures.models import Category, LedgerLine, RosterEntry
    from tests import factories as f
    from villages.models import Role

    call_command("migrate", verbosity=0)
    seed_categories()
    county = f.county("基准县", code="990100000000")
    township = f.township(county, "一乡", code="990101000000")
    village = f.village(township, "甲村", code="990101001000")
    staff = [f.staff(name, role, division) for name, role, division in (
        ("clerk", Role.VILLAGE_CLERK, village), ("reviewer", Role.TOWNSHIP_REVIEWER, township),
        ("discipline", Role.TOWNSHIP_DISCIPLINE, township))]  # fmt: skip
    clerk = staff[0]
    dibao, caiwu = Category.objects.get(slug="dibao"), Category.objects.get(slug="caiwu")
    last = None
    for index in range(periods):
        period = f"{2025 + index // 12}-{1 + index % 12:02d}"
        revision = s.disclosure_open_draft(actor=clerk, division=village, category=dibao, period=period, phase="post")
        entries = [
            RosterEntry(name=f"村民{i:04d}", group=f"第{1 + i % 5}村民小组", household_size=1 + i % 4,
                        amount=Decimal(500 + i % 300), assistance_class="AB"[i % 2])
            for i in range(rows)
        ]  # fmt: skip
        s.revision_replace_entries(actor=clerk, revision=revision, entries=entries)
        last = publish(staff, revision.disclosure)
    revision = s.disclosure_open_draft(actor=clerk, division=village, category=caiwu, period="2026")
    lines = [LedgerLine(date=dt.date(2026, 1 + i % 12, 1 + i % 28), summary=f"第{i}笔", income=Decimal(100 + i % 50),
                        expense=Decimal(90 + i % 40)) for i in range(ledger_lines)]  # fmt: skip
    s.revision_replace_ledger(actor=clerk, revision=revision, lines=lines)
    return village, county, dibao, last, publish(staff, revision.disclosure)


def publish(staff, disclosure):
    from disclosures import services as s

    clerk, reviewer, discipline = staff
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer)
    if disclosure.category.review_chain == "reviewer_discipline":
        s.disclosure_approve_discipline(disclosure=disclosure, actor=discipline)
    s.disclosure_publish(disclosure=disclosure, actor=discipline if disclosure.category.review_chain ==
                         "reviewer_discipline" else reviewer)  # fmt: skip
    disclosure.refresh_from_db()
    return disclosure


def median_ms(function, rounds, before=None):
    times = []
    for _ in range(rounds):
        if before:
            before()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def weasyprint_seconds(revision, rounds):
    """Median seconds of bare WeasyPrint on the bulletin's HTML with and without its charts, alternating, so the
    machine's changing load falls on both alike."""
    from weasyprint import HTML

    from disclosures import bulletin
    from sunshine.charts import Chart

    with_charts = bulletin.bulletin_parts(revision)[0]
    with mock.patch.object(bulletin, "payout_bulletin_chart", lambda disclosure: Chart("none", "", "", [], [], [])):
        without = bulletin.bulletin_parts(revision)[0]
    assert "chart-svg" in with_charts and "chart-svg" not in without
    times = {True: [], False: []}
    for _ in range(rounds):
        for charts, html in ((True, with_charts), (False, without)):
            start = time.perf_counter()
            HTML(string=html, base_url=str(ROOT)).write_pdf()
            times[charts].append(time.perf_counter() - start)
    return statistics.median(times[True]), statistics.median(times[False])


def charts_alone_ms(charts, rounds):
    """Bare WeasyPrint on a page holding only ``charts`` (tables open, as printed), less an almost empty page."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    body = "".join(render_to_string("charts/chart.html", {"chart": chart}) for chart in charts)
    page = '<html lang="zh-hans"><body style="font-family: \'Noto Sans CJK SC\'">{}</body></html>'
    full = median_ms(lambda: HTML(string=page.format(body)).write_pdf(), rounds)
    empty = median_ms(lambda: HTML(string=page.format("<p>空</p>")).write_pdf(), rounds)
    return full - empty


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--ledger-lines", type=int, default=1200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    setup()
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.test import Client

    from disclosures.charts import category_charts, category_periods, ledger_chart, ledger_months, payout_bulletin_chart
    from disclosures.views import disclosure_url

    started = time.perf_counter()
    village, county, dibao, payout, ledger = build(args.periods, args.rows, args.ledger_lines)
    print(f"built {args.periods} payouts × {args.rows} rows and a {args.ledger_lines}-line ledger "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    revision, rounds = ledger.current_revision, args.rounds
    print(f"ledger month sums, uncached: {median_ms(lambda: ledger_months(revision), rounds, cache.clear):.2f} ms")
    print(f"ledger month sums, cached:   {median_ms(lambda: ledger_months(revision), rounds):.3f} ms")
    print(f"category sums, village:      {median_ms(lambda: category_periods(village, dibao), rounds):.2f} ms")
    print(f"category sums, county:       {median_ms(lambda: category_periods(county, dibao), rounds):.2f} ms")
    charts = [ledger_chart(revision), *category_charts(village, dibao)]
    layout = median_ms(lambda: [ledger_chart(revision), *category_charts(village, dibao)], rounds)
    template = median_ms(lambda: [render_to_string("charts/chart.html", {"chart": c}) for c in charts], rounds)
    print(f"three charts laid out (with their queries, ledger cached): {layout:.2f} ms; rendered: {template:.2f} ms")
    client = Client()
    for name, url in (("ledger page", disclosure_url(ledger)), ("category page", f"/d/{village.code}/c/dibao/")):
        client.get(url)
        print(f"{name} (full stack): {median_ms(lambda url=url: client.get(url), rounds):.1f} ms")
    payout_revision = payout.current_revision
    payout_revision.disclosure = payout
    for name, chart in (("ledger", ledger_chart(revision, printed=True)), ("payout", payout_bulletin_chart(payout))):
        alone = charts_alone_ms([chart], rounds)
        print(f"the {name} bulletin's chart with its table alone, bare WeasyPrint: {alone:.0f} ms")
    with_charts, without = weasyprint_seconds(payout_revision, max(3, rounds // 4))
    print(f"{args.rows}-row payout bulletin, bare WeasyPrint: {with_charts:.2f} s with its chart, "
          f"{without:.2f} s without ({(with_charts - without) * 1000:+.0f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
