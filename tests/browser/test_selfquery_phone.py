"""我的补贴 on a 360 px phone, in normal and large text, with JavaScript switched off: the demo resident finds
every roster line, the page never scrolls sideways, and every link and button is a 44 px target."""

import pytest
from django.core.management import call_command

from disclosures.demo import DEMO_RESIDENT_ID, DEMO_RESIDENT_NAME
from tests.conftest import assert_no_horizontal_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def plain_phone(chromium):
    """The same phone as ``phone``, with JavaScript off: the page must not need it."""
    context = chromium.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        java_script_enabled=False,
    )
    yield context.new_page()
    context.close()


def small_targets(page, selector):
    boxes = [(element.inner_text(), element.bounding_box()) for element in page.locator(selector).all()]
    return [(text, box["height"]) for text, box in boxes if box is not None and box["height"] < 44]


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_the_demo_resident_finds_every_list_on_a_phone_without_javascript(live_server, plain_phone, large_text):
    call_command("seed_demo", verbosity=0)
    page = plain_phone
    if large_text:
        page.context.add_cookies([{"name": "kiosk", "value": "1", "url": live_server.url}])
    page.goto(live_server.url + "/my/")
    assert_no_horizontal_scroll(page)
    page.get_by_label("姓名").fill(DEMO_RESIDENT_NAME)
    page.get_by_label("身份证号").fill(DEMO_RESIDENT_ID.lower())  # a lower-case x or not, it is normalised
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()

    answer = page.locator("#answer")
    assert answer.locator("li.line").count() == 3
    assert answer.locator("li.line.anomaly").count() == 1
    assert "公示了但未发放" in answer.locator("li.line.anomaly").inner_text()
    assert page.get_by_label("身份证号").input_value() == ""  # never written back
    assert DEMO_RESIDENT_ID not in page.content()
    assert_no_horizontal_scroll(page)
    assert small_targets(page, "#answer a, form.selfquery-form button") == []

    page.get_by_label("身份证号").fill("123")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert "身份证号" in summary.inner_text()
    assert summary.locator("a").get_attribute("href") == "#id_id_number"
    assert small_targets(page, "#error-summary a") == []
    assert_no_horizontal_scroll(page)
