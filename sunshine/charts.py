"""Server-rendered SVG bar charts: no JavaScript, readable on a 360 px phone and in the bulletin PDF.

A chart is a ``<figure>`` holding an inline SVG (``role="img"`` named by its ``<title>``) and the table of the
same numbers, which is the chart's accessible equivalent (``templates/charts/chart.html``). This module only
lays the chart out: callers hand it rows of numbers they computed with one aggregate query, already formatted
for the table, and it works out where every bar and label goes.

Bars are horizontal, one band of bars per row (a month, a period, a township): labels then never need rotating,
any number of rows fits the phone's width, and each bar carries its value as text, so the SVG states every
number of the table. Series differ by pattern as well as colour, and each value label names its series, so
colour is never the only cue. The ``viewBox`` is 360 units wide and the SVG is ``width: 100%``, so on a 360 px
phone one unit is about one pixel and the 11-unit text stays legible.
"""

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 360
LABEL_WIDTH = 70  # row labels: 2026-Q4, 2026年10月, 三个字的乡镇
VALUE_ROOM_MIN, VALUE_ROOM_MAX = 60, 150  # after the longest bar, for its label: "余额 1,234,567.00"
BAR_HEIGHT = 14
BAR_GAP = 3
ROW_GAP = 12
TOP = 30  # the legend
AXIS_ROOM = 22  # tick labels under the plot
FONT_SIZE = 11
TEXT_COLOUR = "#1f2328"
AXIS_COLOUR = "#59636e"
GRID_COLOUR = "#d0d7de"
EMPTY_TEXT = "暂无数据"


@dataclass(frozen=True)
class Series:
    """One kind of bar. ``colour`` has at least 3:1 contrast on white (WCAG 1.4.11); ``pattern`` is
    ``solid``, ``hatch`` or ``dots``; ``label`` names the series in the legend and before every value."""

    key: str
    label: str
    colour: str
    pattern: str = "solid"
    short: str = ""  # before each value label; the label itself when empty

    @property
    def prefix(self):
        return self.short or self.label


@dataclass
class Row:
    """One band of bars: its label, one value per series (None: nothing to draw, ``texts`` says why), the
    value labels shown beside the bars and the table cells after the row header."""

    label: str
    values: list
    texts: list
    cells: list


@dataclass
class Bar:
    x: float
    y: float
    width: float
    series: Series
    text: str
    text_x: float
    fill: str
    height: float = BAR_HEIGHT

    @property
    def text_y(self):
        return round(self.y + self.height - 3, 1)


@dataclass
class Chart:
    chart_id: str
    title: str
    description: str
    series: list
    headers: list
    rows: list
    note: str = ""
    table_open: bool = False
    value_labels: bool = True
    width: int = WIDTH
    height: int = 0
    bands: list = field(default_factory=list)
    ticks: list = field(default_factory=list)
    legend: list = field(default_factory=list)
    zero_x: float = LABEL_WIDTH
    plot_bottom: float = TOP
    font_size: int = FONT_SIZE
    text_colour: str = TEXT_COLOUR
    axis_colour: str = AXIS_COLOUR
    grid_colour: str = GRID_COLOUR
    empty_text: str = EMPTY_TEXT

    @property
    def empty(self):
        return not self.rows

    @property
    def table(self):
        """``(row label, [(column head, cell), …])`` per row: the cells know their heads for stacked cards."""
        return [(row.label, list(zip(self.headers[1:], row.cells, strict=True))) for row in self.rows]

    @property
    def table_summary(self):
        return "查看数据表"

    @property
    def axis_label_y(self):
        return round(self.plot_bottom + 14, 1)

    @property
    def label_x(self):
        return LABEL_WIDTH - 6

    @property
    def patterned(self):
        return [s for s in self.series if s.pattern != "solid"]


def bar_chart(*, chart_id, title, description, series, headers, rows, note="", scale_max=None, percent=False,
              table_open=False, value_labels=True):  # fmt: skip
    """Lay out a horizontal grouped bar chart. ``rows`` are ``Row``s; ``headers`` the table's column heads
    (the first heads the row labels). ``scale_max`` fixes the scale's top (100 for percentages).

    ``table_open`` shows the table instead of folding it into a 查看数据表 ``<details>``; ``value_labels=False``
    leaves the numbers beside the bars out, for print, where the open table sits right under the chart: WeasyPrint
    lays out each SVG ``<text>`` on its own, several times slower than a table cell (bench/bench_charts.py)."""
    chart = Chart(chart_id, title, description, list(series), list(headers), list(rows), note, table_open)
    chart.value_labels = value_labels
    if chart.empty:
        return chart
    values = [Decimal(str(v)) for row in chart.rows for v in row.values if v is not None]
    low = min([Decimal(0), *values])
    high = max([Decimal(0), *values, Decimal(str(scale_max or 0))])
    ticks = nice_ticks(low, high)
    low, high = min(low, ticks[0]), max(high, ticks[-1])
    span = high - low or Decimal(1)
    longest = max(text_width(f"{s.prefix} {t}") for row in chart.rows for s, t in zip(chart.series, row.texts))
    room = min(max(longest + 8, VALUE_ROOM_MIN), VALUE_ROOM_MAX) if value_labels else VALUE_ROOM_MIN // 2
    plot = WIDTH - LABEL_WIDTH - room

    def x_of(value):
        return round(LABEL_WIDTH + float((Decimal(str(value)) - low) / span) * plot, 1)

    chart.zero_x = x_of(0)
    chart.legend = _legend(chart)
    y = TOP
    for row in chart.rows:
        # A label wider than its column (a long township name) is squeezed to fit rather than cut off.
        squeeze = LABEL_WIDTH - 8 if text_width(row.label) > LABEL_WIDTH - 8 else None
        band = {"label": row.label, "label_y": 0, "bars": [], "squeeze": squeeze}
        top = y
        for item, value, text in zip(chart.series, row.values, row.texts, strict=True):
            band["bars"].append(_bar(chart, item, value, text, y, x_of))
            y += BAR_HEIGHT + BAR_GAP
        band["label_y"] = round((top + y - BAR_GAP) / 2 + FONT_SIZE / 2 - 1.5, 1)
        chart.bands.append(band)
        y += ROW_GAP
    chart.plot_bottom = y - ROW_GAP / 2
    chart.ticks = [{"x": x_of(t), "text": tick_text(t, percent=percent)} for t in ticks]
    chart.height = int(chart.plot_bottom + AXIS_ROOM)
    return chart


def _bar(chart, item, value, text, y, x_of):
    fill = item.colour if item.pattern == "solid" else f"url(#{chart.chart_id}-{item.key})"
    label = f"{item.prefix} {text}"
    if value is None:
        return Bar(chart.zero_x, y, 0, item, label, chart.zero_x + 4, fill)
    start, end = sorted((chart.zero_x, x_of(value)))
    # A negative bar ends left of zero; its label then sits right of the zero line, clear of the bar.
    text_x = max(end, chart.zero_x) + 4
    return Bar(start, y, round(end - start, 1), item, label, text_x, fill)


def _legend(chart):
    x, items = 0, []
    for item in chart.series:
        fill = item.colour if item.pattern == "solid" else f"url(#{chart.chart_id}-{item.key})"
        items.append({"x": x, "series": item, "fill": fill, "text_x": x + 18})
        x += 18 + text_width(item.label) + 12
    return items


def text_width(text):
    """A generous estimate of ``text``'s width at ``FONT_SIZE``: a CJK character is one em, others about 0.6."""
    return sum(FONT_SIZE if ord(ch) > 0x2E80 else FONT_SIZE * 0.6 for ch in text)


def nice_ticks(low, high, count=4):
    """Round tick values from ``low`` (≤ 0) to ``high`` (≥ 0): steps of 1, 2, 2.5 or 5 times a power of ten."""
    low, high = Decimal(str(low)), Decimal(str(high))
    span = high - low
    if span <= 0:
        return [Decimal(0), Decimal(1)]
    raw = span / count
    power = Decimal(10) ** (raw.adjusted())
    step = next(m * power for m in (1, 2, Decimal("2.5"), 5, 10) if m * power >= raw)
    first = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    ticks, value = [], first
    while value < high + step:
        ticks.append(value)
        if value >= high:
            break
        value += step
    return ticks


def tick_text(value, *, percent=False):
    """A short scale label: 0, 5千, 2万, 1.5亿; with ``percent`` 50%."""
    value = Decimal(str(value))
    if percent:
        return f"{value.normalize():f}%"
    magnitude = abs(value)
    for unit, size in (("亿", Decimal(10) ** 8), ("万", Decimal(10) ** 4), ("千", Decimal(1000))):
        if magnitude >= size:
            return f"{(value / size).normalize():f}{unit}"
    return f"{value.normalize():f}"


def money(value):
    """Yuan with two decimals and thousands separators, as the chart and its table print them."""
    return f"{Decimal(value or 0):,.2f}"


def percent_text(value):
    return "—" if value is None else f"{value}%"
