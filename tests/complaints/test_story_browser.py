"""Browser story: a resident files on a 360 px phone, the township replies in the admin, the resident rates
the reply, and the public results show it."""

import pytest

from complaints.models import Complaint, Status
from tests.conftest import admin_login, assert_no_horizontal_scroll

pytestmark = pytest.mark.browser


def move(page, base, pk, name, fields=None):
    page.goto(f"{base}/admin/complaints/complaint/{pk}/move/{name}/")
    for selector, value in (fields or {}).items():
        if selector.startswith("select"):
            page.select_option(selector.split(":", 1)[1], value=value)
        else:
            page.fill(selector, value)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    assert "已" in page.locator(".messagelist").inner_text(), page.content()[:2000]


def test_resident_files_township_replies_resident_rates_public_results(
    live_server, chromium, phone, world, cat, reviewer_t1
):
    base = live_server.url
    # 1. A resident on a 360 px phone, from the village page.
    phone.goto(f"{base}/v/{world.v1.code}/")
    phone.get_by_role("link", name="我要留言").click()
    assert_no_horizontal_scroll(phone)
    phone.select_option("#id_category", label="惠农补贴")
    phone.fill("#id_text", "今年的耕地地力保护补贴还没有发到一卡通上。")
    phone.fill("#id_phone", "13800001234")
    phone.screenshot(path="/tmp/complaints-intake-360.png", full_page=True)
    phone.get_by_role("button", name="提交").click()
    assert phone.locator("h1").inner_text() == "留言已提交"
    code = phone.locator("#tracking-code").inner_text()
    secret = phone.locator("#tracking-secret").inner_text()
    assert len(code) == 8 and len(secret) == 6
    assert_no_horizontal_scroll(phone)
    complaint = Complaint.objects.get(tracking_code=code)
    assert complaint.division == world.t1  # a township category

    # 2. The township reviewer works it in the admin.
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    reviewer = admin_login(desk, base, "reviewer_t1")
    reviewer.goto(f"{base}/admin/complaints/complaint/")
    assert code in reviewer.content()
    reviewer.get_by_role("link", name=code).click()
    reviewer.wait_for_url("**/change/")
    reviewer.wait_for_load_state()
    assert "13800001234" not in reviewer.content()  # who filed it only through the logged reveal
    reviewer.get_by_role("link", name="查看身份（需填写理由，将记录在案）").click()
    reviewer.fill("#id_reason", "电话联系留言人核实情况")
    reviewer.get_by_role("button", name="查看").click()
    assert "13800001234" in reviewer.content()
    move(reviewer, base, complaint.pk, "accept")
    move(reviewer, base, complaint.pk, "start")
    move(
        reviewer,
        base,
        complaint.pk,
        "reply",
        {"#id_reply": "经核查，补贴已于本周补发到账。", "select:#id_outcome": "substantiated"},
    )
    move(reviewer, base, complaint.pk, "publicity", {"#id_summary": "耕地地力保护补贴未到账"})
    move(reviewer, base, complaint.pk, "close")
    desk.close()

    # 3. The resident follows with code and secret (a fresh phone session) and rates the reply.
    phone.context.clear_cookies()
    phone.goto(f"{base}/complaints/track/")
    phone.fill("#id_code", code)
    phone.fill("#id_secret", secret)
    phone.get_by_role("button", name="查询").click()
    assert "补贴已于本周补发到账" in phone.content()
    assert_no_horizontal_scroll(phone)
    phone.get_by_label("满意", exact=True).check()
    phone.get_by_role("button", name="提交评价").click()
    assert "已收到您的评价" in phone.content()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.rating) == (Status.CLOSED, "satisfied")

    # 4. The public results show it, without identity.
    phone.goto(f"{base}/complaints/results/")
    page = phone.content()
    assert "耕地地力保护补贴未到账" in page and "补贴已于本周补发到账" in page and "13800001234" not in page
    assert_no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/complaints-results-360.png", full_page=True)
