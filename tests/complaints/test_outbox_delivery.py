"""Notices leave through a background task queued with the change; each is sent once, failures are retried.

``save_outbox`` writes the rows and queues ``deliver_outbox_task`` in the same transaction (a rolled-back
change queues nothing); a worker (``run_tasks``) delivers; two deliverers at once never send one SMS twice
(PostgreSQL, threads); a failing SMS backend leaves the row with its masked reason for a later attempt.
"""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from complaints import notifications
from complaints.models import Outbox, OutboxChannel
from complaints.notifications import MAX_ATTEMPTS, MemorySmsBackend, deliver_outbox
from sunshine.identity import encrypt, mask_phone
from tests.complaints.test_services import to_state

DELIVERY_TASK = "complaints.notifications.deliver_outbox_task"
PHONE = "13900001111"


class Boom(Exception):
    pass


class FailingSmsBackend(notifications.SmsBackend):
    def send(self, phone, text):
        raise ConnectionError(f"carrier refused {phone}")


class SlowSmsBackend(notifications.SmsBackend):
    """Records every send; slow enough that concurrent deliverers overlap."""

    sent = []
    guard = threading.Lock()

    def send(self, phone, text):
        time.sleep(0.02)
        with SlowSmsBackend.guard:
            SlowSmsBackend.sent.append(phone)


def delivery_tasks(**filters):
    return DBTaskResult.objects.filter(task_path=DELIVERY_TASK, **filters)


@pytest.fixture
def memory_sms(settings):
    settings.COMPLAINTS_SMS_BACKEND = "complaints.notifications.MemorySmsBackend"
    MemorySmsBackend.outbox = []
    return MemorySmsBackend.outbox


def test_outbox_rows_queue_one_delivery_task_in_the_same_transaction(file_complaint, clerk_v1):
    with transaction.atomic():
        file_complaint("environment")
        assert Outbox.objects.count() == 1
        assert delivery_tasks(status="READY").count() == 1  # written inside this transaction
    with pytest.raises(Boom), transaction.atomic():
        file_complaint("environment")
        assert delivery_tasks().count() == 2
        raise Boom
    assert delivery_tasks().count() == 1 and Outbox.objects.count() == 1  # rolled back together


def test_one_task_per_write_not_per_row(world, file_complaint, clerk_v1):
    from tests import factories as f
    from villages.models import Role

    f.staff("clerk_v1b", Role.VILLAGE_CLERK, world.v1)
    file_complaint("environment")
    assert Outbox.objects.count() == 2 and delivery_tasks().count() == 1


@pytest.mark.django_db(transaction=True)  # the worker closes a connection left inside a transaction
def test_the_worker_delivers_what_the_change_queued(file_complaint, clerk_v1, memory_sms, run_tasks):
    from django.core import mail

    clerk_v1.email = "clerk@example.org"
    clerk_v1.save()
    c = file_complaint("environment", phone=PHONE, notify=True)
    to_state(c, clerk_v1, "replied")
    assert Outbox.objects.filter(sent_at__isnull=True).count() == Outbox.objects.count() > 1
    run_tasks()
    assert not Outbox.objects.filter(sent_at__isnull=True).exists()
    assert [phone for phone, _text in memory_sms] == [PHONE]
    assert "clerk@example.org" in mail.outbox[0].to
    assert delivery_tasks(status="SUCCESSFUL").exists() and not delivery_tasks(status="FAILED").exists()


def _sms_rows(count):
    return [
        Outbox(
            channel=OutboxChannel.SMS,
            recipient=encrypt(f"1390000{i:04d}"),
            recipient_label=mask_phone(f"1390000{i:04d}"),
            subject="答复",
            body="您的留言已答复。",
        )
        for i in range(count)
    ]


def test_a_failing_sms_backend_keeps_the_row_with_its_masked_reason_and_retries_later(
    settings, db, memory_sms, client, county_admin
):
    settings.COMPLAINTS_SMS_BACKEND = "tests.complaints.test_outbox_delivery.FailingSmsBackend"
    (row,) = Outbox.objects.bulk_create(_sms_rows(1))
    now = timezone.now()
    assert deliver_outbox(now=now) == "outbox: 0 sent, 1 failed"
    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1 and row.claimed_until is None
    assert "ConnectionError: carrier refused" in row.last_error and "13900000000" not in row.last_error
    assert row.next_attempt_at == now + notifications.RETRY_DELAYS[0]
    # The retry is queued for that time, so it does not wait for the tick.
    assert delivery_tasks(run_after=row.next_attempt_at).count() == 1

    client.force_login(county_admin)
    page = client.get(reverse("admin:complaints_outbox_changelist")).content.decode()
    assert "等待重试" in page and "carrier refused" in page and "139****0000" in page
    assert "13900000000" not in page
    assert "等待重试" in client.get(reverse("admin:complaints_outbox_changelist") + "?state=retrying").content.decode()

    settings.COMPLAINTS_SMS_BACKEND = "complaints.notifications.MemorySmsBackend"
    assert deliver_outbox(now=now + datetime.timedelta(seconds=30)) == "outbox: 0 sent, 0 failed"  # backoff
    assert deliver_outbox(now=row.next_attempt_at) == "outbox: 1 sent, 0 failed"
    row.refresh_from_db()
    assert row.sent_at and row.attempts == 2 and row.last_error == ""
    assert memory_sms == [("13900000000", "答复 您的留言已答复。")]


def test_a_row_is_given_up_after_the_last_attempt(settings, db):
    settings.COMPLAINTS_SMS_BACKEND = "tests.complaints.test_outbox_delivery.FailingSmsBackend"
    (row,) = Outbox.objects.bulk_create(_sms_rows(1))
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        deliver_outbox(now=now)
        now += datetime.timedelta(days=1)
    assert deliver_outbox(now=now) == "outbox: 0 sent, 0 failed"
    row.refresh_from_db()
    assert row.attempts == MAX_ATTEMPTS and row.sent_at is None
    assert notifications.retry_delay(MAX_ATTEMPTS) == notifications.RETRY_DELAYS[-1]


def test_a_row_claimed_by_a_deliverer_that_died_is_sent_after_its_lease(db, memory_sms):
    (row,) = Outbox.objects.bulk_create(_sms_rows(1))
    now = timezone.now()
    claimed = notifications._claim(now, 10)  # a deliverer claims it, then its process dies before sending
    assert [m.pk for m in claimed] == [row.pk]
    assert deliver_outbox(now=now) == "outbox: 0 sent, 0 failed"  # still leased to the dead one
    assert deliver_outbox(now=now + notifications.CLAIM_LEASE + datetime.timedelta(seconds=1)) == (
        "outbox: 1 sent, 0 failed"
    )
    assert len(memory_sms) == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (SKIP LOCKED) need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliverers_send_each_sms_once(settings):
    settings.COMPLAINTS_SMS_BACKEND = "tests.complaints.test_outbox_delivery.SlowSmsBackend"
    SlowSmsBackend.sent = []
    Outbox.objects.bulk_create(_sms_rows(40))
    barrier = threading.Barrier(4)
    errors = []

    def deliverer():
        try:
            barrier.wait()
            for _ in range(3):
                deliver_outbox(limit=7)
        except Exception as exc:  # a deadlock or a double claim is what this test exists to catch
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(SlowSmsBackend.sent) == 40 and len(set(SlowSmsBackend.sent)) == 40
    assert set(Outbox.objects.values_list("attempts", flat=True)) == {1}
    assert not Outbox.objects.filter(sent_at__isnull=True).exists()


def test_rows_are_claimed_in_batches_up_to_the_limit(db, memory_sms, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(notifications, "CLAIM_BATCH", 2)
    Outbox.objects.bulk_create(_sms_rows(5))
    assert deliver_outbox(limit=4) == "outbox: 4 sent, 0 failed"
    assert deliver_outbox() == "outbox: 1 sent, 0 failed"
    with django_assert_num_queries(3):  # nothing due: one empty claim (select, update, read), no loop
        assert deliver_outbox() == "outbox: 0 sent, 0 failed"
    assert len(memory_sms) == 5
