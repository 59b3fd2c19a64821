"""Filing a complaint: check what was sent, route it, start its clock, audit and notify the handlers."""

import base64
import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record
from sunshine.identity import encrypt
from villages.models import Level, VillageCadre
from villages.permissions import can

from .deadlines import clock_for, stage_deadline
from .models import (
    ALPHABET,
    Channel,
    Complaint,
    ComplaintPhoto,
    Status,
    hash_secret,
    new_tracking_code,
    phone_key,
)
from .notifications import queue_for_handlers, queue_secret_sms
from .photos import MAX_PHOTOS
from .routing import route

MAX_TEXT = 4000
INTAKE_TOKEN_SALT = "complaints.intake-token"
INTAKE_TOKEN_MAX_AGE = 7 * 24 * 3600  # a form left open longer files without the replay guard
# How long a resubmission of the filer's own form (or a reopened done page) still shows the tracking secret.
SECRET_REPLAY_HOURS = 24


def new_secret():
    return "".join(secrets.choice(ALPHABET) for _ in range(6))


def _clean_text(text):
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写留言内容。")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": _("留言内容不能超过 4000 字。")})
    return text


def _check_request(village, photos, entered_by):
    if village.level != Level.VILLAGE:
        raise ValidationError({"village": _("请选择村。")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("最多上传 3 张照片。")})
    if entered_by is not None and not can(entered_by, "complaint.intake", village):
        raise PermissionDenied(_("您无权为该村代录留言。"))


def _cadre_named_in(village, text):
    """An active listed cadre of ``village`` named in ``text`` (naming one counts as concerning cadres)."""
    for cadre in VillageCadre.objects.filter(division=village, is_active=True).only("pk", "name", "division_id"):
        if len(cadre.name) >= 2 and cadre.name in text:
            return cadre
    return None


def _check_links(village, disclosure, roster_entry, named_cadre):
    """The objection's disclosure and entry and the named cadre must belong to ``village``; returns the person key."""
    if named_cadre is not None and named_cadre.division_id != village.pk:
        raise ValidationError({"named_cadre": _("所选村干部不属于该村。")})
    if disclosure is not None and not (
        village.is_within(disclosure.division) or disclosure.division.is_within(village)
    ):
        raise ValidationError({"disclosure": _("该公开事项不属于所选村。")})
    if roster_entry is None:
        return ""
    if disclosure is None or roster_entry.revision.disclosure_id != disclosure.pk:
        raise ValidationError({"entry": _("名单条目与公开事项不符。")})
    return roster_entry.person_key


# ---------------------------------------------------------------- the form's one-time token


def intake_token_new():
    """A random token for one intake form, signed so that only tokens this site issued are accepted."""
    return signing.TimestampSigner(salt=INTAKE_TOKEN_SALT).sign(secrets.token_urlsafe(24))


def intake_token_check(signed):
    """The raw token inside ``signed``, or None when it is missing, forged or older than a week."""
    if not signed:
        return None
    try:
        return signing.TimestampSigner(salt=INTAKE_TOKEN_SALT).unsign(signed, max_age=INTAKE_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None


def intake_fingerprint(*, category, village, text):
    """What makes two submissions the same complaint: the village, the category and the text."""
    return hashlib.sha256(f"{village.pk}|{category.pk}|{(text or '').strip()}".encode()).hexdigest()


def _token_hash(token, fingerprint):
    """The stored key: the form's token with what was sent in it, so a form sent again unchanged finds its
    complaint, and one edited after Back (same token, other text) files the new text instead of losing it."""
    return hashlib.sha256(f"{token}|{fingerprint}".encode()).hexdigest()


def _secret_box(token):
    """A Fernet key only the holder of the raw token (the filer's form page) and this server can make."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"intake-secret:{token}".encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


@dataclass(frozen=True)
class Submission:
    complaint: Complaint
    secret: str | None  # None when it can no longer be shown (re-issued, or the replay came too late)
    replayed: bool


def intake_replay(token, fingerprint, *, now=None):
    """The complaint already filed with this form's token and content, with its secret while it may be shown."""
    key = _token_hash(token, fingerprint)
    complaint = Complaint.objects.exclude(intake_token_hash="").filter(intake_token_hash=key).first()
    if complaint is None:
        return None
    secret = None
    fresh = (now or timezone.now()) - complaint.submitted_at < datetime.timedelta(hours=SECRET_REPLAY_HOURS)
    if complaint.intake_secret_box and fresh:
        try:
            secret = _secret_box(token).decrypt(complaint.intake_secret_box.encode()).decode()
        except InvalidToken:
            secret = None
    return Submission(complaint, secret, replayed=True)


def forget_intake_secrets(*, now=None):
    """Clear the encrypted secrets kept for resubmissions once they can no longer be shown (tick step).

    Only the filer's form can open them, and only for SECRET_REPLAY_HOURS; after that they are dead weight, and
    data kept is data that can leak. The token's hash stays, so a late resubmission still files nothing twice.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=SECRET_REPLAY_HOURS)
    cleared = (
        Complaint.objects.filter(submitted_at__lt=cutoff).exclude(intake_secret_box="").update(intake_secret_box="")
    )
    return f"intake secrets: {cleared} forgotten"


def complaint_submit_once(*, intake_token, **fields):
    """File a complaint from the public form, once per form: a resubmission (a retry after a timeout, a double
    tap, back and submit again) returns the complaint already stored. Two racing submissions of one form meet
    at the unique key (token and content): the second insert fails and returns the first one's complaint.

    ``intake_token`` None (a page from before the token, a script): filed without the guard.
    Photo files written before a failure (the database went away mid-way) are deleted again.
    """
    fingerprint = intake_fingerprint(category=fields["category"], village=fields["village"], text=fields["text"])
    if intake_token is not None and (earlier := intake_replay(intake_token, fingerprint)) is not None:
        return earlier
    stored_files = []
    try:
        complaint, secret = complaint_submit(**fields, intake_token=intake_token, stored_files=stored_files)
    except IntegrityError:
        _delete_files(stored_files)
        earlier = intake_replay(intake_token, fingerprint) if intake_token is not None else None
        if earlier is None:
            raise
        return earlier
    except BaseException:
        _delete_files(stored_files)
        raise
    return Submission(complaint, secret, replayed=False)


def _delete_files(names):
    from sunshine.storage import private_storage

    for name in names:
        private_storage().delete(name)


def complaint_reissue_secret(*, tracking_code, phone):
    """A new tracking secret sent by SMS to the phone the filer gave; the old one stops working at once.

    Returns nothing either way: the caller answers the same whether or not the phone matched (no oracle).
    """
    key = phone_key(phone)
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update(of=("self",)).filter(tracking_code=tracking_code).first()
        if complaint is None or not key or not hmac.compare_digest(complaint.filer_phone_key or "-", key):
            return
        secret = new_secret()
        complaint.secret_hash = hash_secret(secret)
        complaint.intake_secret_box = ""  # a replay must not show the dead secret
        complaint.save(update_fields=["secret_hash", "intake_secret_box", "updated_at"])
        audit_record(actor=None, action="complaint.secret_reissued", obj=complaint, data={"channel": "sms"})
        queue_secret_sms(complaint, secret)


# ---------------------------------------------------------------- filing


def _unused_tracking_code():
    code = new_tracking_code()
    while Complaint.objects.filter(tracking_code=code).exists():
        code = new_tracking_code()
    return code


def _filer_fields(name, phone, email, notify):
    """The filer's identity as stored: encrypted, plus a keyed hash of the phone for rate limits."""
    return {
        "anonymous": not (name or phone or email),
        "filer_name_enc": encrypt(name.strip()) if name else "",
        "filer_phone_enc": encrypt(phone.strip()) if phone else "",
        "filer_email_enc": encrypt(email.strip()) if email else "",
        "filer_phone_key": phone_key(phone),
        "notify_filer": bool(notify and (phone or email)),
    }


def _clock_fields(county, now):
    clock = clock_for(county.pk)
    first_contact = now + datetime.timedelta(hours=clock.first_contact_hours) if clock.first_contact_hours else None
    return {
        "submitted_at": now,
        "due_at": stage_deadline(clock, "acceptance", now),
        "first_contact_due_at": first_contact,
    }


def _replay_fields(intake_token, secret, *, category, village, text):
    """The public form's key (token and content) and its secret sealed with the token; nothing without a token."""
    if not intake_token:
        return {}
    return {
        "intake_token_hash": _token_hash(
            intake_token, intake_fingerprint(category=category, village=village, text=text)
        ),
        "intake_secret_box": _secret_box(intake_token).encrypt(secret.encode()).decode(),
    }


def _store_photos(complaint, photos, stored_files):
    for content, width, height in photos:
        photo = ComplaintPhoto(complaint=complaint, width=width, height=height, size=content.size)
        photo.file.save(content.name, content, save=False)  # the file first, so its name is known if the insert fails
        stored_files.append(photo.file.name)
        photo.save()


def _record_submission(complaint, *, entered_by, photos):
    audit_record(
        actor=entered_by,
        action="complaint.submitted",
        obj=complaint,
        data={
            "category": complaint.category.service_code,
            "village": complaint.village_id,
            "level": complaint.level,
            "handler_role": complaint.handler_role,
            "channel": complaint.channel,
            "photos": len(photos),
            "anonymous": complaint.anonymous,
            "concerns_cadres": complaint.concerns_cadres,
            "concerns_township_staff": complaint.concerns_township_staff,
            "disclosure": complaint.disclosure_id,
        },
    )
    queue_for_handlers(
        complaint,
        subject=_("新留言 %(code)s") % {"code": complaint.tracking_code},
        body=_("%(village)s 的新留言（%(category)s），请于 %(due)s 前决定是否受理。")
        % {
            "village": complaint.village.name,
            "category": complaint.category.name,
            "due": timezone.localdate(complaint.due_at),
        },
    )


@transaction.atomic
def complaint_submit(
    *,
    category,
    village,
    text,
    photos=(),
    name="",
    phone="",
    email="",
    notify=False,
    concerns_cadres=False,
    concerns_township_staff=False,
    named_cadre=None,
    disclosure=None,
    roster_entry=None,
    channel=Channel.WEB,
    entered_by=None,
    lat=None,
    long=None,
    now=None,
    intake_token=None,
    stored_files=None,
):
    """File a complaint. Returns ``(complaint, secret)``; the secret is shown once, only its hash is kept.

    ``photos``: cleaned ``(ContentFile, width, height)`` from ``complaints.photos.clean_photo``.
    ``entered_by``: staff entering a complaint received by phone or in person.
    ``intake_token``: the public form's raw one-time token (``complaint_submit_once``); ``stored_files`` collects
    the names of the photo files written, so a caller can delete them when the transaction fails.
    """
    text = _clean_text(text)
    _check_request(village, photos, entered_by)
    if named_cadre is None and not concerns_cadres:
        named_cadre = _cadre_named_in(village, text)
    person_key = _check_links(village, disclosure, roster_entry, named_cadre)
    concerns_cadres = concerns_cadres or named_cadre is not None
    division, role = route(
        category=category,
        village=village,
        concerns_cadres=concerns_cadres,
        concerns_township_staff=concerns_township_staff,
        disclosure=disclosure,
    )
    secret = new_secret()
    complaint = Complaint.objects.create(
        tracking_code=_unused_tracking_code(),
        secret_hash=hash_secret(secret),
        **_replay_fields(intake_token, secret, category=category, village=village, text=text),
        category=category,
        village=village,
        township=village.parent,
        county=village.parent.parent,
        division=division,
        level=division.level,
        handler_role=role,
        status=Status.SUBMITTED,
        text=text,
        concerns_cadres=concerns_cadres,
        concerns_township_staff=concerns_township_staff,
        named_cadre=named_cadre,
        disclosure=disclosure,
        roster_entry=roster_entry,
        person_key=person_key,
        channel=channel,
        entered_by=entered_by,
        lat=lat,
        long=long,
        **_filer_fields(name, phone, email, notify),
        **_clock_fields(village.parent.parent, now or timezone.now()),
    )
    _store_photos(complaint, photos, stored_files if stored_files is not None else [])
    _record_submission(complaint, entered_by=entered_by, photos=photos)
    return complaint, secret
