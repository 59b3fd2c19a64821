"""People and places every story can use.

The world: county 测试县 with townships 一乡 (t1) and 二乡 (t2); t1 has villages
甲村 (v1, with 一组) and 乙村 (v2); t2 has 丙村 (v3). Staff are named for who
they are and where: ``clerk_v1`` is 甲村's clerk, ``reviewer_t1`` reviews 一乡.
"""

import re
from html.parser import HTMLParser

import pytest

from tests import factories as f
from villages.models import Role


@pytest.fixture(autouse=True)
def _chinese_first():
    """Every test starts in the site's language: a request in English must not leak into the next test's
    messages (the test client's LocaleMiddleware activates the request's language in this thread)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none (no order-dependent limits)."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def world(db):
    county = f.county("测试县", code="990100000000")
    t1 = f.township(county, "一乡", code="990101000000")
    t2 = f.township(county, "二乡", code="990102000000")
    v1 = f.village(t1, "甲村", code="990101001000")
    v2 = f.village(t1, "乙村", code="990101002000")
    v3 = f.village(t2, "丙村", code="990102001000")
    g1 = f.group(v1, "一组")
    return type("World", (), {"county": county, "t1": t1, "t2": t2, "v1": v1, "v2": v2, "v3": v3, "g1": g1})


@pytest.fixture
def clerk_v1(world):
    return f.staff("clerk_v1", Role.VILLAGE_CLERK, world.v1)


@pytest.fixture
def clerk_v3(world):
    return f.staff("clerk_v3", Role.VILLAGE_CLERK, world.v3)


@pytest.fixture
def reviewer_t1(world):
    return f.staff("reviewer_t1", Role.TOWNSHIP_REVIEWER, world.t1)


@pytest.fixture
def reviewer_t2(world):
    return f.staff("reviewer_t2", Role.TOWNSHIP_REVIEWER, world.t2)


@pytest.fixture
def discipline_t1(world):
    return f.staff("discipline_t1", Role.TOWNSHIP_DISCIPLINE, world.t1)


@pytest.fixture
def discipline_t2(world):
    return f.staff("discipline_t2", Role.TOWNSHIP_DISCIPLINE, world.t2)


@pytest.fixture
def inspector(world):
    return f.staff("inspector", Role.COUNTY_INSPECTOR, world.county)


@pytest.fixture
def county_admin(world):
    return f.staff("county_admin", Role.COUNTY_ADMIN, world.county)


@pytest.fixture
def other_county_inspector(db):
    other = f.county("别县", code="990200000000")
    return f.staff("inspector_other", Role.COUNTY_INSPECTOR, other)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium driven by Playwright; never a downloaded browser."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make install does)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A 360 × 740 phone-sized page (a cheap Android phone inside WeChat's browser)."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    yield page
    context.close()


def assert_no_horizontal_scroll(page):
    # A click that navigates returns once the new page commits, before it has a document element.
    page.wait_for_load_state("domcontentloaded")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"page scrolls sideways by {overflow}px at {page.viewport_size['width']}px"


# Every element whose box reaches past the viewport's right edge, and every element that scrolls sideways inside
# itself (a table in an overflow:auto wrapper): either means a resident must scroll sideways to read something.
# Boxes parked off-screen to the left (the skip link, the honeypot) do not count.
OVERFLOWING_ELEMENTS_JS = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= 0) continue;
    const inside = el.scrollWidth - el.clientWidth;
    const style = getComputedStyle(el);
    const scrolls = ['auto', 'scroll'].includes(style.overflowX) && inside > 1;
    if (box.right > width + 0.5 || scrolls) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      found.push(`${name} (right ${Math.round(box.right)}px, scrolls ${inside}px)`);
    }
  }
  return found;
}"""


def overflowing_elements(page):
    page.wait_for_load_state("domcontentloaded")
    return page.evaluate(OVERFLOWING_ELEMENTS_JS)


def admin_login(context, base, username, password="pw"):
    """A new page in ``context``, logged into the admin as ``username`` (factories' password)."""
    page = context.new_page()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return page


# Latin words a Chinese staff page may show: names of formats, standards and products, and units. Anything else
# in Latin letters on a staff page is an untranslated label (issue 14: "Confirmed at", "ROWS TOTAL").
LATIN_ALLOWED = {
    "API", "PDF", "Excel", "XLSX", "xlsx", "CSV", "csv", "ID", "Open311", "JSON", "Atom", "RSS", "URL", "HTTP",
    "HTTPS", "Token", "WeChat", "Redoc", "Swagger", "OpenAPI", "SHA", "HMAC", "MAC", "TOTP", "KB", "MB", "GB",
    "Open",  # Open311: the word rule stops at the digits
    "xls", "ods", "UTF", "GBK",  # the spreadsheet formats and text encodings the roster import accepts
}
# Text inside an element marked translate="no" (HTML's own mark for codes, hashes, file names) is not a label.
LATIN_WORD_JS = """() => {
  const kept = [...document.querySelectorAll('[translate="no"]')].map(el => [el, el.style.display]);
  kept.forEach(([el]) => { el.style.display = 'none'; });
  const text = document.body.innerText;
  kept.forEach(([el, display]) => { el.style.display = display; });
  return text.match(/[A-Za-z][A-Za-z_']{2,}/g) || [];
}"""
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_']{2,}")


class _VisibleText(HTMLParser):
    """The text a browser shows of an HTML page, roughly: no head, scripts, styles, hidden or translate="no" parts."""

    SKIPPED_TAGS = {"head", "script", "style", "template", "noscript", "textarea"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping = []  # one flag per open element: is it (or an ancestor) skipped?
        self.chunks = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        hidden = "hidden" in attrs or attrs.get("translate") == "no" or attrs.get("aria-hidden") == "true"
        self.skipping.append(bool(self.skipping and self.skipping[-1]) or tag in self.SKIPPED_TAGS or hidden)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.skipping:
            self.skipping.pop()

    def handle_data(self, data):
        if not (self.skipping and self.skipping[-1]):
            self.chunks.append(data)


def english_words_in_html(html, allow=()):
    """What :func:`english_words` finds, read from a response's HTML (Django's test client, no browser)."""
    parser = _VisibleText()
    parser.feed(html)
    allowed = LATIN_ALLOWED | set(allow)
    return sorted({word for word in LATIN_WORD.findall(" ".join(parser.chunks)) if word not in allowed})


def english_words(page, allow=()):
    """The Latin words visible on ``page`` beyond LATIN_ALLOWED and ``allow`` (user names, typed data), sorted."""
    page.wait_for_load_state("domcontentloaded")
    allowed = LATIN_ALLOWED | set(allow)
    return sorted({word for word in page.evaluate(LATIN_WORD_JS) if word not in allowed})


def assert_no_english(page, allow=()):
    found = english_words(page, allow)
    assert not found, f"{page.url} shows untranslated words: {found}"


@pytest.fixture
def run_tasks(monkeypatch):
    """Run every queued background task now, as a worker would (``db_worker --batch``)."""
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    # The worker drops connections whose autocommit is off between tasks; inside a test's transaction that would
    # close the test's own PostgreSQL connection (SQLite's in-memory one survives). Django's test client keeps
    # the connection across requests for the same reason.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run(queue="*"):
        call_command("db_worker", batch=True, reload=False, startup_delay=False, queue_name=queue, verbosity=0)

    return run


@pytest.fixture
def tcp_proxy():
    """Start TcpProxy instances (tests/faults.py) on 127.0.0.1; all are closed after the test."""
    from tests.faults import TcpProxy

    proxies = []

    def start(host, port):
        proxy = TcpProxy(host, port)
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.close()
