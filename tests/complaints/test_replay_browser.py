"""Browser story on a 360 px phone: a resident submits, goes back and submits the same form again, and gets
the complaint already stored; the done page reopens; 忘记查询密码 fits the screen."""

import pytest

from complaints.models import Complaint
from tests.conftest import assert_no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_back_and_submit_again_shows_the_same_complaint(live_server, phone, world, cat):
    base = live_server.url
    phone.goto(f"{base}/complaints/new/?village={world.v1.code}")
    phone.select_option("#id_category", label="环境卫生")
    phone.fill("#id_text", "村口垃圾堆了半个月没人清理。")
    phone.get_by_role("button", name="提交").click()
    code = phone.locator("#tracking-code").inner_text()
    secret = phone.locator("#tracking-secret").inner_text()

    phone.go_back()  # the form, still filled in (the browser's page cache or its form restore)
    phone.wait_for_load_state()
    if not phone.input_value("#id_text"):
        pytest.skip("this chromium does not restore the form on back")
    phone.get_by_role("button", name="提交").click()
    assert phone.locator("#tracking-code").inner_text() == code
    assert "没有重复提交" in phone.content()
    assert Complaint.objects.count() == 1

    phone.goto(f"{base}/complaints/done/")
    assert phone.locator("#tracking-secret").inner_text() == secret
    assert_no_horizontal_scroll(phone)

    phone.goto(f"{base}/complaints/track/")
    phone.get_by_role("link", name="忘记查询密码？").click()
    phone.fill("#id_code", code)
    phone.fill("#id_phone", "13800001234")
    assert_no_horizontal_scroll(phone)
    phone.get_by_role("button", name="发送新密码").click()
    assert "新密码会通过短信发到这个手机" in phone.locator("#resend-answer").inner_text()
    assert_no_horizontal_scroll(phone)
