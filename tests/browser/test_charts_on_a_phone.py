"""The charts on a 360 px phone, normal and large text: no sideways scrolling, the SVG inside the column and its
words no smaller than about 10 px; the data table stacks into cards and opens without JavaScript."""

import pytest
from django.core.management import call_command

from disclosures.models import Disclosure
from disclosures.views import disclosure_url
from tests.conftest import assert_no_horizontal_scroll
from villages.models import Division

pytestmark = pytest.mark.browser


def chart_pages():
    ledger = Disclosure.objects.get(division__name="东坪村", category__slug="caiwu", period="2026-10")
    village = ledger.division
    return [
        disclosure_url(ledger),
        f"/d/{village.code}/c/dibao/",
        f"/d/{village.parent.code}/c/dibao/",
        f"/d/{Division.objects.get(level='county').code}/c/tekun/",
        "/complaints/results/",
    ]


def svg_sizes(page):
    """Per chart on the page: its SVG's width, its right edge and its smallest word's rendered height (px)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('figure.chart svg')].map(svg => {
            const box = svg.getBoundingClientRect();
            const words = [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height);
            return {width: box.width, right: box.right, smallest: Math.min(...words)};
        })"""
    )


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_every_chart_fits_a_360px_phone_and_stays_legible(live_server, phone, large_text):
    call_command("seed_demo")
    if large_text:
        phone.context.add_cookies([{"name": "kiosk", "value": "1", "url": live_server.url}])
    for number, path in enumerate(chart_pages()):
        assert phone.goto(live_server.url + path).ok, path
        phone.screenshot(path=f"/tmp/charts-{number}-{'large' if large_text else 'normal'}.png", full_page=True)
        assert_no_horizontal_scroll(phone)
        sizes = svg_sizes(phone)
        assert sizes, f"no chart on {path}"
        for size in sizes:
            assert size["right"] <= 360 and size["width"] >= 300, (path, size)
            assert size["smallest"] >= 10, (path, size)


def test_the_data_table_opens_without_javascript_and_stacks_into_cards(live_server, chromium):
    call_command("seed_demo")
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + chart_pages()[0])
    page.get_by_text("查看数据表").click()
    table = page.locator("figure.chart table.chart-table")
    assert table.is_visible()
    assert "余额" in table.inner_text() and page.locator("figure.chart thead").is_hidden()  # cards: labels per cell
    assert_no_horizontal_scroll(page)
    context.close()
