"""Charts of published disclosures: a ledger's income, spending and balance by month; a roster category's paid
households and amount over the periods. One aggregate query per chart; the layout is ``sunshine.charts``.

Category charts count **payout rosters only** (发放结果公开, phase ``post``): a pre-disbursement notice
(拟享受名单公示) lists only the households newly approved or changed, so adding it would count a household twice
and mix announced with paid money. The reconciliation page compares the two.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from sunshine.charts import Row, Series, bar_chart, money
from villages.models import Level

from .models import Kind, Phase
from .selectors import public_disclosures

LEDGER_CACHE_SECONDS = 24 * 3600  # a published revision never changes; the key carries its checksum anyway
PERIODS_SHOWN = 12  # the newest periods of a category chart
PERIODS_PRINTED = 6  # on a payout's bulletin: its own period and the five before
PAYOUTS_ONLY = "只计已公开的发放结果（发放名单）；拟享受名单公示只列新增或调整的人，不计入。"

INCOME = Series("income", "收入", "#1a7f37")
EXPENSE = Series("expense", "支出", "#b3261e", "hatch")
BALANCE = Series("balance", "余额", "#0b57d0", "dots")
HOUSEHOLDS = Series("households", "人（户）数", "#0b57d0")
AMOUNT = Series("amount", "发放金额", "#1a7f37", "hatch")


def ledger_months(revision):
    """``[{"month": date, "income", "expense", "balance"}]`` in month order: sums of the revision's lines per
    calendar month and the balance at the month's end (the running balance of the ledger, which starts at 0 as
    the ledger's own 余额 column does). One query, cached per published revision."""

    def compute():
        rows = (
            revision.ledger_lines.annotate(month=TruncMonth("date"))
            .values("month")
            .annotate(income=Sum("income"), expense=Sum("expense"))
            .order_by("month")
        )
        balance, months = Decimal("0"), []
        for row in rows:
            income, expense = row["income"] or Decimal("0"), row["expense"] or Decimal("0")
            balance += income - expense
            months.append({"month": row["month"], "income": income, "expense": expense, "balance": balance})
        return months

    return cache.get_or_set(f"chart:ledger:{revision.pk}:{revision.checksum}", compute, LEDGER_CACHE_SECONDS)


def ledger_chart(revision, *, printed=False):
    """The ledger's chart; ``printed`` (the bulletin): the table open under it, no numbers beside the bars."""
    months = ledger_months(revision)
    rows = []
    for m in months:
        label = f"{m['month'].year}年{m['month'].month}月"
        texts = [money(m["income"]), money(m["expense"]), money(m["balance"])]
        rows.append(Row(label, [m["income"], m["expense"], m["balance"]], texts, texts))
    return bar_chart(
        chart_id=f"ledger-chart-{revision.pk}",
        title="按月收支与月末余额（元）",
        description="每月收入、支出合计和月末余额的条形图，数字见图下的数据表。",
        series=[INCOME, EXPENSE, BALANCE],
        headers=["月份", "收入（元）", "支出（元）", "月末余额（元）"],
        rows=rows,
        note="月末余额为本账目从第一笔起累计的收入减支出。",
        table_open=printed,
        value_labels=not printed,
    )


def category_periods(division, category, *, until=None, limit=PERIODS_SHOWN):
    """Per period, oldest first (the newest ``limit``, none after ``until``): payout rosters published in
    ``division`` and the villages under it, the people (households) they list and the amount paid. One query."""
    disclosures = public_disclosures().filter(
        category=category, phase=Phase.POST, division__path__startswith=division.path
    )
    if until:
        disclosures = disclosures.filter(period__lte=until)
    rows = (
        disclosures.values("period")
        .annotate(
            rosters=Count("id"),
            households=Sum("current_revision__entry_count"),
            amount=Sum("current_revision__amount_total"),
        )
        .order_by("-period")[:limit]
    )
    return [
        {**row, "households": row["households"] or 0, "amount": row["amount"] or Decimal("0")}
        for row in reversed(list(rows))
    ]


def scope_name(division):
    return {Level.VILLAGE: "本村", Level.TOWNSHIP: "全乡镇各村合计", Level.COUNTY: "全县各村合计"}.get(
        division.level, division.name
    )


def category_charts(division, category):
    """The households chart and the amount chart of a roster category (two scales, so two charts); none for
    other kinds of category."""
    if category.kind != Kind.ROSTER:
        return []
    periods = category_periods(division, category)
    scope = scope_name(division)
    note = PAYOUTS_ONLY
    people_rows = [Row(p["period"], [p["households"]], [str(p["households"])], [str(p["households"])]) for p in periods]
    amount_rows = [Row(p["period"], [p["amount"]], [money(p["amount"])], [money(p["amount"])]) for p in periods]
    common = {"note": note}
    return [
        bar_chart(
            chart_id=f"category-households-{category.slug}",
            title=f"{category.name}：每期发放人（户）数（{scope}）",
            description="每期发放名单所列人（户）数的条形图，数字见图下的数据表。",
            series=[HOUSEHOLDS],
            headers=["期次", "人（户）数"],
            rows=people_rows,
            **common,
        ),
        bar_chart(
            chart_id=f"category-amount-{category.slug}",
            title=f"{category.name}：每期发放金额（元，{scope}）",
            description="每期发放名单合计金额的条形图，数字见图下的数据表。",
            series=[AMOUNT],
            headers=["期次", "发放金额（元）"],
            rows=amount_rows,
            **common,
        ),
    ]


def payout_bulletin_chart(disclosure):
    """On a payout roster's bulletin: the amount paid in its village for its period and the five before, the
    households in the table under it. One chart, no numbers beside the bars (the open table has them): the
    500-row bulletin must stay within its 2.5 s (bench/bench_charts.py). The periods come from the database when
    the bulletin is rendered, that is at publication."""
    periods = category_periods(disclosure.division, disclosure.category, until=disclosure.period, limit=PERIODS_PRINTED)
    rows = [
        Row(p["period"], [p["amount"]], [money(p["amount"])], [str(p["households"]), money(p["amount"])])
        for p in periods
    ]
    return bar_chart(
        chart_id=f"payout-history-{disclosure.pk}",
        title=f"{disclosure.category.name}：本期及前几期发放情况（{scope_name(disclosure.division)}）",
        description="每期发放金额的条形图，人（户）数和金额见图下的表。",
        series=[AMOUNT],
        headers=["期次", "人（户）数", "发放金额（元）"],
        rows=rows,
        note=PAYOUTS_ONLY,
        table_open=True,
        value_labels=False,
    )
