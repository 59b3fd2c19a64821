import pytest
from django.core.management import call_command

from tests.conftest import assert_no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_home_page_fits_a_360px_phone(live_server, phone):
    call_command("seed_demo")
    phone.goto(live_server.url + "/")
    assert phone.locator("h1").first.inner_text().startswith("阳光县")
    assert_no_horizontal_scroll(phone)
    phone.get_by_role("link", name="东坪村").click()
    assert phone.locator("h1").inner_text() == "东坪村"
    assert_no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/home-360.png", full_page=True)


def test_large_text_mode_without_javascript(live_server, chromium):
    call_command("seed_demo")
    context = chromium.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="大字模式").click()
    assert "kiosk" in (page.locator("html").get_attribute("class") or "")
    assert_no_horizontal_scroll(page)  # page scripts are off; Playwright's evaluate runs in its own world
    context.close()
