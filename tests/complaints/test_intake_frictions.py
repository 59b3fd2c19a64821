"""The complaint form as a new user meets it: no category chosen for them, every error listed at the top with a link
to its field, a photo kept across a form error (cleaned, private, swept), every input labelled, the honeypot out of
reach of the keyboard without hiding a focusable field from screen readers."""

import datetime
import os
import re
import shutil
import time
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from complaints import photo_hold
from complaints.models import Complaint, ComplaintPhoto
from sunshine.storage import private_storage
from tests.complaints.images import GPS_MARKER, jpeg_with_exif


def form_data(world, cat, **kw):
    return {"village": world.v1.pk, "category": cat["environment"].pk, "text": "村口路灯坏了三个月。", **kw}


@pytest.fixture(autouse=True)
def _no_held_photos_of_earlier_tests():
    shutil.rmtree(private_storage().path(photo_hold.HOLD_DIR), ignore_errors=True)


def held_files():
    try:
        return private_storage().listdir(photo_hold.HOLD_DIR)[1]
    except FileNotFoundError:
        return []


def test_no_category_is_chosen_for_the_resident(client, world, cat):
    html = client.get(reverse("complaints:new")).content.decode()
    select = re.search(r'<select name="category".*?</select>', html, re.S).group(0)
    assert '<option value="" selected>请选择类别' in select
    response = client.post(reverse("complaints:new"), form_data(world, cat, category=""))
    assert "请选择类别；拿不准就选“其他”。" in response.content.decode() and not Complaint.objects.exists()


def test_an_objection_link_still_presets_its_category(client, world, cat):
    html = client.get(reverse("complaints:new") + "?disclosure=999999").content.decode()
    assert "请选择类别" in html  # an unknown disclosure presets nothing


def test_errors_are_summed_up_at_the_top_with_a_link_to_each_field(client, world, cat):
    response = client.post(reverse("complaints:new"), form_data(world, cat, village="", text="", notify="on"))
    html = response.content.decode()
    summary = re.search(r'<div class="card error-summary" role="alert".*?</div>', html, re.S).group(0)
    assert html.index("error-summary") < html.index('<form method="post" enctype')
    assert "autofocus" in summary and 'tabindex="-1"' in summary
    assert '<a href="#id_village">乡镇 / 村：请选择您反映的事情所在的村。</a>' in summary
    assert '<a href="#id_text">内容：请写下您要反映的事情。</a>' in summary
    assert '<a href="#id_phone">' in summary and "要短信通知，请填写手机号。" in summary
    for field_id in ("id_village", "id_text", "id_phone"):
        assert f'id="{field_id}"' in html


def test_every_photo_input_has_its_own_label_and_the_honeypot_is_not_hidden_from_readers(client, world, cat):
    html = client.get(reverse("complaints:new")).content.decode()
    for number in (1, 2, 3):
        assert f'<label for="id_photo{number}">第 {number} 张照片' in html
    honeypot = re.search(r'<div class="hp">(.*?)</div>', html, re.S).group(1)
    assert 'tabindex="-1"' in honeypot and "请勿填写此项（留空）" in honeypot
    assert "aria-hidden" not in html


def test_a_photo_survives_a_form_error_and_is_filed_with_the_complaint(client, world, cat):
    first = client.post(reverse("complaints:new"), form_data(world, cat, text="", photo1=jpeg_with_exif()))
    html = first.content.decode()
    assert first.status_code == 200 and not Complaint.objects.exists()
    assert "第 1 张照片已保留，不用重新选择" in html
    token = re.search(r'name="held1" value="([^"]+)"', html).group(1)
    [name] = held_files()
    with private_storage().open(f"{photo_hold.HOLD_DIR}/{name}", "rb") as handle:
        assert GPS_MARKER.encode() not in handle.read()  # held already cleaned: no location kept meanwhile
    # The resident fills in the text and sends again, without choosing the photo again.
    second = client.post(reverse("complaints:new"), form_data(world, cat, held1=token))
    assert second.status_code == 302
    assert ComplaintPhoto.objects.filter(complaint=Complaint.objects.get()).count() == 1
    assert held_files() == []  # filed: the held copy is gone


def test_a_held_photo_can_be_dropped(client, world, cat):
    html = client.post(reverse("complaints:new"), form_data(world, cat, text="", photo1=jpeg_with_exif())).content
    token = re.search(r'name="held1" value="([^"]+)"', html.decode()).group(1)
    assert client.post(reverse("complaints:new"), form_data(world, cat, held1=token, drop1="on")).status_code == 302
    assert not ComplaintPhoto.objects.exists() and held_files() == []


def test_a_forged_or_expired_hold_token_files_nothing_and_asks_for_the_photo_again(client, world, cat, settings):
    response = client.post(reverse("complaints:new"), form_data(world, cat, held1="../../etc/passwd:forged"))
    assert "第 1 张照片保留时间已过，请重新选择。" in response.content.decode() and not Complaint.objects.exists()
    assert "已保留" not in response.content.decode()  # the page does not claim to keep what it cannot
    html = client.post(reverse("complaints:new"), form_data(world, cat, text="", photo1=jpeg_with_exif())).content
    token = re.search(r'name="held1" value="([^"]+)"', html.decode()).group(1)
    later = time.time() + photo_hold.HOLD_MINUTES * 60 + 1
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(reverse("complaints:new"), form_data(world, cat, held1=token))
        assert "保留时间已过" in response.content.decode() and "已保留" not in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_tick_sweeps_held_photos_past_their_time(client, world, cat):
    client.post(reverse("complaints:new"), form_data(world, cat, text="", photo1=jpeg_with_exif()))
    [name] = held_files()
    assert photo_hold.sweep_held_photos() == "held photos: 0 deleted"
    old = time.time() - (photo_hold.HOLD_MINUTES + 1) * 60
    os.utime(private_storage().path(f"{photo_hold.HOLD_DIR}/{name}"), (old, old))
    call_command("tick", stdout=StringIO())
    assert held_files() == []
    assert photo_hold.sweep_held_photos(now=timezone.now() + datetime.timedelta(days=1)) == "held photos: 0 deleted"


def test_holding_photos_is_rate_limited_per_client(client, world, cat, settings):
    settings.COMPLAINTS_RATE_LIMITS = {"photo_hold": (1, 3600)}
    client.post(reverse("complaints:new"), form_data(world, cat, text="", photo1=jpeg_with_exif()))
    response = client.post(reverse("complaints:new"), form_data(world, cat, text="", photo1=jpeg_with_exif()))
    assert "照片这次没能保留，请重新选择。" in response.content.decode()
    assert len(held_files()) == 1
