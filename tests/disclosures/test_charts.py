"""Charts of published disclosures: a ledger's income, spending and month-end balance; a roster category's paid
households and amount per period. The table holds the data's sums, the SVG the table's numbers, one query per
chart whatever the rows, and the ledger's bulletin PDF prints the chart."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures import services as s
from disclosures.models import LedgerLine
from disclosures.views import disclosure_url
from tests import factories as f
from tests.charts import figure, svg_texts, table_rows
from tests.crawl import pdf_text
from tests.disclosures.helpers import approve_and_publish, draft_ledger, entry, published_roster
from villages.models import Role


def line(day, summary, income=0, expense=0):
    return LedgerLine(date=day, summary=summary, income=Decimal(str(income)), expense=Decimal(str(expense)))


LINES = [
    line(dt.date(2026, 8, 3), "上级拨款", income="81500"),
    line(dt.date(2026, 8, 20), "购买水泥", expense="6833"),
    line(dt.date(2026, 10, 2), "修路人工", expense="90000.50"),  # the balance goes below zero
    line(dt.date(2026, 8, 28), "村民集资", income="1200"),  # typed out of order: it still counts for August
    line(dt.date(2026, 10, 30), "利息", income="12.25"),
]


def published_ledger(crew, village, category, lines, period="2026-10"):
    clerk, reviewer, discipline = crew
    disclosure = draft_ledger(clerk, village, category, period=period, lines=lines)
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    return approve_and_publish(disclosure, reviewer, discipline)


def fetch(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries.captured_queries)


def test_the_ledger_chart_table_sums_each_month_and_carries_the_balance(client, world, categories, crew):
    disclosure = published_ledger(crew, world.v1, categories["caiwu"], LINES)
    page, _ = fetch(client, disclosure_url(disclosure))
    fig = figure(page, f"ledger-chart-{disclosure.current_revision_id}")
    # Sums by calendar month in date order, balance at each month's end; a month without lines has no row.
    assert table_rows(fig) == {
        "2026年8月": ["82,700.00", "6,833.00", "75,867.00"],
        "2026年10月": ["12.25", "90,000.50", "-14,121.25"],
    }
    texts = svg_texts(fig)
    for number in ("收入 82,700.00", "支出 6,833.00", "余额 75,867.00", "收入 12.25", "支出 90,000.50"):
        assert number in texts
    assert "余额 -14,121.25" in texts and "2026年10月" in texts
    assert "收入合计 82712.25 元，支出合计 96833.50 元，结余 -14121.25 元" in page  # the ledger's own totals agree


def test_the_ledger_page_costs_the_same_queries_with_two_lines_or_forty_and_caches_the_chart(
    client, world, categories, crew
):
    short = published_ledger(crew, world.v1, categories["caiwu"], LINES[:2])
    months = [line(dt.date(2026, 1 + i % 12, 1 + i % 27), f"第{i}笔", income=10 + i, expense=i) for i in range(40)]
    long = published_ledger(crew, world.v1, categories["caiwu"], months, period="2026")
    _, short_queries = fetch(client, disclosure_url(short))
    page, long_queries = fetch(client, disclosure_url(long))
    assert short_queries == long_queries
    assert len(table_rows(figure(page, f"ledger-chart-{long.current_revision_id}"))) == 12
    _, again = fetch(client, disclosure_url(long))
    assert again == long_queries - 1  # the month sums come from the cache for the same published version


def test_an_empty_ledger_says_no_data_instead_of_a_broken_chart(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    revision = s.disclosure_open_draft(actor=clerk, division=world.v1, category=categories["caiwu"], period="2026-10")
    s.revision_replace_ledger(actor=clerk, revision=revision, lines=[])
    s.disclosure_submit(disclosure=revision.disclosure, actor=clerk)
    disclosure = approve_and_publish(revision.disclosure, reviewer, discipline)
    fig = figure(fetch(client, disclosure_url(disclosure))[0], f"ledger-chart-{disclosure.current_revision_id}")
    assert "暂无数据" in fig and "<svg" not in fig


@pytest.fixture
def payouts(world, categories, crew):
    """甲村 paid in three months, 乙村 (same township) in one; a pre roster that must not count."""
    dibao = categories["dibao"]
    for period, rows in (
        ("2026-08", [entry("张三", 500), entry("李四", 300)]),
        ("2026-09", [entry("张三", 500), entry("李四", 300), entry("王五", 250.5)]),
        ("2026-10", [entry("张三", 520)]),
    ):
        published_roster(*crew, world.v1, dibao, period=period, phase="post", rows=rows)
    published_roster(*crew, world.v1, dibao, period="2026-11", phase="pre", rows=[entry("赵六", 999)])
    clerk_v2 = f.staff("clerk_v2", Role.VILLAGE_CLERK, world.v2)
    published_roster(clerk_v2, *crew[1:], world.v2, dibao, period="2026-09", phase="post", rows=[entry("钱七", 100)])
    return dibao


def test_the_category_chart_shows_paid_households_and_amount_per_period(client, world, payouts):
    page, _ = fetch(client, f"/d/{world.v1.code}/c/dibao/")
    households, amount = figure(page, "category-households-dibao"), figure(page, "category-amount-dibao")
    assert table_rows(households) == {"2026-08": ["2"], "2026-09": ["3"], "2026-10": ["1"]}
    assert table_rows(amount) == {"2026-08": ["800.00"], "2026-09": ["1,050.50"], "2026-10": ["520.00"]}
    assert "发放金额 1,050.50" in svg_texts(amount) and "人（户）数 3" in svg_texts(households)
    assert "2026-11" not in households  # the pre roster (拟享受名单公示) is an announcement, not a payment


def test_the_township_category_chart_adds_up_its_villages(client, world, payouts):
    page, _ = fetch(client, f"/d/{world.t1.code}/c/dibao/")
    assert table_rows(figure(page, "category-households-dibao"))["2026-09"] == ["4"]
    assert table_rows(figure(page, "category-amount-dibao"))["2026-09"] == ["1,150.50"]
    other, _ = fetch(client, f"/d/{world.t2.code}/c/dibao/")
    assert "暂无数据" in figure(other, "category-households-dibao") and "<svg" not in other


def test_the_category_chart_costs_one_query_whatever_the_number_of_periods(client, world, categories, crew):
    dibao = categories["dibao"]
    published_roster(*crew, world.v1, dibao, period="2026-01", phase="post", rows=[entry("张三", 500)])
    _, one = fetch(client, f"/d/{world.v1.code}/c/dibao/")
    for month in range(2, 8):
        published_roster(*crew, world.v1, dibao, period=f"2026-{month:02d}", phase="post", rows=[entry("张三", 500)])
    page, seven = fetch(client, f"/d/{world.v1.code}/c/dibao/")
    assert seven == one and len(table_rows(figure(page, "category-households-dibao"))) == 7


def test_the_ledger_bulletin_pdf_prints_the_chart(client, world, categories, crew, run_tasks):
    disclosure = published_ledger(crew, world.v1, categories["caiwu"], LINES)
    run_tasks()
    response = client.get(disclosure_url(disclosure, "bulletin", number=1))
    content = b"".join(response.streaming_content)
    text = pdf_text(content)
    assert "按月收支与月末余额" in text and "2026年8月" in text
    assert "82,700.00" in text and "-14,121.25" in text  # the chart's table (and its labels) on paper


def test_a_payout_bulletin_prints_the_periods_up_to_its_own(client, world, payouts, run_tasks):
    from disclosures.models import Disclosure

    september = Disclosure.objects.get(division=world.v1, period="2026-09", phase="post")
    run_tasks()
    response = client.get(disclosure_url(september, "bulletin", number=1))
    content = b"".join(response.streaming_content)
    text = pdf_text(content)
    chart = text.split("本期及前几期发放情况")[1]
    assert "2026-08" in chart and "1,050.50" in chart and "800.00" in chart
    assert "2026-10" not in chart  # a later payout is not on September's notice
