"""Every kind of public page and form state on a 360 × 740 phone (Debian's chromium), in normal and large text:
no element reaches past the screen's edge or scrolls sideways inside itself, axe-core (from npm, injected by the
test driver, never served) finds no serious or critical WCAG 2.2 A/AA violation, and the controls a resident taps
are at least 44 px tall."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from disclosures.demo import DEMO_RESIDENT_ID, DEMO_RESIDENT_NAME
from disclosures.models import Disclosure, Kind, Phase
from disclosures.views import disclosure_url
from tests.conftest import overflowing_elements

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# The controls the issue measured too small: breadcrumbs, links standing alone in lists, the two toggles.
TAP_TARGETS = ".crumbs a, .list li > a, .latest a, .links a, .entries a, .site-nav a, .site-tools button"


def public_pages():
    """One page of each kind on the demo county, by what it is (the crawl test covers every URL shape)."""
    pre = Disclosure.objects.filter(phase=Phase.PRE, category__kind=Kind.ROSTER, status="published").first()
    post = Disclosure.objects.filter(phase=Phase.POST, pre_disclosure__isnull=False).first()
    ledger = Disclosure.objects.filter(category__kind=Kind.LEDGER).exclude(status="taken_down").first()
    document = Disclosure.objects.filter(category__kind=Kind.DOCUMENT).exclude(status="taken_down").first()
    village = post.division
    return {
        "home": "/",
        "village": f"/v/{village.code}/",
        "township": f"/t/{village.parent.code}/",
        "division": f"/d/{village.code}/",
        "category": f"/d/{village.code}/c/{post.category.slug}/",
        "calendar": f"/d/{village.code}/calendar/",
        "roster pre (objection window open)": disclosure_url(pre),
        "roster post": disclosure_url(post),
        "roster printable": disclosure_url(post) + "?show=all",
        "comparison": disclosure_url(post, "reconciliation"),
        "ledger": disclosure_url(ledger),
        "document": disclosure_url(document),
        "complaint form": "/complaints/new/",
        "objection form": f"/complaints/new/?disclosure={pre.pk}",
        "tracking": "/complaints/track/",
        "forgot secret": "/complaints/track/resend/",
        "complaints": "/complaints/",
        "results": "/complaints/results/",
        "self-query (我的补贴)": reverse("portal:my_subsidies"),
        "open data catalogue": reverse("disclosures:catalogue"),
    }


def axe_violations(page):
    page.evaluate(AXE.read_text())  # by the driver, so the page's Content-Security-Policy does not apply
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def small_targets(page):
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
             .filter(el => el.getClientRects().length)
             .map(el => [el.textContent.trim().slice(0, 20), el.getBoundingClientRect().height])
             .filter(([, height]) => height < 44)""",
        TAP_TARGETS,
    )


def check(page, label, failures):
    for problem in overflowing_elements(page):
        failures.append(f"{label}: overflows: {problem}")
    for violation in axe_violations(page):
        failures.append(f"{label}: axe: {violation}")
    for text, height in small_targets(page):
        failures.append(f"{label}: tap target {text!r} is {height:.0f}px tall")


def file_with_errors(page, base):
    """The complaint form sent with nothing filled in: it comes back with the error summary."""
    page.goto(base + "/complaints/new/")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").is_visible()


@pytest.fixture(params=[False, True], ids=["normal", "large-text"])
def large_text(request):
    return request.param


def test_every_public_page_and_form_state_meets_the_standards_on_a_360px_phone(live_server, phone, large_text):
    assert AXE.exists(), f"{AXE} is missing: run `make install` (npm ci installs the pinned axe-core)"
    call_command("seed_demo")
    base = live_server.url
    if large_text:
        phone.context.add_cookies([{"name": "kiosk", "value": "1", "url": base}])
    failures = []
    for label, path in public_pages().items():
        response = phone.goto(base + path)
        assert response.ok, f"{label}: {path} answered {response.status}"
        check(phone, label, failures)
    file_with_errors(phone, base)
    check(phone, "complaint form with errors", failures)
    phone.locator("#id_village").select_option(index=1)
    phone.locator("#id_category").select_option(index=1)
    phone.fill("#id_text", "村口路灯坏了三个月。")
    phone.get_by_role("button", name="提交").click()
    phone.wait_for_load_state()
    check(phone, "complaint filed (code and secret)", failures)
    phone.get_by_role("link", name="查看办理进度").click()
    phone.wait_for_load_state()
    check(phone, "complaint status", failures)
    phone.goto(base + "/complaints/track/")
    phone.fill("#id_code", "AAAAAAAA")
    phone.fill("#id_secret", "WRONG1")
    phone.get_by_role("button", name="查询").click()
    phone.wait_for_load_state()
    check(phone, "tracking with a wrong secret", failures)
    phone.goto(base + reverse("portal:my_subsidies"))
    phone.fill("#id_name", DEMO_RESIDENT_NAME)
    phone.fill("#id_id_number", DEMO_RESIDENT_ID)
    phone.get_by_role("button", name="查询").click()
    phone.wait_for_load_state()
    check(phone, "self-query result of the demo resident", failures)
    assert not failures, "\n".join(failures)
