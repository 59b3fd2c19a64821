"""The county inspector audits one roster in the admin without help (issue 14): opens the roster, follows 变更记录
through its whole history (the roster's moves, its revisions' edits, the import that filled it), opens one event,
and every page is in Chinese."""

import pytest
from django.core.management import call_command

from disclosures.models import Disclosure, ImportJob
from tests.conftest import admin_login, assert_no_english
from villages.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser

def test_the_inspector_follows_a_rosters_whole_history(live_server, chromium):
    call_command("seed_demo", verbosity=0)
    job = ImportJob.objects.filter(disclosure__isnull=False).select_related("disclosure").order_by("pk").first()
    roster = Disclosure.objects.get(pk=job.disclosure_id)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = admin_login(context, live_server.url, "inspector", DEMO_PASSWORD)
    users = {"inspector", "county_admin", "clerk_v", "reviewer_t", "discipline_t"}  # the word rule stops at digits

    page.goto(f"{live_server.url}/admin/disclosures/disclosure/{roster.pk}/change/")
    assert_no_english(page, allow=users)

    page.get_by_role("link", name="变更记录").click()
    page.wait_for_load_state()
    assert "变更记录" in page.locator("h1").inner_text()
    history = page.locator("#change-history > table > tbody")
    actions = history.locator("> tr > td:nth-child(3)").all_inner_texts()
    assert "提交审核" in actions and "替换名单" in actions  # the roster's move and its revision's edit
    objects = " ".join(history.locator("> tr > td:nth-child(4)").all_inner_texts())
    assert "名单导入" in objects and "版本" in objects  # the import job and the revision, named in Chinese
    assert "本对象" in objects
    assert "system" not in history.inner_text() and "{" not in history.inner_text()  # no raw codes or JSON
    assert_no_english(page, allow=users)

    history.locator("> tr > th a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/change/") and "/audit/auditevent/" in page.url
    assert "Content type" not in page.content()
    assert_no_english(page, allow=users)
    context.close()
