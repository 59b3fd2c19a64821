"""Notifications through an outbox.

Services write ``Outbox`` rows inside their own transaction (so a notice exists
exactly when the change committed); ``deliver_outbox`` — run by ``manage.py tick``
— sends them: console by default, e-mail through Django, SMS through a small
backend interface chosen by ``settings.COMPLAINTS_SMS_BACKEND``.
"""

import logging
import sys

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from sunshine.identity import decrypt, encrypt, mask_phone

from .models import Outbox, OutboxChannel

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


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
    Outbox.objects.bulk_create(
        [staff_message(user, subject=subject, body=body, complaint=complaint) for user in handlers]
    )


def queue_for_filer(complaint, *, subject, body):
    """Queue a notice to the filer when they asked for one (their contact is decrypted only here)."""
    message = filer_message(
        complaint,
        subject=subject,
        body=body,
        phone=decrypt(complaint.filer_phone_enc),
        email=decrypt(complaint.filer_email_enc),
    )
    if message is not None:
        message.save()


def queue_secret_sms(complaint, secret):
    """Queue the filer's new tracking secret by SMS to the phone they gave (whether or not they asked for notices:
    they asked for this one). The row holds the secret until it is sent, like any SMS gateway's log."""
    phone = decrypt(complaint.filer_phone_enc)
    Outbox.objects.create(
        channel=OutboxChannel.SMS,
        recipient=complaint.filer_phone_enc,
        recipient_label=mask_phone(phone),
        subject=f"【{settings.SITE_NAME}】",
        body=f"您的留言 {complaint.tracking_code} 的新查询密码是 {secret}，原密码已失效。如非本人操作，请忽略。",
        complaint=complaint,
    )


def _send(message):
    if message.channel == OutboxChannel.EMAIL:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [decrypt(message.recipient)])
    elif message.channel == OutboxChannel.SMS:
        sms_backend().send(decrypt(message.recipient), f"{message.subject} {message.body}")
    else:
        log.warning("notice for %s: %s — %s", message.recipient_label, message.subject, message.body)


def deliver_outbox(*, limit=500):
    """Send pending notices. Safe to run twice at once: rows are claimed with SKIP LOCKED."""
    sent = failed = 0
    with transaction.atomic():
        pending = Outbox.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).order_by("id")
        if connection.vendor == "postgresql":
            pending = pending.select_for_update(skip_locked=True)
        for message in list(pending[:limit]):
            message.attempts += 1
            try:
                _send(message)
            except Exception as exc:  # a broken channel must not stop the others
                message.last_error = str(exc)[:500]
                message.save(update_fields=["attempts", "last_error"])
                failed += 1
                continue
            message.sent_at = timezone.now()
            message.last_error = ""
            message.save(update_fields=["attempts", "sent_at", "last_error"])
            sent += 1
    return f"outbox: {sent} sent, {failed} failed"
