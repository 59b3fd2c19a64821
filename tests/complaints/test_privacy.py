"""The privacy crawl over complaint pages, feeds, API and Open311: no names, phones, e-mails or photo metadata."""

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.models import Complaint
from tests.complaints.images import EXIF_MARKER, GPS_MARKER, jpeg_with_exif
from tests.crawl import assert_no_secrets, crawl

NAME = "欧阳秘名"
PHONE = "13912345678"
EMAIL = "secret.filer@example.org"
PRIVATE_TEXT = "内部内容勿公开XYZ"
CADRE_COMPLAINT_NAME = "司马举报"


def test_no_identity_or_metadata_on_any_public_output(client, world, cat, clerk_v1, discipline_t1):
    cache.clear()
    # Filed through the public form, with photos carrying EXIF/GPS markers.
    Client().post(
        reverse("complaints:new"),
        {
            "village": world.v1.pk,
            "category": cat["environment"].pk,
            "text": PRIVATE_TEXT,
            "name": NAME,
            "phone": PHONE,
            "notify": "on",
            "photo1": jpeg_with_exif(),
        },
    )
    c = Complaint.objects.get()
    services.complaint_accept(complaint=c, actor=clerk_v1)
    services.complaint_start(complaint=c, actor=clerk_v1)
    services.complaint_reply(complaint=c, actor=clerk_v1, reply="已处理。", outcome="substantiated")
    services.complaint_set_public(complaint=c, actor=clerk_v1, summary="环境卫生问题", description_public=False)
    services.complaint_close(complaint=c, actor=clerk_v1)
    services.complaint_rate(complaint=c, rating="satisfied", comment=f"谢谢，我是{NAME}")
    # An open one, with e-mail, about a cadre.
    services.complaint_submit(
        category=cat["conduct"],
        village=world.v1,
        text="反映村干部",
        name=CADRE_COMPLAINT_NAME,
        email=EMAIL,
        concerns_cadres=True,
    )
    # A published description (staff decided it is publishable) still carries no identity.
    other, _ = services.complaint_submit(category=cat["environment"], village=world.v2, text="路灯坏了", phone=PHONE)

    start = [
        "/",
        reverse("portal:village", args=[world.v1.code]),
        reverse("complaints:new"),
        reverse("complaints:track"),
        reverse("complaints:results"),
        "/api/v1/complaint-results/",
        "/api/v1/complaint-categories/",
        "/open311/v2/discovery.json",
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/services/environment.json",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        f"/open311/v2/requests/{c.tracking_code}.json",
        f"/open311/v2/requests/{c.tracking_code}.xml",
        f"/open311/v2/requests/{other.tracking_code}.json",
        reverse("complaints:status", args=[c.tracking_code]),
        reverse("complaints:photo", args=[c.photos.get().pk]),
    ]
    pages = crawl(Client(), start)
    assert reverse("complaints:results") in pages and "/open311/v2/requests.json" in pages
    assert "环境卫生问题" in pages[reverse("complaints:results")]
    assert_no_secrets(
        pages,
        [
            NAME,
            PHONE,
            PHONE[:3] + "****" + PHONE[-4:],
            EMAIL,
            PRIVATE_TEXT,
            CADRE_COMPLAINT_NAME,
            EXIF_MARKER,
            GPS_MARKER,
        ],
    )
    # Photos never reach an anonymous visitor.
    assert not any("/complaints/photo/" in path for path in pages)


def test_audit_events_and_outbox_hold_no_identity(world, cat, clerk_v1):
    from sunshine.audit.models import AuditEvent

    c, _ = services.complaint_submit(
        category=cat["environment"], village=world.v1, text="x", name=NAME, phone=PHONE, email=EMAIL, notify=True
    )
    services.complaint_accept(complaint=c, actor=clerk_v1)
    services.complaint_start(complaint=c, actor=clerk_v1)
    services.complaint_reply(complaint=c, actor=clerk_v1, reply="好", outcome="substantiated")
    from complaints.models import Outbox

    dump = str(list(AuditEvent.objects.values()))
    outbox = str(list(Outbox.objects.values("recipient_label", "subject", "body")))
    for secret in (NAME, PHONE, EMAIL):
        assert secret not in dump and secret not in outbox
    stored = Complaint.objects.filter(pk=c.pk).values().get()
    assert PHONE not in str(stored) and NAME not in str(stored)  # encrypted at rest


ID_NUMBER = "11010119900307803X"
BANK = "6222020200001234567"
PHONE_DASHED = "139-1234-5678"
PLANTED = f"身份证{ID_NUMBER} 电话{PHONE} 卡号{BANK} 手机 {PHONE_DASHED}"


def test_numbers_typed_into_replies_and_summaries_are_masked_everywhere(client, world, cat, clerk_v1):
    """A reply, a public summary, a published description and a rating comment, each carrying an ID, phones and a
    bank account: no public page, API, Open311 answer or audit event shows them."""
    from sunshine.audit.models import AuditEvent

    c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text=f"路灯坏了 {PLANTED}")
    services.complaint_accept(complaint=c, actor=clerk_v1)
    services.complaint_start(complaint=c, actor=clerk_v1)
    services.complaint_reply(complaint=c, actor=clerk_v1, reply=f"已修好。{PLANTED}", outcome="substantiated")
    services.complaint_set_public(complaint=c, actor=clerk_v1, summary=f"路灯 {PLANTED}", description_public=True)
    services.complaint_close(complaint=c, actor=clerk_v1)
    services.complaint_rate(complaint=c, rating="satisfied", comment=f"谢谢 {PLANTED}")

    start = [
        reverse("portal:village", args=[world.v1.code]),
        reverse("complaints:results"),
        "/api/v1/complaint-results/",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        f"/open311/v2/requests/{c.tracking_code}.json",
    ]
    pages = crawl(Client(), start)
    everything = "\n".join(pages.values())
    assert "已修好。身份证******************" in pages[reverse("complaints:results")]
    assert "路灯坏了 身份证" in pages[f"/open311/v2/requests/{c.tracking_code}.json"]
    assert "***-****-****" in pages["/api/v1/complaint-results/"]
    assert "路灯 身份证" in everything
    assert_no_secrets(pages, [ID_NUMBER, PHONE, BANK, PHONE_DASHED])

    dump = str(list(AuditEvent.objects.values()))
    assert "已修好。身份证******************" in dump and "路灯 身份证" in dump  # the free text is logged, masked
    for secret in (ID_NUMBER, PHONE, BANK, PHONE_DASHED):
        assert secret not in dump
