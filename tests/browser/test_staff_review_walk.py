"""Browser walks of issue 14's reviewer and inspector: approve a roster knowing its risks; reveal a county-level
complaint's filer with a reason. Every staff page on the way shows no untranslated label."""

import re
from decimal import Decimal

import pytest

from complaints import services as complaint_services
from complaints.categories import seed_categories as seed_complaint_categories
from complaints.models import Complaint, ComplaintCategory
from disclosures import services as s
from disclosures.categories import seed_categories
from disclosures.models import Category, LeadAcknowledgement, RevisionState
from sunshine.audit.models import AuditEvent
from tests.conftest import admin_login, assert_no_english
from tests.disclosures.helpers import draft_roster, entry

pytestmark = pytest.mark.browser


def typed(*values):
    """The Latin runs of names the page shows as data (a user name, a tracking code), as typed and as the admin's
    header capitalises them: what ``assert_no_english`` may see beyond its list."""
    return {
        run
        for value in values
        for text in (value, value.upper())
        for run in re.findall(r"[A-Za-z][A-Za-z_']{2,}", text)
    }


@pytest.fixture
def submitted_with_a_lead(world, clerk_v1):
    """甲村's 低保 notice, submitted, with 赵六's amount above the category's range."""
    seed_categories()
    Category.objects.filter(slug="dibao").update(amount_min=Decimal("100"), amount_max=Decimal("1000"))
    dibao = Category.objects.get(slug="dibao")
    disclosure = draft_roster(clerk_v1, world.v1, dibao, rows=[entry("孙八", 300), entry("赵六", 1500)])
    s.disclosure_submit(disclosure=disclosure, actor=clerk_v1)
    return disclosure


def test_reviewer_approves_a_roster_after_acknowledging_its_lead(
    live_server, chromium, submitted_with_a_lead, reviewer_t1, discipline_t1
):
    base, disclosure = live_server.url, submitted_with_a_lead
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = admin_login(desk, base, "reviewer_t1")
    allow = typed("reviewer_t1", "clerk_v1")
    queue = f"{base}/admin/disclosures/disclosure/?status__exact=submitted"
    page.goto(queue)
    assert_no_english(page, allow)
    # 1. Approve from the queue without looking: refused, and the refusal names the lead.
    page.check(f"input[name=_selected_action][value='{disclosure.pk}']")
    page.select_option("select[name=action]", value="act_approve_township")
    page.click("button[name=index]")
    page.wait_for_load_state()
    refusal = page.locator(".messagelist").inner_text()
    assert "1 条异常线索未核实" in refusal and "赵六" in refusal and "1500" in refusal
    assert page.url == queue  # the filter survives the action
    assert_no_english(page, allow)
    # 2. The approval page shows the lead, and no approve button until it is acknowledged.
    page.click(f"a[href*='/admin/disclosures/disclosure/{disclosure.pk}/change/']")
    page.wait_for_load_state()
    panel = page.locator("#leads").inner_text()
    assert "金额超出范围" in panel and "赵六" in panel and "须逐条核实" in panel
    assert page.locator("button[value=act_approve_township]").count() == 0
    assert_no_english(page, allow)
    page.fill("#leads textarea[name=note]", "赵六为重度残疾，按县民政局批复加发护理补贴，已核对批复文件")
    page.get_by_role("button", name="记录核实说明").click()
    page.wait_for_load_state()
    assert "已记录核实说明" in page.locator(".messagelist").inner_text()
    assert "加发护理补贴" in page.locator("#leads").inner_text()
    assert_no_english(page, allow)
    # 3. Now the approval is offered, and taken; the reviewer lands back on the filtered queue.
    page.click("button[value=act_approve_township]")
    page.wait_for_load_state()
    assert "已处理 1 项" in page.locator(".messagelist").inner_text()
    assert page.url == queue
    assert_no_english(page, allow)
    revision = s.working_revision(disclosure)
    assert revision.state == RevisionState.TOWNSHIP_APPROVED
    assert LeadAcknowledgement.objects.get().acknowledged_by == reviewer_t1
    assert AuditEvent.objects.filter(action="revision.lead_acknowledged", actor_id=reviewer_t1.pk).count() == 1
    desk.close()


def test_inspector_reveals_a_county_level_filer_with_a_reason(
    live_server, chromium, world, clerk_v1, reviewer_t1, inspector
):
    seed_complaint_categories()
    complaint, _secret = complaint_services.complaint_submit(
        category=ComplaintCategory.objects.get(service_code="environment"),
        village=world.v1,
        text="村口垃圾堆了半个月没人清理。",
        name="钱小梅",
        phone="13955556666",
    )
    complaint_services.complaint_escalate(complaint=complaint, actor=clerk_v1, reason="村里无力处理")
    complaint_services.complaint_escalate(complaint=complaint, actor=reviewer_t1, reason="涉及多村")
    assert Complaint.objects.get(pk=complaint.pk).level == "county"
    base = live_server.url
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = admin_login(desk, base, "inspector")
    allow = typed("inspector", "clerk_v1", "reviewer_t1", complaint.tracking_code)
    page.goto(f"{base}/admin/complaints/complaint/")
    assert_no_english(page, allow)
    page.get_by_role("link", name=complaint.tracking_code).click()
    page.wait_for_load_state()
    assert "13955556666" not in page.content() and "钱小梅" not in page.content()
    assert_no_english(page, allow)
    page.get_by_role("link", name="查看身份（需填写理由，将记录在案）").click()
    page.wait_for_load_state()
    assert "13955556666" not in page.content()
    assert_no_english(page, allow)
    page.fill("#id_reason", "群众反映涉及多村，需电话回访核实")
    page.get_by_role("button", name="查看").click()
    page.wait_for_load_state()
    assert "13955556666" in page.content() and "钱小梅" in page.content()
    assert_no_english(page, allow)
    event = AuditEvent.objects.get(action="complaint.identity_revealed")
    assert (event.actor_id, event.reason) == (inspector.pk, "群众反映涉及多村，需电话回访核实")
    desk.close()
