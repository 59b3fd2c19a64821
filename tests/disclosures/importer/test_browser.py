"""A clerk in a real browser: upload a file with a mistake, read the preview, upload the fixed file, confirm."""

import pytest

from disclosures.models import ImportJob, ImportStatus, RosterEntry

from .corpus import HEADER, bad_checksum_id, standard_rows
from .factories import roster_category
from .test_services import roster_file

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(page, url, data):
    page.goto(url + "/admin/disclosures/importjob/upload/")
    page.select_option("select[name=village]", label="甲村")
    page.select_option("select[name=category]", label="最低生活保障（低保）")
    page.fill("input[name=period]", "2026-11")
    page.select_option("select[name=phase]", value="pre")
    page.set_input_files("input[name=file]", files=[{"name": "甲村低保.xlsx", "mimeType": XLSX, "buffer": data}])
    with page.expect_navigation():
        page.get_by_role("button", name="上传并校验").click()
    assert "/preview/" in page.url


def test_clerk_fixes_the_file_and_confirms(live_server, chromium, world, clerk_v1):
    roster_category()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "clerk_v1")
    page.fill("input[name=password]", "pw")
    page.locator("input[type=submit]").click()

    rows = [HEADER, *standard_rows()]
    rows[2][2] = bad_checksum_id(12)
    upload(page, live_server.url, roster_file(rows))
    row, name, column, problem = page.locator("#errors + table tbody tr").first.inner_text().split("\t")
    assert (row, name, column) == ("3", "李四", "身份证号码") and problem.startswith(
        "写的是 35*************120，校验位错误"
    )
    assert page.get_by_role("button", name="确认导入").count() == 0

    upload(page, live_server.url, roster_file())
    page.reload()  # the preview survives a reload
    with page.expect_navigation():
        page.get_by_role("button", name="确认导入 3 行").click()
    assert "已导入 3 行" in page.locator("ul.messagelist").inner_text()
    assert "/roster/" in page.url  # next: the roster as residents will see it
    context.close()

    job = ImportJob.objects.get(status=ImportStatus.IMPORTED)
    assert RosterEntry.objects.filter(revision=job.revision).count() == 3
    assert ImportJob.objects.filter(status=ImportStatus.INVALID).count() == 1
