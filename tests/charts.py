"""Read a chart (templates/charts/chart.html) back out of a page: the SVG's texts and bars, and the data table."""

import html
import re
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"


def figure(page, chart_id):
    """The ``<figure>`` of chart ``chart_id`` in ``page`` (fails if there is none, or more than one)."""
    found = re.findall(rf'<figure class="chart" id="{re.escape(chart_id)}">.*?</figure>', page, re.S)
    assert len(found) == 1, f"{len(found)} figures named {chart_id}"
    return found[0]


def svg_of(fig):
    """The chart's SVG as an XML tree: it must be well-formed on its own."""
    match = re.search(r"<svg\b.*?</svg>", fig, re.S)
    return ET.fromstring(match.group(0)) if match else None


def svg_texts(fig):
    return ["".join(t.itertext()) for t in svg_of(fig).iter(f"{SVG_NS}text")]


def bars(fig):
    return [r for r in svg_of(fig).iter(f"{SVG_NS}rect") if r.get("height") == "14"]


def table_rows(fig):
    """``{row label: [cells]}`` of the chart's data table."""
    rows = {}
    for label, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', fig, re.S):
        rows[html.unescape(label)] = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)]
    return rows
