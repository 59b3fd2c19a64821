"""In Chromium, with the Content-Security-Policy enforced: public pages, the admin (its own scripts: actions,
inlines, calendar) and the API docs work, and the console reports no CSP violation."""

import pytest

from disclosures.models import Revision
from tests.conftest import admin_login
from tests.disclosures.helpers import IDS, draft_roster, entry, published_roster

pytestmark = pytest.mark.browser


def watch(page):
    """Every console message that reports a CSP violation, and every securitypolicyviolation event."""
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return seen


def visit(page, url, seen):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.ok, url
    assert response.headers.get("content-security-policy"), url
    assert not seen, f"{url}: {seen}"


def test_no_csp_violation_on_public_admin_and_api_doc_pages(live_server, chromium, world, categories, crew):
    base = live_server.url
    clerk, reviewer, discipline = crew
    published = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    draft = draft_roster(clerk, world.v1, categories["dibao"], period="2026-11")
    revision = Revision.objects.get(disclosure=draft)
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    seen = watch(page)
    for path in ("/", f"/d/{world.v1.code}/", "/complaints/new/", "/complaints/track/", "/complaints/results/"):
        visit(page, base + path, seen)
    visit(page, f"{base}/api/v1/docs/", seen)
    page.wait_for_selector(".swagger-ui .info", timeout=15000)  # Swagger UI ran from its script file
    assert not seen, seen

    desk = admin_login(context, base, "clerk_v1")
    seen = watch(desk)
    for path in (
        "/admin/",
        "/admin/disclosures/disclosure/",
        f"/admin/disclosures/disclosure/{published.pk}/change/",
        "/admin/disclosures/disclosure/add/",
        "/admin/complaints/complaint/intake/",
    ):
        visit(desk, base + path, seen)
    visit(desk, f"{base}/admin/disclosures/revision/{revision.pk}/change/", seen)
    # The admin's inline script works under the policy: "add another row" adds a row.
    rows = desk.locator("tr.form-row:not(.empty-form)").count()
    desk.locator(".add-row a").first.click()
    assert desk.locator("tr.form-row:not(.empty-form)").count() == rows + 1
    # The action bar's select-all checkbox (admin/js/actions.js).
    visit(desk, f"{base}/admin/disclosures/disclosure/", seen)
    desk.locator("#action-toggle").check()
    assert desk.locator("input.action-select:checked").count() == desk.locator("input.action-select").count() > 0
    assert not seen, seen
    context.close()
