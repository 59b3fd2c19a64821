"""The clerk's story in the admin: template, upload, read the preview, fix, upload again, confirm."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disclosures.models import ImportJob, ImportStatus, RosterEntry

from .corpus import HEADER, bad_checksum_id, rows_sheet, standard_rows, xlsx_bytes
from .factories import roster_category
from .test_services import roster_file, upload


def file_of(data, name="名单.xlsx"):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.fixture
def dibao(db):
    return roster_category()


@pytest.fixture
def clerk(client, clerk_v1):
    client.force_login(clerk_v1)
    return client


def post_upload(client, world, dibao, data, name="名单.xlsx"):
    return client.post(
        reverse("admin:disclosures_importjob_upload"),
        {
            "village": world.v1.pk,
            "category": dibao.pk,
            "period": "2026-11",
            "phase": "pre",
            "file": file_of(data, name),
        },
    )


def test_upload_form_offers_only_the_clerks_village_and_the_templates(clerk, world, dibao):
    response = clerk.get(reverse("admin:disclosures_importjob_upload"))
    assert response.status_code == 200
    villages = list(response.context["form"].fields["village"].queryset)
    assert villages == [world.v1]
    assert reverse("admin:disclosures_importjob_template", args=["dibao"]) in response.content.decode()


def test_template_download(clerk, dibao):
    response = clerk.get(reverse("admin:disclosures_importjob_template", args=["dibao"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=3, column=1).value == "户主姓名"


def test_fix_and_upload_again_then_confirm(clerk, world, dibao):
    rows = [HEADER, *standard_rows()]
    rows[2][2] = bad_checksum_id(12)
    response = post_upload(clerk, world, dibao, roster_file(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/preview/")

    page = clerk.get(response["Location"]).content.decode()
    # the error names the person (李四) and shows the ID masked, as stored
    assert "<td>3</td><td>李四</td><td>身份证号码</td><td>写的是 35*************120，校验位错误：" in page
    assert "确认导入" not in page
    assert not RosterEntry.objects.exists()

    response = post_upload(clerk, world, dibao, roster_file())
    fixed = ImportJob.objects.exclude(pk=job.pk).get()
    page = clerk.get(response["Location"]).content.decode()
    assert "确认导入 3 行" in page and "2740.50" in page
    assert "确认导入 3 行" in clerk.get(response["Location"]).content.decode()  # the preview survives a reload

    response = clerk.post(reverse("admin:disclosures_importjob_confirm", args=[fixed.pk]))
    assert response.status_code == 302
    fixed.refresh_from_db()
    assert fixed.status == ImportStatus.IMPORTED
    assert RosterEntry.objects.filter(revision=fixed.revision).count() == 3


def test_a_bad_file_shows_one_message_and_saves_nothing(clerk, world, dibao):
    response = post_upload(clerk, world, dibao, "不是表格".encode(), name="名单.xlsx")
    assert response.status_code == 200
    assert "但内容不是电子表格" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_several_sheets_are_offered_then_validated(clerk, world, dibao):
    def build(wb):
        rows_sheet(wb.active, [HEADER, *standard_rows()])
        wb.active.title = "11月"
        rows_sheet(wb.create_sheet("10月"), [HEADER, standard_rows()[0]])
        hidden = wb.create_sheet("旧")
        hidden.sheet_state = "hidden"

    response = post_upload(clerk, world, dibao, xlsx_bytes(build))
    page = clerk.get(response["Location"]).content.decode()
    assert 'value="11月"' in page and 'value="10月"' in page and 'value="旧"' not in page
    job = ImportJob.objects.get()
    clerk.post(reverse("admin:disclosures_importjob_sheet", args=[job.pk]), {"sheet": "10月"})
    job.refresh_from_db()
    assert job.status == ImportStatus.READY and job.result["counts"]["rows"] == 1


def test_a_large_file_shows_progress_with_a_meta_refresh(clerk, world, dibao, clerk_v1, settings):
    settings.ROSTER_IMPORT_SYNC_ROWS = 1
    job = upload(clerk_v1, world.v1)
    assert job.status == ImportStatus.PENDING
    page = clerk.get(reverse("admin:disclosures_importjob_preview", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page and "<progress" in page


def test_other_villages_jobs_are_not_found(client, world, dibao, clerk_v1, clerk_v3):
    job = upload(clerk_v1, world.v1)
    client.force_login(clerk_v3)
    assert client.get(reverse("admin:disclosures_importjob_preview", args=[job.pk])).status_code == 404
    assert client.post(reverse("admin:disclosures_importjob_confirm", args=[job.pk])).status_code == 404
    assert not RosterEntry.objects.exists()


def test_inspector_sees_the_preview_with_full_warnings_but_cannot_confirm(client, world, dibao, clerk_v1, inspector):
    job = upload(clerk_v1, world.v1)
    client.force_login(inspector)
    page = client.get(reverse("admin:disclosures_importjob_preview", args=[job.pk])).content.decode()
    assert "确认导入" not in page
    client.post(reverse("admin:disclosures_importjob_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.READY


def test_changelist_query_count_does_not_grow(clerk, world, dibao, clerk_v1):
    url = reverse("admin:disclosures_importjob_changelist")
    upload(clerk_v1, world.v1)
    clerk.get(url)
    with CaptureQueriesContext(connection) as one:
        assert clerk.get(url).status_code == 200
    for _ in range(4):
        upload(clerk_v1, world.v1)
    with CaptureQueriesContext(connection) as many:
        assert clerk.get(url).status_code == 200
    assert len(many) == len(one)


def test_the_preview_offers_only_the_moves_the_table_allows_now(clerk, world, dibao, clerk_v1):
    job = upload(clerk_v1, world.v1)
    preview = reverse("admin:disclosures_importjob_preview", args=[job.pk])
    confirm = reverse("admin:disclosures_importjob_confirm", args=[job.pk])
    page = clerk.get(preview).content.decode()
    assert job.status == ImportStatus.READY and "确认导入 3 行" in page and confirm in page

    assert clerk.post(confirm).status_code == 302
    page = clerk.get(preview).content.decode()
    assert "确认导入" not in page and confirm not in page and "已导入" in page
    assert clerk.post(confirm).status_code == 302  # a stale page's button is refused by the same table
    assert "这个文件已经导入过了" in clerk.get(preview).content.decode()
    assert RosterEntry.objects.count() == 3


def test_an_expired_preview_offers_no_confirmation(clerk, world, dibao, clerk_v1):
    job = upload(clerk_v1, world.v1)
    ImportJob.objects.filter(pk=job.pk).update(expires_at=job.created_at)
    page = clerk.get(reverse("admin:disclosures_importjob_preview", args=[job.pk])).content.decode()
    assert "确认导入" not in page
