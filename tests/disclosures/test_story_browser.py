"""Browser story: a clerk drafts a roster, the two reviewers approve it, a resident on a 360 px phone finds
their name on the public page."""

import pytest

from disclosures.models import Disclosure, Status
from tests.conftest import admin_login, assert_no_horizontal_scroll

pytestmark = pytest.mark.browser


def act(page, base, action_label):
    page.goto(f"{base}/admin/disclosures/disclosure/")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", label=action_label)
    page.click("button[name=index]")
    page.wait_for_load_state()
    content = page.content()
    assert "已处理 1 项" in content, content[content.find("messagelist") : content.find("messagelist") + 800]


def test_roster_from_draft_to_a_phone(live_server, chromium, phone, world, categories, crew):
    base = live_server.url
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")

    clerk = admin_login(desk, base, "clerk_v1")
    clerk.goto(f"{base}/admin/disclosures/disclosure/add/")
    clerk.select_option("#id_division", label="甲村")
    clerk.select_option("#id_category", label=categories["dibao"].name)
    clerk.fill("#id_period", "2026-11")
    clerk.select_option("#id_phase", value="pre")
    clerk.click("input[name=_save]")
    assert "/admin/disclosures/revision/" in clerk.url
    for i, (name, group, size, amount) in enumerate([("张秀英", "一组", "2", "620"), ("李建国", "一组", "1", "480")]):
        clerk.fill(f"#id_entries-{i}-name", name)
        clerk.fill(f"#id_entries-{i}-group", group)
        clerk.fill(f"#id_entries-{i}-household_size", size)
        clerk.fill(f"#id_entries-{i}-amount", amount)
    clerk.fill("#id_entries-0-id_number", "110101199003070011")
    clerk.click("input[name=_save]")
    assert "errornote" not in clerk.content()
    act(clerk, base, "提交审核")
    desk.clear_cookies()

    reviewer = admin_login(desk, base, "reviewer_t1")
    act(reviewer, base, "乡镇审核通过")
    desk.clear_cookies()

    discipline = admin_login(desk, base, "discipline_t1")
    act(discipline, base, "纪委审核通过")
    act(discipline, base, "公开")
    desk.close()
    assert Disclosure.objects.get().status == Status.PUBLISHED

    phone.goto(f"{base}/")
    phone.get_by_role("link", name="一乡").click()
    phone.get_by_role("link", name="甲村").click()
    phone.get_by_role("link", name="2026-11 拟享受名单公示").click()
    assert_no_horizontal_scroll(phone)
    assert phone.get_by_role("link", name="我有异议").is_visible()
    phone.get_by_label("按姓名查找").fill("秀英")
    phone.get_by_role("button", name="查找").click()
    row = phone.locator("table.roster tbody tr")
    assert row.count() == 1
    assert "张秀英" in row.inner_text() and "620.00" in row.inner_text()
    assert "110101199003070011" not in phone.content()
    assert_no_horizontal_scroll(phone)
    phone.screenshot(path="/tmp/disclosure-360.png", full_page=True)
