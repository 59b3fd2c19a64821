"""The clerk's path in the admin after issue 14: choices kept, one village preselected, the whole file previewed,
the imported roster shown as residents will see it, 提交审核 with who reviews it next; Chinese labels, local times."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disclosures.models import (
    Disclosure,
    ImportJob,
    ImportPreviewRow,
    ImportStatus,
    Revision,
    RevisionState,
    RosterEntry,
)
from sunshine.audit.models import AuditEvent
from tests import factories as f
from villages.models import Role

from .corpus import HEADER, bad_checksum_id, make_id
from .factories import roster_category
from .test_admin import file_of
from .test_services import importer, roster_file, upload


@pytest.fixture
def dibao(db):
    return roster_category()


def login(client, user):
    client.force_login(user)
    return client


def rows_of(n, *, bad=()):
    rows = [HEADER]
    for i in range(1, n + 1):
        pid = bad_checksum_id(i) if i in bad else make_id(i, birth=f"1960{1 + i % 12:02d}{1 + i % 28:02d}")
        rows.append([i, f"户{i:03d}", pid, "一组", 1, Decimal("100"), "A类", ""])
    return rows


def preview(client, job, **params):
    return client.get(reverse("admin:disclosures_importjob_preview", args=[job.pk]), params)


# ---------------------------------------------------------------- 重新上传 keeps the choices


def test_reupload_starts_from_the_replaced_jobs_village_category_period_and_phase(client, world, clerk_v1, dibao):
    job = upload(clerk_v1, world.v1, roster_file(rows_of(3, bad={2})), period="2026-08", phase="post")
    page = preview(login(client, clerk_v1), job).content.decode()
    link = reverse("admin:disclosures_importjob_upload") + f"?from={job.pk}"
    assert f'href="{link}"' in page and f'action="{link}"' in page  # the link and the form on the page

    form = client.get(link).context["form"]
    assert {k: form[k].value() for k in ("village", "category", "period", "phase")} == {
        "village": world.v1.pk,
        "category": dibao.pk,
        "period": "2026-08",
        "phase": "post",
    }


def test_reupload_from_the_preview_page_keeps_the_slot_without_choosing_again(client, world, clerk_v1, dibao):
    job = upload(clerk_v1, world.v1, roster_file(rows_of(3, bad={2})), period="2026-08", phase="post")
    login(client, clerk_v1)
    fields = {"village": world.v1.pk, "category": dibao.pk, "period": "2026-08", "phase": "post"}
    response = client.post(
        reverse("admin:disclosures_importjob_upload") + f"?from={job.pk}", {**fields, "file": file_of(roster_file())}
    )
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and again.status == ImportStatus.READY
    assert (again.division, again.category, again.period, again.phase) == (world.v1, dibao, "2026-08", "post")


def test_a_job_outside_the_jurisdiction_prefills_nothing(client, world, clerk_v1, clerk_v3, dibao):
    other = upload(clerk_v3, world.v3, period="2026-08")
    form = login(client, clerk_v1).get(reverse("admin:disclosures_importjob_upload") + f"?from={other.pk}")
    assert form.context["form"]["period"].value() == timezone.localdate().strftime("%Y-%m")
    assert form.context["replacing"] is None
    assert client.get(reverse("admin:disclosures_importjob_upload") + "?from=nonsense").status_code == 200


# ---------------------------------------------------------------- one choice: preselected


def test_one_village_and_one_category_are_preselected(client, world, clerk_v1, dibao):
    page = login(client, clerk_v1).get(reverse("admin:disclosures_importjob_upload")).content.decode()
    assert "---------" not in page
    assert f'<option value="{world.v1.pk}" selected>甲村</option>' in page
    assert f'<option value="{dibao.pk}" selected>' in page


def test_a_reviewer_with_several_villages_still_chooses(client, world, dibao):
    f.staff("clerk_both", Role.VILLAGE_CLERK, world.v1).memberships.create(division=world.v2, role=Role.VILLAGE_CLERK)
    user = type(world.v1.memberships.first().user).objects.get(username="clerk_both")
    roster_category(slug="tekun", name="特困人员")
    form = login(client, user).get(reverse("admin:disclosures_importjob_upload")).context["form"]
    assert form.fields["village"].empty_label is not None and "village" not in form.initial
    assert "category" not in form.initial


def test_the_disclosure_add_form_preselects_the_only_village(client, world, clerk_v1, dibao):
    page = login(client, clerk_v1).get(reverse("admin:disclosures_disclosure_add")).content.decode()
    assert f'<option value="{world.v1.pk}" selected>' in page


# ---------------------------------------------------------------- the whole file, errors beside their rows


def test_the_preview_pages_through_every_row_with_errors_beside_them(client, world, clerk_v1, dibao):
    job = upload(clerk_v1, world.v1, roster_file(rows_of(130, bad={120})))
    assert job.status == ImportStatus.INVALID
    login(client, clerk_v1)
    first = preview(client, job).context["rows_page"]
    second = preview(client, job, page=2).context["rows_page"]
    assert first.paginator.count == 130 and len(first.object_list) == 100 and len(second.object_list) == 30
    refused = next(r for r in second.object_list if r["row"] == 121)
    assert refused["name"] == "户120" and refused["errors"][0]["column"] == "身份证号码"
    page = preview(client, job, page=2).content.decode()
    assert '<tr class="sv-row-error"><td>121</td><td>户120</td>' in page
    only = preview(client, job, only="problems").context["rows_page"]
    assert [r["row"] for r in only.object_list] == [121]


def test_the_preview_rows_live_apart_from_the_job_and_problems_are_flagged(world, clerk_v1, dibao):
    job = upload(clerk_v1, world.v1, roster_file(rows_of(30, bad={7})))
    assert "rows" not in job.result  # the summary no longer carries every row
    stored = list(ImportPreviewRow.objects.filter(job=job).order_by("row").values_list("row", "values", "problem"))
    assert [r for r, _values, _problem in stored] == list(range(2, 32))
    assert [r for r, _values, problem in stored if problem] == [8]
    refused = next(v for r, v, _p in stored if r == 8)
    kept = next(v for r, v, _p in stored if r == 2)
    assert refused is None and kept[:2] == [2, "户001"] and kept[2].startswith("35") and "*" in kept[2]


def test_a_preview_page_reads_only_its_rows_in_queries_flat_in_the_files_size(client, world, clerk_v1, dibao):
    small = upload(clerk_v1, world.v1, roster_file(rows_of(5, bad={2})))
    big = upload(clerk_v1, world.v1, roster_file(rows_of(250, bad={2, 240})))
    login(client, clerk_v1)
    counts = {}
    for job in (small, big):
        for params in ({}, {"only": "problems"}):
            with CaptureQueriesContext(connection) as queries:
                assert preview(client, job, **params).status_code == 200
            counts.setdefault(job.pk, []).append(len(queries))
            slices = [q["sql"] for q in queries if "disclosures_importpreviewrow" in q["sql"] and "LIMIT" in q["sql"]]
            assert len(slices) == 1 and ("LIMIT 100" in slices[0] or job is small or params)
    assert counts[small.pk] == counts[big.pk]
    only = preview(client, big, only="problems").context["rows_page"]
    assert [r["row"] for r in only.object_list] == [3, 241] and only.object_list[1]["errors"]


def test_expiry_and_a_new_sheet_remove_the_preview_rows(world, clerk_v1, dibao):
    job = upload(clerk_v1, world.v1, roster_file(rows_of(3)))
    other = upload(clerk_v1, world.v1, roster_file(rows_of(4)))
    ImportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert importer.roster_import_tick().endswith("expired 1")
    assert not ImportPreviewRow.objects.filter(job=job).exists()
    assert ImportPreviewRow.objects.filter(job=other).count() == 4  # another job's preview is untouched
    two = upload(clerk_v1, world.v1, roster_file(sheets={"甲": rows_of(3), "乙": rows_of(2)}))
    two = importer.roster_import_choose_sheet(job=two, actor=clerk_v1, sheet_name="甲")
    assert ImportPreviewRow.objects.filter(job=two).count() == 3
    importer.roster_import_choose_sheet(job=two, actor=clerk_v1, sheet_name="乙")
    assert ImportPreviewRow.objects.filter(job=two).count() == 2


def test_the_preview_never_shows_a_full_id(client, world, clerk_v1, dibao):
    rows = rows_of(3, bad={2})
    job = upload(clerk_v1, world.v1, roster_file(rows))
    page = preview(login(client, clerk_v1), job).content.decode()
    assert all(r[2] not in page for r in rows[1:]) and "35*************" in page


# ---------------------------------------------------------------- after 确认导入: what residents will see


def confirmed(client, world, clerk_v1, rows=None):
    job = upload(clerk_v1, world.v1, roster_file(rows))
    response = login(client, clerk_v1).post(reverse("admin:disclosures_importjob_confirm", args=[job.pk]))
    return job, response


def test_confirming_lands_on_the_roster_as_residents_will_see_it(client, world, clerk_v1, reviewer_t1, dibao):
    job, response = confirmed(client, world, clerk_v1)
    roster_url = reverse("admin:disclosures_importjob_roster", args=[job.pk])
    assert response["Location"] == roster_url
    response = client.get(roster_url)
    page = response.content.decode()
    assert "现在还没有公开" in page and "提交审核" in page
    assert (
        page.split('id="content-main"')[1].count('<input type="submit"') == 1
    )  # one button; no moves that do not apply to a draft
    assert "修改名单" in page and "重新上传文件" in page
    # the public page's columns and masking: 低保 publishes no ID column
    assert [label for label, _numeric in response.context["columns"]] == [
        "姓名", "村民小组", "保障人数", "金额（元）", "类别/档次",
    ]  # fmt: skip
    assert "身份证号" not in page.split('class="sv-public-roster"')[1]
    assert "张三" in page and response.context["title"].startswith(
        "居民将看到的名单：甲村 最低生活保障（低保） 2026-11"
    )


def test_submitting_says_where_the_roster_went_and_who_reviews_it(client, world, clerk_v1, reviewer_t1, dibao):
    job, _response = confirmed(client, world, clerk_v1)
    roster_url = reverse("admin:disclosures_importjob_roster", args=[job.pk])
    response = client.post(roster_url, follow=True)
    message = [str(m) for m in response.context["messages"]][-1:]  # after 已导入 3 行…
    assert message == [
        "已提交审核。名单已送到一乡，等待一乡 乡镇审核员 审核（reviewer_t1）；公开之前，居民看不到这份名单。"
    ]
    disclosure = Disclosure.objects.get()
    assert disclosure.revisions.get().state == RevisionState.SUBMITTED
    assert AuditEvent.objects.filter(action="disclosure.submitted").count() == 1
    page = response.content.decode()
    assert (
        '<input type="submit"' not in page.split('id="content-main"')[1] and "等待一乡 乡镇审核员 审核" in page
    )  # nothing left to press
    assert client.post(roster_url).status_code == 403  # not twice


def test_a_township_without_a_reviewer_says_whom_to_ask(client, world, clerk_v1, dibao):
    job, _response = confirmed(client, world, clerk_v1)
    response = client.post(reverse("admin:disclosures_importjob_roster", args=[job.pk]), follow=True)
    assert "一乡还没有乡镇审核员账号，请联系县管理员" in str(list(response.context["messages"])[-1])


@pytest.mark.parametrize(
    ("who", "status", "may_submit"),
    [("clerk_v1", 200, True), ("reviewer_t1", 200, True), ("inspector", 200, False), ("clerk_v3", 404, False),
     ("reviewer_t2", 404, False)],
)  # fmt: skip
# the role table: clerks and township reviewers submit (a township's own roster too); inspectors only read
def test_who_sees_the_resident_view_and_who_may_submit(
    client, world, clerk_v1, dibao, request, who, status, may_submit
):
    job, _response = confirmed(client, world, clerk_v1)
    user = request.getfixturevalue(who)
    client.force_login(user)
    url = reverse("admin:disclosures_importjob_roster", args=[job.pk])
    response = client.get(url)
    assert response.status_code == status
    if status == 200:
        assert response.context["may_submit"] is may_submit
    if not may_submit:
        assert client.post(url).status_code == (403 if status == 200 else 404)
        assert Revision.objects.get().state == RevisionState.DRAFT


def test_the_resident_view_pages_in_queries_flat_in_rows(client, world, clerk_v1, dibao):
    few, _ = confirmed(client, world, clerk_v1, rows_of(3))
    url = reverse("admin:disclosures_importjob_roster", args=[few.pk])
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    importer.roster_import_confirm(job=upload(clerk_v1, world.v1, roster_file(rows_of(60))), actor=clerk_v1)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert RosterEntry.objects.filter(revision__disclosure__division=world.v1).count() == 60
    assert len(large) == len(small)


# ---------------------------------------------------------------- labels and times


def test_the_import_list_has_chinese_headers_and_local_times(client, world, clerk_v1, dibao):
    job = upload(clerk_v1, world.v1)
    ImportJob.objects.filter(pk=job.pk).update(created_at=datetime.datetime(2026, 11, 30, 17, 5, tzinfo=datetime.UTC))
    page = login(client, clerk_v1).get(reverse("admin:disclosures_importjob_changelist")).content.decode()
    for header in ("行数", "上传人", "上传时间"):
        assert header in page
    assert "ROWS TOTAL" not in page.upper().replace("ROWS_TOTAL", "") and "Created at" not in page
    assert "2026年12月1日 01:05" in page  # Asia/Shanghai, not 17:05 UTC
    assert "2026-12-01 01:05" in preview(client, job).content.decode()


@pytest.mark.parametrize("model", [Disclosure, Revision, RosterEntry, ImportJob])
def test_every_field_a_staff_page_may_show_has_a_chinese_label(model):
    for field in model._meta.get_fields():
        if field.concrete and not field.auto_created and not field.primary_key:
            assert str(field.verbose_name) != field.name.replace("_", " "), f"{model.__name__}.{field.name}"


def test_the_import_list_never_loads_the_stored_previews(client, world, clerk_v1, dibao):
    upload(clerk_v1, world.v1, roster_file(rows_of(40)))
    login(client, clerk_v1)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:disclosures_importjob_changelist")).status_code == 200
    listing = [q["sql"] for q in queries if '"disclosures_importjob"."original_name"' in q["sql"]]
    assert listing and all('"result"' not in sql for sql in listing)
