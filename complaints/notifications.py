"""Notifications through an outbox.

Services write ``Outbox`` rows inside their own transaction (so a notice exists exactly when the change
committed) through :func:`save_outbox`, which also queues one ``deliver_outbox_task`` in that transaction:
with a worker running, notices leave within seconds. ``deliver_outbox`` sends them — console by default,
e-mail through Django, SMS through a small backend interface chosen by ``settings.COMPLAINTS_SMS_BACKEND``;
``manage.py tick`` runs it too, as the backstop for rows whose task was lost.

Delivery claims each row before sending it (a short transaction: ``SKIP LOCKED`` on PostgreSQL, and a
lease in ``claimed_until``), then sends and records the outcome row by row, so two deliverers never send
one SMS twice and a deliverer that dies mid-batch leaves only its unsent rows, which come due again when
the lease ends. A failed send is kept with its (masked) reason and retried with backoff
(``RETRY_DELAYS``) until ``MAX_ATTEMPTS``.
"""

import datetime
import logging
import sys

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from sunshine.background import enqueue
from sunshine.identity import decrypt, encrypt, mask_phone
from sunshine.masking import mask_free_text

from .models import Outbox, OutboxChannel

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# Prefix of an outbox body stored encrypted (a re-issued tracking secret); plain notices stay readable for staff.
SEALED_BODY = "sealed:"
# Wait after the n-th failed attempt (the last one repeats): a carrier outage of an hour loses nothing.
RETRY_DELAYS = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=15),
    datetime.timedelta(hours=1),
)
# A claimed row is another deliverer's for this long; after it (the deliverer died) it is due again.
CLAIM_LEASE = datetime.timedelta(minutes=10)
# Rows claimed at once: sent well within the lease even when each send takes seconds.
CLAIM_BATCH = 50


class SmsBackend:
    """Send one text message; raise on failure so the outbox retries."""

    def send(self, phone, text):  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, phone, text):
        self.stream.write(f"[SMS → {mask_phone(phone)}] {text}\n")


class MemorySmsBackend(SmsBackend):
    """For tests: keeps what was sent."""

    outbox = []

    def send(self, phone, text):
        MemorySmsBackend.outbox.append((phone, text))


def sms_backend():
    dotted = settings.COMPLAINTS_SMS_BACKEND
    return import_string(dotted)()


def staff_message(user, *, subject, body, complaint=None):
    """An unsaved outbox row for a staff member: e-mail when they have one, else the console log."""
    return Outbox(
        channel=OutboxChannel.EMAIL if user.email else OutboxChannel.CONSOLE,
        recipient=encrypt(user.email) if user.email else "",
        recipient_label=user.get_username(),
        subject=subject,
        body=body,
        complaint=complaint,
    )


def filer_message(complaint, *, subject, body, phone="", email=""):
    """An unsaved outbox row for the filer (SMS preferred), or None when they asked for no notices."""
    if not complaint.notify_filer or not (phone or email):
        return None
    channel, address, label = (
        (OutboxChannel.SMS, phone, mask_phone(phone)) if phone else (OutboxChannel.EMAIL, email, "filer")
    )
    return Outbox(
        channel=channel,
        recipient=encrypt(address),
        recipient_label=label,
        subject=subject,
        body=body,
        complaint=complaint,
    )


def queue_for_handlers(complaint, *, subject, body):
    """Queue a notice to every active staff member now handling ``complaint`` (division and role)."""
    from django.contrib.auth import get_user_model

    handlers = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__division_id=complaint.division_id,
            memberships__role=complaint.handler_role,
        )
        .distinct()
    )
    save_outbox([staff_message(user, subject=subject, body=body, complaint=complaint) for user in handlers])


def queue_for_filer(complaint, *, subject, body):
    """Queue a notice to the filer when they asked for one (their contact is decrypted only here)."""
    message = filer_message(
        complaint,
        subject=subject,
        body=body,
        phone=decrypt(complaint.filer_phone_enc),
        email=decrypt(complaint.filer_email_enc),
    )
    save_outbox([message])


def save_outbox(messages):
    """Write unsaved outbox rows (``None`` skipped) and queue their delivery in the caller's transaction.

    One task per call, not per row: the task delivers everything due, so a second one finds nothing left.
    """
    messages = [message for message in messages if message is not None]
    if not messages:
        return []
    Outbox.objects.bulk_create(messages)
    enqueue(deliver_outbox_task)
    return messages


def queue_secret_sms(complaint, secret):
    """Queue the filer's new tracking secret by SMS to the phone they gave (whether or not they asked for notices:
    they asked for this one). The row holds the secret until it is sent, like any SMS gateway's log."""
    phone = decrypt(complaint.filer_phone_enc)
    message = Outbox(
        channel=OutboxChannel.SMS,
        recipient=complaint.filer_phone_enc,
        recipient_label=mask_phone(phone),
        subject=f"【{settings.SITE_NAME}】",
        # The secret is a credential: encrypted at rest like the recipient, so a database reader cannot track with it.
        body=SEALED_BODY + encrypt(
            f"您的留言 {complaint.tracking_code} 的新查询密码是 {secret}，原密码已失效。如非本人操作，请忽略。"
        ),
        complaint=complaint,
    )
    save_outbox([message])  # queues its delivery, so the resident gets it within seconds


def message_body(message):
    """The text to send: a sealed body (one carrying a credential) is decrypted only here, at delivery."""
    if message.body.startswith(SEALED_BODY):
        return decrypt(message.body[len(SEALED_BODY) :])
    return message.body


def _send(message):
    if message.channel == OutboxChannel.EMAIL:
        send_mail(message.subject, message_body(message), settings.DEFAULT_FROM_EMAIL, [decrypt(message.recipient)])
    elif message.channel == OutboxChannel.SMS:
        sms_backend().send(decrypt(message.recipient), f"{message.subject} {message_body(message)}")
    else:
        log.warning("notice for %s: %s — %s", message.recipient_label, message.subject, message.body)


def _due(now):
    return (
        Q(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    )


def _claim(now, limit):
    """Take up to ``limit`` due rows for this deliverer: counts the attempt and sets the lease, then commits."""
    with transaction.atomic():
        pending = Outbox.objects.filter(_due(now)).order_by("id")
        if connection.vendor == "postgresql":
            # Rows another deliverer is claiming right now are skipped, not waited for.
            pending = pending.select_for_update(skip_locked=True)
        ids = list(pending.values_list("id", flat=True)[:limit])
        # The condition again: on SQLite (no row locks) a row claimed since the read is not taken twice.
        Outbox.objects.filter(_due(now), pk__in=ids).update(
            attempts=F("attempts") + 1, claimed_until=now + CLAIM_LEASE
        )
    return list(Outbox.objects.filter(pk__in=ids, claimed_until=now + CLAIM_LEASE).order_by("id"))


def retry_delay(attempts):
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def _failure_reason(exc):
    """What staff see in the outbox list: the error without the recipient's number or address."""
    return mask_free_text(f"{type(exc).__name__}: {exc}")[:500]


def _deliver(message, now):
    """Send one claimed row and record the outcome (its own commit). Returns the retry time after a failure."""
    mine = Outbox.objects.filter(pk=message.pk, claimed_until=message.claimed_until)  # still our lease
    try:
        _send(message)
    except Exception as exc:  # a broken channel must not stop the others
        log.warning("outbox %s to %s failed: %s", message.pk, message.recipient_label, type(exc).__name__)
        next_attempt = now + retry_delay(message.attempts)
        mine.update(last_error=_failure_reason(exc), next_attempt_at=next_attempt, claimed_until=None)
        return next_attempt
    mine.update(sent_at=timezone.now(), last_error="", next_attempt_at=None, claimed_until=None)
    return None


def deliver_outbox(*, limit=500, now=None):
    """Send up to ``limit`` due notices; each row is claimed first, so two deliverers never send one twice.

    Rows are claimed ``CLAIM_BATCH`` at a time, so a slow carrier cannot outlast the lease of rows still
    waiting in a batch. A failure keeps the row with its reason and a ``next_attempt_at`` (backoff); when
    such a row can still be retried, a delivery task is queued for that time, so retries need no tick.
    """
    sent = failed = 0
    retry_at = None
    while sent + failed < limit:
        claimed_at = now or timezone.now()
        batch = _claim(claimed_at, min(CLAIM_BATCH, limit - sent - failed))
        if not batch:
            break
        for message in batch:
            next_attempt = _deliver(message, claimed_at)
            if next_attempt is None:
                sent += 1
                continue
            failed += 1
            if message.attempts < MAX_ATTEMPTS:
                retry_at = min(retry_at or next_attempt, next_attempt)
    if retry_at is not None:
        enqueue(deliver_outbox_task.using(run_after=retry_at))
    return f"outbox: {sent} sent, {failed} failed"


@task()
def deliver_outbox_task():
    """The background form of :func:`deliver_outbox`, queued by :func:`save_outbox` (idempotent)."""
    return deliver_outbox()
