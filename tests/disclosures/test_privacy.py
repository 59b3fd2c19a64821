"""Privacy crawl: seed rosters with known IDs, phones and bank numbers, crawl every public output.

Also: attachments live in private storage and reach the public only through the view that checks publication;
the objection link names only entries of the current published revision.
"""

import datetime as dt
import importlib
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from disclosures import services as s
from disclosures.models import Attachment, Disclosure, LedgerLine
from sunshine.audit.models import AuditEvent
from sunshine.identity import mask_id
from sunshine.storage import private_storage
from tests.crawl import assert_no_secrets, crawl
from tests.disclosures.helpers import IDS, approve_and_publish, draft_ledger, entry, published_roster

PHONE = "13912345678"
PHONE_SPACED = "139 1234 5678"
BANK = "6222020200001234567"
PLANTED = f"身份证{IDS[1]} 电话{PHONE} 卡号{BANK} 手机 {PHONE_SPACED}"


def test_no_full_id_phone_or_bank_account_on_any_public_output(
    client, world, categories, crew, county_admin, run_tasks
):
    clerk, reviewer, discipline = crew
    pre = published_roster(
        *crew, world.v1, categories["dibao"],
        rows=[
            entry("张三", 500, id_number=IDS[0], bank=BANK, remark=f"电话 {PHONE}"),
            entry("李四", 300, id_number=IDS[1]),
        ],
    )  # fmt: skip
    post = published_roster(
        *crew, world.v1, categories["dibao"], phase="post", pre=pre,
        rows=[entry("张三", 520, id_number=IDS[0], bank=BANK), entry("王五", 100, id_number=IDS[2])],
    )  # fmt: skip
    revision = s.disclosure_open_correction(actor=clerk, disclosure=post, reason=f"金额更正，{PLANTED}")
    s.revision_replace_entries(
        actor=clerk, revision=revision,
        entries=[entry("张三", 500, id_number=IDS[0], bank=BANK), entry("王五", 100, id_number=IDS[2], remark=BANK)],
    )  # fmt: skip
    s.disclosure_submit(disclosure=post, actor=clerk)
    approve_and_publish(post, reviewer, discipline)
    # remark is public for 临时救助: a phone or bank number typed into it must still be masked
    published_roster(
        *crew, world.v1, categories["linshi"], period="2026-10-05",
        rows=[entry("赵六", 2000, id_number=IDS[3], remark=f"联系电话{PHONE} 账号 {BANK} 证号{IDS[4]}")],
    )  # fmt: skip
    # masked IDs are allow-listed for 耕地地力保护补贴
    published_roster(*crew, world.v1, categories["gengdi"], period="2026", rows=[entry("钱七", 80, id_number=IDS[4])])
    # taken down: even the name disappears
    gone = published_roster(*crew, world.v1, categories["tekun"], rows=[entry("孙八", 900, id_number="11010119900307")])
    s.disclosure_take_down(disclosure=gone, actor=county_admin, reason="依申请删除")

    notice, ledger = _free_text_disclosures(world, categories, crew)
    run_tasks()  # the worker renders every published version's bulletin PDF (the crawl reads them)

    pages = crawl(
        client,
        ["/", f"/d/{world.county.code}/", f"/d/{world.county.code}/feed/", f"/d/{world.v1.code}/feed/",
         "/api/v1/disclosures/", f"/d/{world.t1.code}/calendar/", "/data/", "/data/catalog.json"],
    )  # fmt: skip
    visited = "\n".join(pages)
    assert f"/d/{world.v1.code}/dibao/2026-10/post/reconciliation/" in visited
    assert f"/d/{world.v1.code}/dibao/2026-10/post/history/" in visited
    assert f"/d/{world.v1.code}/dibao/2026-10/post/r/1/" in visited
    assert "show=all" in visited and "/entries/" in visited and "/pdf/" in visited
    assert len(pages) > 25
    files = {path: text for path, text in pages.items() if path.endswith(("/data.csv", "/data.xlsx"))}
    assert f"/d/{world.v1.code}/dibao/2026-10/post/r/1/data.xlsx" in files  # superseded versions too
    assert {path.rsplit(".", 1)[1] for path in files} == {"csv", "xlsx"} and len(files) >= 12
    assert any("张三" in text and "金额（元）" in text for path, text in files.items() if path.endswith(".xlsx"))
    assert any("联系电话***********" in text for text in files.values())  # remarks and summaries, masked

    assert_no_secrets(pages, [*IDS, PHONE, PHONE_SPACED, BANK, "孙八"])
    # the crawl reached every planted free-text field (masked)
    assert f"/d/files/{notice.current_revision.attachments.get().pk}/" in visited
    assert any("停水" in text and "联系电话***********" in text for text in pages.values())
    assert any(path.startswith(f"/api/v1/disclosures/{ledger.pk}/") for path in pages)
    assert "/pdf/" in "".join(p for p in pages if "tonggao" in p)
    assert "金额更正" in everything_of(pages) and "卡号*******************" in everything_of(pages)
    everything = everything_of(pages)
    assert "张三" in everything  # the crawl really reached the rosters
    pdfs = [text for path, text in pages.items() if path.endswith("/pdf/")]
    assert any("张三" in text and "内容校验码" in text for text in pdfs)  # real PDFs, not the 正在生成 page
    for number in IDS[:4]:  # no masked ID where the category does not allow-list it
        assert mask_id(number) not in everything
    assert mask_id(IDS[4]) in everything


def everything_of(pages):
    return "\n".join(pages.values())


def _free_text_disclosures(world, categories, crew):
    """A notice (title, body, attachment title) and a ledger (summary), each carrying IDs, phones and accounts."""
    clerk, reviewer, discipline = crew
    revision = s.disclosure_open_draft(
        actor=reviewer, division=world.v1, category=categories["tonggao"], period="2026-11-20"
    )
    s.revision_update_content(
        actor=reviewer, revision=revision, title=f"停水通知 联系电话{PHONE}", body=f"停水一天。{PLANTED}"
    )
    attachment = Attachment(revision=revision, title=f"停水范围图 {PLANTED}", size=4, content_type="application/pdf")
    attachment.file.save(f"{PHONE}.pdf", ContentFile(b"%PDF"), save=True)
    notice = approve_and_publish(revision.disclosure, reviewer)
    lines = [LedgerLine(date=dt.date(2026, 10, 3), voucher_no="记-01", summary=f"退款 {PLANTED}", income=Decimal("5"))]
    ledger = draft_ledger(clerk, world.v1, categories["caiwu"], lines=lines)
    s.disclosure_submit(disclosure=ledger, actor=clerk)
    return notice, approve_and_publish(ledger, reviewer, discipline)


def test_no_planted_number_reaches_the_audit_log(world, categories, crew):
    clerk, reviewer, discipline = crew
    _free_text_disclosures(world, categories, crew)
    pre = published_roster(
        *crew, world.v1, categories["linshi"], period="2026-10-05", rows=[entry("赵六", 20, remark=PLANTED)]
    )
    s.disclosure_open_correction(actor=clerk, disclosure=pre, reason=f"更正 {PLANTED}")
    dump = str(list(AuditEvent.objects.values()))
    assert "更正 身份证" in dump  # the reason is there, masked
    for secret in (IDS[1], PHONE, PHONE_SPACED, BANK):
        assert secret not in dump


def _notice_with_attachment(world, categories, reviewer, *, publish=True):
    revision = s.disclosure_open_draft(
        actor=reviewer, division=world.v1, category=categories["tonggao"], period="2026-11-21"
    )
    s.revision_update_content(actor=reviewer, revision=revision, title="修路通知", body="修路")
    attachment = Attachment(revision=revision, title="路线图", size=4, content_type="application/pdf")
    attachment.file.save("张三家门口路线图.pdf", ContentFile(b"%PDF"), save=True)
    if publish:
        approve_and_publish(revision.disclosure, reviewer)
    return attachment


def test_attachment_is_private_under_a_random_name(client, world, categories, reviewer_t1):
    attachment = _notice_with_attachment(world, categories, reviewer_t1, publish=False)
    name = attachment.file.name
    assert attachment.file.storage is private_storage()
    assert "张三" not in name and name.startswith("attachments/") and name.endswith(".pdf")
    assert attachment.filename == "张三家门口路线图.pdf"
    assert not default_storage.exists(name)
    assert client.get(settings.MEDIA_URL + name).status_code == 404
    assert client.get(reverse("disclosures:attachment", args=[attachment.pk])).status_code == 404  # a draft


def test_published_attachment_downloads_under_its_display_name(client, world, categories, reviewer_t1):
    attachment = _notice_with_attachment(world, categories, reviewer_t1)
    response = client.get(reverse("disclosures:attachment", args=[attachment.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%BC%A0%E4%B8%89" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"


def test_taken_down_attachment_is_gone(
    client, world, categories, reviewer_t1, county_admin, django_capture_on_commit_callbacks
):
    attachment = _notice_with_attachment(world, categories, reviewer_t1)
    name = attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        s.disclosure_take_down(disclosure=attachment.revision.disclosure, actor=county_admin, reason="依申请删除")
    assert client.get(reverse("disclosures:attachment", args=[attachment.pk])).status_code == 404
    assert not private_storage().exists(name)
    attachment.refresh_from_db()
    assert (attachment.file.name, attachment.filename) == ("", "")


def test_staff_download_drafts_only_in_their_jurisdiction(client, world, categories, reviewer_t1, reviewer_t2):
    attachment = _notice_with_attachment(world, categories, reviewer_t1, publish=False)
    url = reverse("disclosures:staff_attachment", args=[attachment.pk])
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(reviewer_t2)
    assert client.get(url).status_code == 404
    client.force_login(reviewer_t1)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"%PDF"


def test_migration_moves_public_attachments_to_private_storage(world, categories, reviewer_t1, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    attachment = _notice_with_attachment(world, categories, reviewer_t1, publish=False)
    old = default_storage.save("attachments/2026/11/李四低保名单.pdf", ContentFile(b"%PDF-old"))
    Attachment.objects.filter(pk=attachment.pk).update(file=old, filename="")
    migration = importlib.import_module("disclosures.migrations.0004_attachments_private")
    migration.move_to_private(apps, None)
    attachment.refresh_from_db()
    assert not default_storage.exists(old)
    assert "李四" not in attachment.file.name and attachment.filename == "李四低保名单.pdf"
    with private_storage().open(attachment.file.name, "rb") as handle:
        assert handle.read() == b"%PDF-old"


def _objection_page(client, disclosure, entry_pk):
    return client.get(f"/complaints/new/?disclosure={disclosure.pk}&entry={entry_pk}").content.decode()


def test_objection_link_names_only_entries_of_the_current_published_revision(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    pre = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    current = pre.current_revision.entries.get()
    correction = s.disclosure_open_correction(actor=clerk, disclosure=pre, reason="增补")
    s.revision_replace_entries(
        actor=clerk, revision=correction,
        entries=[entry("张三", 500, id_number=IDS[0]), entry("新增户", 300, id_number=IDS[1], remark=PHONE)],
    )  # fmt: skip
    unpublished = correction.entries.get(name="新增户")

    page = _objection_page(client, pre, current.pk)
    assert "我有异议" in page and "涉及名单中的“张三 一组”" in page
    page = _objection_page(client, pre, unpublished.pk)
    assert "我有异议" in page and "新增户" not in page and PHONE not in page and "异议期已结束" in page
    assert 'name="entry" value=' not in page

    Disclosure.objects.filter(pk=pre.pk).update(objection_ends_at=timezone.now() - dt.timedelta(minutes=1))
    page = _objection_page(client, pre, current.pk)
    assert "张三" not in page and "异议期已结束" in page


def test_objection_link_to_a_draft_is_a_plain_complaint(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    revision = s.disclosure_open_draft(
        actor=clerk, division=world.v1, category=categories["dibao"], period="2026-12", phase="pre"
    )
    s.revision_replace_entries(actor=clerk, revision=revision, entries=[entry("草稿户", 100, remark=PHONE)])
    page = _objection_page(client, revision.disclosure, revision.entries.get().pk)
    assert "我有异议" not in page and "草稿户" not in page and PHONE not in page


def test_admin_upload_is_private_and_the_change_page_links_the_staff_view(client, world, categories, reviewer_t1):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from disclosures.models import Revision

    revision = s.disclosure_open_draft(
        actor=reviewer_t1, division=world.v1, category=categories["tonggao"], period="2026-11-20"
    )
    url = f"/admin/disclosures/revision/{revision.pk}/change/"
    client.force_login(reviewer_t1)
    response = client.post(
        url,
        {
            "title": "通知", "body": "正文", "version": str(Revision.objects.get(pk=revision.pk).version),
            "attachments-TOTAL_FORMS": "1", "attachments-INITIAL_FORMS": "0",
            "attachments-MIN_NUM_FORMS": "0", "attachments-MAX_NUM_FORMS": "1000",
            "attachments-0-title": "附件", "attachments-0-file": SimpleUploadedFile("王五申请表.pdf", b"%PDF-1.4"),
        },
    )  # fmt: skip
    assert response.status_code == 302
    attachment = revision.attachments.get()
    assert attachment.filename == "王五申请表.pdf" and "王五" not in attachment.file.name
    assert private_storage().exists(attachment.file.name) and not default_storage.exists(attachment.file.name)
    page = client.get(url).content.decode()
    assert reverse("disclosures:staff_attachment", args=[attachment.pk]) in page and "王五申请表.pdf" in page
