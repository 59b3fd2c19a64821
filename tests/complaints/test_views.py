"""Public pages: intake, tracking, status, rating, results, the village section, photos."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintPhoto, Status
from tests.complaints.images import EXIF_MARKER, GPS_MARKER, jpeg_with_exif, not_an_image


def form_data(world, cat, **kw):
    data = {"village": world.v1.pk, "category": cat["environment"].pk, "text": "村口路灯坏了三个月。"}
    data.update(kw)
    return data


def test_intake_page_preselects_village_from_code(client, world, cat):
    response = client.get(reverse("complaints:new") + f"?village={world.v1.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{world.v1.pk}" selected>' in html
    assert "<optgroup" in html and "<script" not in html


def test_resident_files_and_follows_with_code(client, world, cat):
    response = client.post(reverse("complaints:new"), form_data(world, cat))
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    done = client.get(response["Location"]).content.decode()
    secret = re.search(r'id="tracking-secret">(\w+)<', done).group(1)
    assert complaint.check_secret(secret)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", complaint.tracking_code)
    # The same browser may reopen the done page (issue 12: a resident whose page was lost must not lose the
    # secret; until then it was shown once only); another browser never sees it (below).
    assert f'id="tracking-secret">{secret}<' in client.get(response["Location"]).content.decode()
    # A fresh browser needs code and secret.
    other = type(client)()
    assert other.get(reverse("complaints:status", args=[complaint.tracking_code])).status_code == 302
    bad = other.post(reverse("complaints:track"), {"code": complaint.tracking_code, "secret": "WRONG1"})
    assert "查询码或密码不对" in bad.content.decode()
    ok = other.post(reverse("complaints:track"), {"code": complaint.tracking_code, "secret": secret}, follow=True)
    page = ok.content.decode()
    assert "村口路灯坏了三个月" in page and "受理期限" in page and "已提交" in page


def test_photos_are_reencoded_without_metadata(client, world, cat, clerk_v1):
    data = form_data(world, cat, photo1=jpeg_with_exif(), photo2=jpeg_with_exif("b.jpg"))
    assert client.post(reverse("complaints:new"), data).status_code == 302
    photos = list(ComplaintPhoto.objects.all())
    assert len(photos) == 2
    with photos[0].file.open("rb") as handle:
        stored = handle.read()
    assert EXIF_MARKER.encode() not in stored and GPS_MARKER.encode() not in stored and b"Exif" not in stored
    # Served only to staff who may see the complaint.
    url = reverse("complaints:photo", args=[photos[0].pk])
    assert client.get(url).status_code == 302  # anonymous → login
    client.force_login(clerk_v1)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    response.close()


def test_photo_invisible_to_other_villages(client, world, cat, clerk_v3):
    client.post(reverse("complaints:new"), form_data(world, cat, photo1=jpeg_with_exif()))
    client.force_login(clerk_v3)
    assert client.get(reverse("complaints:photo", args=[ComplaintPhoto.objects.get().pk])).status_code == 404


def test_bad_photo_gets_a_specific_message_and_changes_nothing(client, world, cat):
    response = client.post(reverse("complaints:new"), form_data(world, cat, photo2=not_an_image()))
    assert response.status_code == 200
    assert "第 2 张照片无法识别为图片" in response.content.decode()
    assert not Complaint.objects.exists()


def test_honeypot(client, world, cat):
    response = client.post(reverse("complaints:new"), form_data(world, cat, website="http://spam"))
    assert response.status_code == 200 and not Complaint.objects.exists()


def test_rate_limit_per_session_and_phone(client, world, cat, settings):
    settings.COMPLAINTS_RATE_LIMITS = {"session": (2, 3600), "phone": (100, 3600)}
    for _ in range(2):
        assert client.post(reverse("complaints:new"), form_data(world, cat)).status_code == 302
    blocked = client.post(reverse("complaints:new"), form_data(world, cat))
    assert blocked.status_code == 429 and "提交太频繁" in blocked.content.decode()
    assert Complaint.objects.count() == 2


def test_rate_limit_per_phone_across_sessions(world, cat, settings):
    from django.test import Client

    settings.COMPLAINTS_RATE_LIMITS = {"phone": (1, 3600)}
    assert Client().post(reverse("complaints:new"), form_data(world, cat, phone="13800000001")).status_code == 302
    assert Client().post(reverse("complaints:new"), form_data(world, cat, phone="13800000001")).status_code == 429
    assert Client().post(reverse("complaints:new"), form_data(world, cat, phone="13800000002")).status_code == 302


def test_address_limit_is_generous_and_kiosk_exempt(world, cat, settings):
    from django.test import Client

    settings.COMPLAINTS_RATE_LIMITS = {"address": (2, 3600)}
    for _ in range(2):
        assert Client().post(reverse("complaints:new"), form_data(world, cat)).status_code == 302
    assert Client().post(reverse("complaints:new"), form_data(world, cat)).status_code == 429
    settings.RATELIMIT_KIOSK_ADDRESSES = ["127.0.0.1"]
    assert Client().post(reverse("complaints:new"), form_data(world, cat)).status_code == 302


def test_text_limit_and_phone_format(client, world, cat):
    response = client.post(reverse("complaints:new"), form_data(world, cat, text="长" * 4001, phone="12345"))
    html = response.content.decode()
    assert "4000" in html and "手机号应为 11 位数字" in html
    assert not Complaint.objects.exists()


def test_rating_after_reply_reopens_one_level_up(client, world, cat, clerk_v1):
    client.post(reverse("complaints:new"), form_data(world, cat))
    c = Complaint.objects.get()
    status_url = reverse("complaints:status", args=[c.tracking_code])
    assert "提交评价" not in client.get(status_url).content.decode()
    services.complaint_accept(complaint=c, actor=clerk_v1)
    services.complaint_start(complaint=c, actor=clerk_v1)
    services.complaint_reply(complaint=c, actor=clerk_v1, reply="路灯已修好。", outcome="substantiated")
    page = client.get(status_url).content.decode()
    assert "路灯已修好" in page and "提交评价" in page
    response = client.post(reverse("complaints:rate", args=[c.tracking_code]), {"rating": "unsatisfied"}, follow=True)
    assert "转上一级复查" in response.content.decode()
    c.refresh_from_db()
    assert (c.status, c.level) == (Status.IN_PROGRESS, "township")


def test_rating_needs_access(client, world, cat, clerk_v1):
    c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x")
    assert client.post(reverse("complaints:rate", args=[c.tracking_code]), {"rating": "satisfied"}).status_code == 404


def closed(world, cat, clerk, village=None, summary="路灯修好了"):
    c, _ = services.complaint_submit(
        category=cat["environment"], village=village or world.v1, text="秘密内容", name="张秘密"
    )
    services.complaint_accept(complaint=c, actor=clerk)
    services.complaint_start(complaint=c, actor=clerk)
    services.complaint_reply(complaint=c, actor=clerk, reply="已修复。", outcome="substantiated")
    services.complaint_set_public(complaint=c, actor=clerk, summary=summary, description_public=False)
    services.complaint_close(complaint=c, actor=clerk)
    services.complaint_rate(complaint=c, rating="satisfied")
    return c


def test_results_show_closed_complaints_without_identity(client, world, cat, clerk_v1):
    closed(world, cat, clerk_v1)
    html = client.get(reverse("complaints:results")).content.decode()
    assert "路灯修好了" in html and "已修复" in html and "n=1" in html and "100%" in html
    assert "张秘密" not in html and "秘密内容" not in html


@pytest.mark.parametrize("rows", [1, 12])
def test_results_query_count_does_not_grow(rows, client, world, cat, clerk_v1, django_assert_num_queries):
    for _ in range(rows):
        closed(world, cat, clerk_v1)
    # session-less: count (1) + page (1) + township figures (1)
    with django_assert_num_queries(3):
        assert client.get(reverse("complaints:results")).status_code == 200


def test_village_section_on_public_village_page(client, world, cat, clerk_v1):
    closed(world, cat, clerk_v1, summary="垃圾清运了")
    html = client.get(reverse("portal:village", args=[world.v1.code])).content.decode()
    assert "我要留言" in html and f"?village={world.v1.code}" in html and "垃圾清运了" in html


def test_objection_from_a_published_roster_links_disclosure_and_entry(client, world, cat, reviewer_t1, clerk_v1):
    from disclosures.models import Category, Disclosure, Kind, Phase, Revision, RosterEntry

    category = Category.objects.create(
        slug="dibao-x", name="低保", kind=Kind.ROSTER, cadence="monthly", objection_days=7
    )
    disclosure = Disclosure.objects.create(
        division=world.v1, category=category, period="2026-11", phase=Phase.PRE, status="published"
    )
    revision = Revision.objects.create(disclosure=disclosure, number=1)
    entry = RosterEntry.objects.create(revision=revision, name="张三", person_key="k" * 64)
    Revision.objects.filter(pk=revision.pk).update(state="published")
    Disclosure.objects.filter(pk=disclosure.pk).update(
        current_revision=revision, objection_ends_at=timezone.now() + datetime.timedelta(days=7)
    )
    url = reverse("complaints:new") + f"?disclosure={disclosure.pk}&entry={entry.pk}"
    page = client.get(url).content.decode()
    assert "我有异议" in page and "张三" in page
    assert f'<option value="{world.v1.pk}" selected>' in page
    assert f'<option value="{cat["objection"].pk}" selected>' in page
    response = client.post(
        url,
        {
            "village": world.v1.pk,
            "category": cat["objection"].pk,
            "text": "张三家新盖了楼房。",
            "disclosure": disclosure.pk,
        },
    )
    assert response.status_code == 302
    c = Complaint.objects.get()
    assert (c.disclosure, c.roster_entry, c.person_key) == (disclosure, entry, "k" * 64)
    assert (c.division, c.handler_role) == (world.t1, "township_reviewer")
    assert not services.can_handle(clerk_v1, c) and services.can_handle(reviewer_t1, c)


def test_objection_to_an_unpublished_disclosure_is_a_plain_complaint(client, world, cat):
    from disclosures.models import Category, Disclosure, Kind, Phase

    category = Category.objects.create(
        slug="dibao-y", name="低保", kind=Kind.ROSTER, cadence="monthly", objection_days=7
    )
    draft = Disclosure.objects.create(division=world.v1, category=category, period="2026-11", phase=Phase.PRE)
    page = client.get(reverse("complaints:new") + f"?disclosure={draft.pk}").content.decode()
    assert "我有异议" not in page
