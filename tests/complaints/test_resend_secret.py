"""忘记查询密码: a filer who gave a phone gets a new secret by SMS through the outbox; the old one stops working.
The page answers the same whether or not the phone matched, tries are limited per code and per address, and
the audit event never holds the phone."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import Complaint, Outbox
from complaints.notifications import MemorySmsBackend, deliver_outbox
from sunshine.audit.models import AuditEvent

PHONE = "13912345678"
ANSWER = "新密码会通过短信发到这个手机"


@pytest.fixture
def sms(settings):
    settings.COMPLAINTS_SMS_BACKEND = "complaints.notifications.MemorySmsBackend"
    MemorySmsBackend.outbox = []
    return MemorySmsBackend.outbox


@pytest.fixture
def filed(file_complaint):
    return file_complaint(phone=PHONE, name="李四")


def ask(client, code, phone):
    return client.post(reverse("complaints:resend_secret"), {"code": code, "phone": phone})


def tracks(code, secret):
    response = Client().post(reverse("complaints:track"), {"code": code, "secret": secret})
    return response.status_code == 302


def test_tracking_page_links_to_the_resend_form(client, world):
    html = client.get(reverse("complaints:track")).content.decode()
    assert "忘记查询密码？" in html and reverse("complaints:resend_secret") in html


def test_a_new_secret_arrives_by_sms_and_the_old_one_stops_working(client, filed, sms):
    old = filed.secret
    response = ask(client, filed.tracking_code.lower(), PHONE)
    assert response.status_code == 200 and ANSWER in response.content.decode()
    assert not tracks(filed.tracking_code, old)
    assert sms == []  # queued in the outbox, sent by the tick
    deliver_outbox()
    [(phone, text)] = sms
    new = text.split("新查询密码是 ")[1][:6]
    assert phone == PHONE and filed.tracking_code in text
    assert tracks(filed.tracking_code, new)


def test_the_new_secret_is_encrypted_in_the_outbox_until_it_is_sent(client, filed, sms):
    ask(client, filed.tracking_code, PHONE)
    stored = Outbox.objects.get(complaint=filed, channel="sms", subject__contains="【")
    deliver_outbox()
    [(_phone, text)] = sms
    new = text.split("新查询密码是 ")[1][:6]
    assert new not in stored.body and "查询密码" not in stored.body  # a database reader cannot track with it


def test_the_event_is_audited_without_the_phone(client, filed, sms):
    ask(client, filed.tracking_code, PHONE)
    event = AuditEvent.objects.get(action="complaint.secret_reissued")
    assert event.object_id == str(filed.pk) and event.actor is None
    stored = json.dumps([event.data, event.changes, event.reason], ensure_ascii=False, default=str)
    assert PHONE not in stored and PHONE[-4:] not in stored


def test_a_wrong_phone_gets_the_same_answer_and_changes_nothing(client, filed, sms):
    right = ask(Client(), filed.tracking_code, PHONE).content.decode()
    before = Complaint.objects.get(pk=filed.pk).secret_hash
    outbox = Outbox.objects.count()
    wrong = ask(client, filed.tracking_code, "13800000000")
    assert wrong.status_code == 200 and _answer(wrong.content.decode()) == _answer(right)
    assert Complaint.objects.get(pk=filed.pk).secret_hash == before
    assert Outbox.objects.count() == outbox
    assert AuditEvent.objects.filter(action="complaint.secret_reissued").count() == 1


def _answer(html):
    return html[html.index('id="resend-answer"') : html.index("</div>", html.index('id="resend-answer"'))]


def test_an_anonymous_complaint_or_an_unknown_code_gets_the_same_answer(client, file_complaint, sms):
    anonymous = file_complaint()
    for code in (anonymous.tracking_code, "ZZZZZZZZ"):
        response = ask(Client(), code, PHONE)
        assert response.status_code == 200 and ANSWER in response.content.decode()
    assert tracks(anonymous.tracking_code, anonymous.secret)
    assert Outbox.objects.filter(channel="sms").count() == 0


def test_tries_are_limited_per_code_from_any_address(filed, sms):
    for n in range(3):
        assert ask(Client(REMOTE_ADDR=f"10.0.0.{n}"), filed.tracking_code, "13800000000").status_code == 200
    refused = ask(Client(REMOTE_ADDR="10.0.0.9"), filed.tracking_code, PHONE)
    assert refused.status_code == 429 and "找回密码的次数太多" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert tracks(filed.tracking_code, filed.secret)  # the refused request changed nothing
    assert Outbox.objects.filter(channel="sms").count() == 0


def test_tries_are_limited_per_address(file_complaint, sms):
    client = Client(REMOTE_ADDR="10.0.0.7")
    codes = [file_complaint().tracking_code for _ in range(4)]
    statuses = [ask(client, codes[n % 4], PHONE).status_code for n in range(11)]
    assert statuses == [200] * 10 + [429]


def test_a_resubmitted_form_no_longer_shows_a_reissued_secret(client, world, cat, sms):
    from tests.complaints.test_intake_replay import fresh_form, shown

    data = fresh_form(client, world, cat, phone=PHONE)
    client.post(reverse("complaints:new"), data)
    complaint = Complaint.objects.get()
    ask(client, complaint.tracking_code, PHONE)
    replay = Client().post(reverse("complaints:new"), data, follow=True)
    assert shown(replay) == (complaint.tracking_code, None)
    assert Complaint.objects.count() == 1
    # Nor does the filer's own browser, reopening its done page: that secret no longer works.
    assert shown(client.get(reverse("complaints:done_latest"), follow=True)) == (complaint.tracking_code, None)
