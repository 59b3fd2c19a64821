"""Browser story: an inspector reads 异常线索 for a period they pick, takes the whole report as one workbook, and
reads 乡镇统计 for a year with its own picker; neither page shows an untranslated label."""

import io

import pytest
from openpyxl import load_workbook

from tests.conftest import admin_login, assert_no_english
from tests.disclosures.helpers import entry, published_roster
from tests.disclosures.test_anomalies import leads  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
# The user name (upper-cased by the admin's header style), and the visually hidden headings of Django 5.2's
# sidebar table (Model name / Add link / Change or view list link), which Django's zh_Hans catalog does not
# translate: on every admin page alike, not these pages' own labels.
ALLOW = {"INSPECTOR", "MODEL", "NAME", "ADD", "LINK", "CHANGE", "VIEW", "LIST"}


def test_inspector_reads_leads_and_township_figures(live_server, chromium, leads, inspector, world, categories, crew):  # noqa: F811
    published_roster(*crew, world.v1, categories["weifang"], period="2026", phase="post", rows=[entry("周九", 9000)])
    base = live_server.url
    desk = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = admin_login(desk, base, "inspector")

    page.goto(f"{base}/admin/disclosures/anomalyreport/")
    assert page.locator("select[name=period]").input_value() == "2026-09"  # the latest payout's period
    assert "周九" in page.locator("#reconciliation").inner_text()
    assert_no_english(page, allow=ALLOW)
    page.select_option("select[name=period]", "2026-10")
    page.click("input[type=submit]")
    assert "张三" in page.locator("#cross_village").inner_text() and "周九" not in page.content()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出全部线索（一个 Excel 文件，每类一张表）").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True)
    assert len(book.sheetnames) == 4 and download.value.suggested_filename.startswith("异常线索-")

    page.goto(f"{base}/admin/disclosures/townshipreport/")
    assert_no_english(page, allow=ALLOW)
    page.select_option("#period-year select", "2026")
    page.click("#period-year input[type=submit]")
    assert "发放结果名单（2026）" in page.content()
    assert page.locator("#period-month select").input_value() == ""  # the month picker is not what is shown
    desk.close()
