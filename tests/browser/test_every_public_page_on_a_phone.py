"""Every kind of public HTML page, on the demo county, fits a 360 px phone without sideways scrolling."""

import re

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import assert_no_horizontal_scroll, overflowing_elements
from tests.crawl import crawl

pytestmark = pytest.mark.browser

PER_SHAPE = 2
DIGITS = re.compile(r"\d+")


def _shape(path):
    """``/d/360121001000/dibao/2026-11/`` and its siblings share one shape; two of each are enough."""
    return DIGITS.sub("N", path.split("?")[0]) + ("?" if "?" in path else "")


def _html_pages(pages):
    return [path for path, text in pages.items() if text.lstrip()[:15].lower().startswith("<!doctype html")]


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_every_kind_of_public_page_fits_a_360px_phone(live_server, phone, large_text):
    call_command("seed_demo")
    if large_text:  # the township hall's touch terminal mode, also offered to elderly residents on phones
        phone.context.add_cookies([{"name": "kiosk", "value": "1", "url": live_server.url}])
    paths = _html_pages(crawl(Client(), ["/", "/complaints/", "/complaints/results/", "/data/"], limit=600))
    counts, sample = {}, []
    for path in sorted(paths):
        shape = _shape(path)
        if counts.get(shape, 0) < PER_SHAPE:
            counts[shape] = counts.get(shape, 0) + 1
            sample.append(path)
    assert len(counts) >= 10, f"the crawl found too few kinds of page: {sorted(counts)}"

    failures = []
    for path in sample:
        response = phone.goto(live_server.url + path)
        assert response.ok, path
        assert ("kiosk" in (phone.locator("html").get_attribute("class") or "")) == large_text, path
        try:
            assert_no_horizontal_scroll(phone)
        except AssertionError as exc:
            failures.append(f"{path}: {exc}")
        # The page as a whole may fit while a table scrolls sideways in its wrapper: every element must fit too.
        failures += [f"{path}: {problem}" for problem in overflowing_elements(phone)]
    assert not failures, "\n".join(failures)
