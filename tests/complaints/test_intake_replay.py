"""No ghost complaints: the intake form carries a one-time token; sending the same form again (a retry after a
timeout, a double tap, back and submit) returns the complaint already stored, with its secret, never a second
one. The done page can be reopened in the same browser session, never from another."""

import datetime
import re
import threading
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.intake import forget_intake_secrets
from complaints.models import Complaint, ComplaintPhoto
from sunshine.storage import private_storage
from tests.complaints.images import jpeg_with_exif

TOKEN = re.compile(r'name="intake_token" value="([^"]+)"')


def fresh_form(client, world, cat, text="村口路灯坏了三个月。", **kw):
    """What a resident's browser sends: the page's token and what they typed."""
    token = TOKEN.search(client.get(reverse("complaints:new")).content.decode()).group(1)
    return {"village": world.v1.pk, "category": cat["environment"].pk, "text": text, "intake_token": token, **kw}


def shown(response):
    html = response.content.decode()
    code = re.search(r'id="tracking-code">(\w+)<', html)
    secret = re.search(r'id="tracking-secret">(\w+)<', html)
    return code and code.group(1), secret and secret.group(1)


def test_each_form_page_carries_its_own_signed_token(client, world, cat):
    first, second = (TOKEN.search(client.get(reverse("complaints:new")).content.decode()).group(1) for _ in "ab")
    assert first != second
    assert services.intake_token_check(first) and services.intake_token_check(first + "x") is None


def test_sending_the_same_form_twice_files_one_complaint(client, world, cat):
    data = fresh_form(client, world, cat)
    first = client.post(reverse("complaints:new"), data)
    again = client.post(reverse("complaints:new"), data)  # the double tap, or the retry after a timeout
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    complaint = Complaint.objects.get()
    page = client.get(again["Location"])
    code, secret = shown(page)
    assert code == complaint.tracking_code and complaint.check_secret(secret)
    assert "这份留言已经提交过，没有重复提交" in page.content.decode()


def test_a_retry_from_a_browser_that_never_got_the_answer_shows_the_stored_code_and_secret(world, cat):
    """The ghost: the first answer was lost (no cookie ever arrived); the retry carries only the form."""
    data = fresh_form(Client(), world, cat)
    lost = Client()
    lost.post(reverse("complaints:new"), data)
    retry = Client()
    response = retry.post(reverse("complaints:new"), data, follow=True)
    complaint = Complaint.objects.get()
    code, secret = shown(response)
    assert code == complaint.tracking_code and complaint.check_secret(secret)
    status = retry.get(reverse("complaints:status", args=[code]))
    assert status.status_code == 200 and "村口路灯坏了三个月" in status.content.decode()


def test_a_different_form_files_a_second_complaint(client, world, cat):
    client.post(reverse("complaints:new"), fresh_form(client, world, cat))
    client.post(reverse("complaints:new"), fresh_form(client, world, cat, text="另一件事：水渠堵了。"))
    assert Complaint.objects.count() == 2


def file_with_token(world, cat, text="路灯坏了"):
    token = services.intake_token_check(services.intake_token_new())
    fields = {"category": cat["environment"], "village": world.v1, "text": text}
    return token, services.intake_fingerprint(**fields), services.complaint_submit_once(intake_token=token, **fields)


def test_a_late_replay_finds_the_complaint_but_no_longer_shows_the_secret(world, cat):
    token, fingerprint, filed = file_with_token(world, cat)
    assert filed.secret and not filed.replayed
    at = filed.complaint.submitted_at
    soon = services.intake_replay(token, fingerprint, now=at + datetime.timedelta(hours=23))
    assert soon.replayed and soon.complaint == filed.complaint and soon.secret == filed.secret
    late = services.intake_replay(token, fingerprint, now=at + datetime.timedelta(hours=25))
    assert late.complaint == filed.complaint and late.secret is None


def test_the_tick_forgets_secrets_kept_for_replays_once_they_may_no_longer_be_shown(world, cat):
    token, fingerprint, filed = file_with_token(world, cat)
    at = filed.complaint.submitted_at
    assert forget_intake_secrets(now=at + datetime.timedelta(hours=23)).endswith(" 0 forgotten")
    assert forget_intake_secrets(now=at + datetime.timedelta(hours=25)).endswith(" 1 forgotten")
    assert Complaint.objects.get().intake_secret_box == ""
    again = services.intake_replay(token, fingerprint)  # still one complaint per form
    assert again.complaint == filed.complaint and again.secret is None


def test_back_to_a_page_fetched_anew_and_submit_again_gives_the_stored_complaint(client, world, cat):
    """Back from the done page to a form the browser fetched again (a new token), the text put back by the
    browser: the same complaint from the same browser session is the one already stored."""
    first = client.post(reverse("complaints:new"), fresh_form(client, world, cat))
    again = client.post(reverse("complaints:new"), fresh_form(client, world, cat))
    assert again["Location"] == first["Location"] and Complaint.objects.count() == 1


def test_an_edited_resubmission_of_the_same_form_files_the_new_text(client, world, cat):
    """Back, change the text, submit: the same token with other content is a new complaint, never a lost one;
    that edited form sent twice is still one."""
    data = fresh_form(client, world, cat)
    client.post(reverse("complaints:new"), data)
    edited = {**data, "text": "更正：是村西口的路灯坏了三个月。"}
    first = client.post(reverse("complaints:new"), edited)
    assert client.post(reverse("complaints:new"), edited)["Location"] == first["Location"]
    assert sorted(Complaint.objects.values_list("text", flat=True)) == sorted([data["text"], edited["text"]])


def test_a_replay_at_a_kiosk_shows_no_one_elses_secret_and_grants_nothing(settings, world, cat):
    settings.RATELIMIT_KIOSK_ADDRESSES = ["10.9.9.9"]
    kiosk = Client(REMOTE_ADDR="10.9.9.9")
    data = fresh_form(kiosk, world, cat)
    kiosk.get(kiosk.post(reverse("complaints:new"), data)["Location"])  # the filer saw code and secret, and left
    replay = kiosk.post(reverse("complaints:new"), data)  # the next person: back, submit
    complaint = Complaint.objects.get()
    assert replay.status_code == 200 and shown(replay) == (complaint.tracking_code, None)
    assert kiosk.get(reverse("complaints:status", args=[complaint.tracking_code])).status_code == 302


def test_done_page_reopens_in_the_same_session_only(client, world, cat):
    client.post(reverse("complaints:new"), fresh_form(client, world, cat))
    complaint = Complaint.objects.get()
    reopened = client.get(reverse("complaints:done_latest"), follow=True)
    code, secret = shown(reopened)
    assert code == complaint.tracking_code and complaint.check_secret(secret)
    stranger = Client()
    assert stranger.get(reverse("complaints:done_latest"))["Location"] == reverse("complaints:track")
    assert stranger.get(reverse("complaints:done", args=[code]))["Location"] == reverse("complaints:track")


def test_the_secret_in_the_session_is_encrypted(client, world, cat):
    client.post(reverse("complaints:new"), fresh_form(client, world, cat))
    _, secret = shown(client.get(reverse("complaints:done_latest"), follow=True))
    assert secret not in str(dict(client.session))


def test_a_failure_after_the_photos_were_written_stores_nothing_and_leaves_no_file(client, world, cat):
    before = set(_private_files())
    data = fresh_form(client, world, cat, photo1=jpeg_with_exif())
    with mock.patch("complaints.intake._record_submission", side_effect=OperationalError("server closed")):
        response = client.post(reverse("complaints:new"), data)
    assert response.status_code == 503
    assert Complaint.objects.count() == 0 and ComplaintPhoto.objects.count() == 0
    assert set(_private_files()) == before


def _private_files():
    import os

    root = private_storage().location
    return [os.path.join(d, name) for d, _, names in os.walk(root) for name in names]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two racing inserts of one token need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_racing_submissions_of_one_form_file_one_complaint(transactional_db, world, cat):
    token = services.intake_token_check(services.intake_token_new())
    fields = {"category": cat["environment"], "village": world.v1, "text": "村口路灯坏了。"}
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(services.complaint_submit_once(intake_token=token, **fields))
        except Exception as exc:  # an IntegrityError reaching the resident is what this test exists to catch
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    complaint = Complaint.objects.get()
    assert {r.complaint.pk for r in results} == {complaint.pk}
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert {r.secret for r in results} == {next(r.secret for r in results if not r.replayed)}
    assert complaint.check_secret(results[0].secret)
