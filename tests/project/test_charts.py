"""The SVG chart helper (sunshine/charts.py + templates/charts/chart.html): every number of the table is in the
SVG, the SVG is well-formed, negative values draw left of zero, no data gives a plain 暂无数据."""

from decimal import Decimal

from django.template.loader import render_to_string

from sunshine.charts import Row, Series, bar_chart, money, nice_ticks, tick_text
from tests.charts import bars, figure, svg_of, svg_texts, table_rows

UP = Series("up", "收入", "#1a7f37")
DOWN = Series("down", "支出", "#b3261e", "hatch")


def rendered(chart):
    return render_to_string("charts/chart.html", {"chart": chart})


def chart_of(rows, **kw):
    return bar_chart(chart_id="c", title="测试图", description="说明", series=[UP, DOWN], headers=["月", "收", "支"],
                     rows=rows, **kw)  # fmt: skip


def row(label, up, down):
    texts = [money(up), money(down)]
    return Row(label, [up, down], texts, texts)


def test_every_number_of_the_table_is_written_in_the_svg_beside_its_series():
    fig = figure(rendered(chart_of([row("1月", Decimal("81500"), Decimal("6833.5")), row("2月", 0, 1200)])), "c")
    assert table_rows(fig) == {"1月": ["81,500.00", "6,833.50"], "2月": ["0.00", "1,200.00"]}
    texts = svg_texts(fig)
    assert {"收入 81,500.00", "支出 6,833.50", "收入 0.00", "支出 1,200.00", "1月", "2月"} <= set(texts)
    svg = svg_of(fig)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c-title c-desc"
    assert svg.get("viewBox").startswith("0 0 360 ") and svg.get("width") == "100%"
    assert "style" not in fig  # presentation attributes only: the CSP forbids inline styles


def test_bars_are_proportional_and_a_zero_value_draws_no_bar():
    fig = figure(rendered(chart_of([row("1月", 200, 100), row("2月", 0, 50)])), "c")
    widths = [float(b.get("width")) for b in bars(fig)]
    assert len(widths) == 3  # 2月's 收入 is zero: its label is there, its bar is not
    assert abs(widths[0] - 2 * widths[1]) < 0.2 and abs(widths[1] - 2 * widths[2]) < 0.2


def test_patterns_as_well_as_colours_tell_the_series_apart():
    fig = figure(rendered(chart_of([row("1月", 1, 1)])), "c")
    assert 'fill="url(#c-down)"' in fig and '<pattern id="c-down"' in fig and 'fill="#1a7f37"' in fig


def test_a_negative_value_draws_left_of_the_zero_line():
    chart = chart_of([row("1月", 100, 0), Row("2月", [-50, 0], ["-50.00", "0.00"], ["-50.00", "0.00"])])
    fig = figure(rendered(chart), "c")
    positive, negative = bars(fig)
    assert float(negative.get("x")) < chart.zero_x == float(positive.get("x"))
    assert abs(float(negative.get("x")) + float(negative.get("width")) - chart.zero_x) < 0.2


def test_no_data_gives_a_plain_message_and_no_svg():
    page = rendered(chart_of([]))
    assert "暂无数据" in page and "<svg" not in page and "<table" not in page


def test_ticks_are_round_numbers_covering_the_values():
    assert nice_ticks(0, 81500) == [0, 25000, 50000, 75000, 100000]
    assert nice_ticks(-50, 100)[0] <= -50 and nice_ticks(-50, 100)[-1] >= 100
    assert [tick_text(v) for v in (0, 5000, 25000, 150000000)] == ["0", "5千", "2.5万", "1.5亿"]
    assert tick_text(50, percent=True) == "50%"


def test_the_printed_form_opens_the_table_and_leaves_the_numbers_off_the_bars():
    fig = figure(rendered(chart_of([row("1月", 200, 100)], table_open=True, value_labels=False)), "c")
    assert table_rows(fig) == {"1月": ["200.00", "100.00"]} and "<details" not in fig
    assert "收入 200.00" not in svg_texts(fig) and "1月" in svg_texts(fig) and len(bars(fig)) == 2


def test_a_label_wider_than_its_column_is_squeezed_to_fit_not_cut_off():
    fig = figure(rendered(chart_of([row("某某某某某某镇", 1, 1), row("一乡", 1, 1)])), "c")
    labels = {
        t.text: t for t in svg_of(fig).iter("{http://www.w3.org/2000/svg}text") if t.text in ("某某某某某某镇", "一乡")
    }
    assert labels["某某某某某某镇"].get("textLength") == "62" and labels["一乡"].get("textLength") is None
