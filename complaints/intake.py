"""Filing a complaint: check what was sent, route it, start its clock, audit and notify the handlers."""

import datetime
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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
from .notifications import queue_for_handlers
from .photos import MAX_PHOTOS
from .routing import route

MAX_TEXT = 4000


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
):
    """File a complaint. Returns ``(complaint, secret)``; the secret is shown once, only its hash is kept.

    ``photos``: cleaned ``(ContentFile, width, height)`` from ``complaints.photos.clean_photo``.
    ``entered_by``: staff entering a complaint received by phone or in person.
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
    for content, width, height in photos:
        ComplaintPhoto.objects.create(complaint=complaint, file=content, width=width, height=height, size=content.size)
    _record_submission(complaint, entered_by=entered_by, photos=photos)
    return complaint, secret
