"""Everything that changes a complaint: one function per move.

Each move opens a transaction, locks the row, checks the move against
``TRANSITIONS`` and the actor against the handling division and role, saves the
changed fields, writes one audit event and queues notifications in the outbox —
all in the same transaction. ``complaints_tick`` is the bulk path for overdue
work: one audit event per escalated item, set-based updates, constant queries.
"""

import datetime
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record, build_event, snapshot
from sunshine.identity import decrypt, encrypt
from villages.models import Division, Level, Membership, Role, VillageCadre
from villages.permissions import can, memberships_of
from villages.workdays import add_days

from . import notifications
from .models import (
    ALPHABET,
    LEVEL_ORDER,
    OPEN_STATES,
    TRANSITIONS,
    Channel,
    Complaint,
    ComplaintPhoto,
    CountyClock,
    Outbox,
    Outcome,
    Rating,
    Status,
    hash_secret,
    new_tracking_code,
    overdue_q,
    phone_key,
)

MAX_TEXT = 4000
LEVEL_ROLE = {
    Level.VILLAGE: Role.VILLAGE_CLERK,
    Level.TOWNSHIP: Role.TOWNSHIP_REVIEWER,
    Level.COUNTY: Role.COUNTY_INSPECTOR,
}
HANDLER_ROLES = {
    Level.VILLAGE: {Role.VILLAGE_CLERK},
    Level.TOWNSHIP: {Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_DISCIPLINE},
    Level.COUNTY: {Role.COUNTY_INSPECTOR},
}


# ---------------------------------------------------------------- clocks


def clock_for(county_id):
    return CountyClock.objects.filter(county_id=county_id).first() or CountyClock(county_id=county_id)


def _end_of(day):
    """A deadline date as the aware instant its day ends (local time)."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def stage_deadline(clock, stage, start):
    """When ``stage`` (acceptance, conclusion, review, extension) started at ``start`` is due."""
    day = timezone.localdate(start)
    if stage == "acceptance":
        return _end_of(add_days(day, clock.acceptance_days, clock.acceptance_unit))
    if stage == "conclusion":
        return _end_of(add_days(day, clock.conclusion_days, clock.conclusion_unit))
    if stage == "review":
        return _end_of(add_days(day, clock.review_days, clock.review_unit))
    raise ValueError(stage)


def stage_of(status, is_review):
    """The clock running for a complaint in ``status``: acceptance, review or conclusion."""
    if status == Status.SUBMITTED:
        return "acceptance"
    if is_review:
        return "review"
    return "conclusion"


def level_above(level, concerns_cadres):
    """``(level, role)`` one level above ``level``, or None at the county (escalation and review)."""
    index = LEVEL_ORDER.index(level)
    if index + 1 >= len(LEVEL_ORDER):
        return None
    level = LEVEL_ORDER[index + 1]
    role = Role.TOWNSHIP_DISCIPLINE if level == Level.TOWNSHIP and concerns_cadres else LEVEL_ROLE[level]
    return level, role


# ---------------------------------------------------------------- routing and who may act


def route(*, category, village, concerns_cadres=False, concerns_township_staff=False, disclosure=None):
    """``(division, role)`` that first handles a new complaint."""
    township = village.parent
    county = township.parent
    if concerns_township_staff:
        return county, Role.COUNTY_INSPECTOR
    if concerns_cadres:
        return township, Role.TOWNSHIP_DISCIPLINE
    if disclosure is not None or category.is_objection:
        return township, Role.TOWNSHIP_REVIEWER  # never the clerk who drafted the roster
    if category.owning_level == Level.COUNTY:
        return county, Role.COUNTY_INSPECTOR
    if category.owning_level == Level.TOWNSHIP:
        return township, Role.TOWNSHIP_REVIEWER
    return village, Role.VILLAGE_CLERK


def min_level(complaint):
    """The lowest level allowed to see or handle it (conflict-of-interest routing)."""
    if complaint.concerns_township_staff:
        return Level.COUNTY
    if complaint.concerns_cadres:
        return Level.TOWNSHIP
    return Level.VILLAGE


def can_handle(user, complaint):
    """The staff handling it: a membership with the handler role at the handling division."""
    if not can(user, "complaint.handle", complaint):
        return False
    if user.is_superuser:
        return True
    return any(
        m.division_id == complaint.division_id and m.role == complaint.handler_role for m in memberships_of(user)
    )


def _require_handler(actor, complaint):
    if not can_handle(actor, complaint):
        raise PermissionDenied(_("您不是这件留言的办理人。"))


def _lock(complaint):
    return Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)


def _move(complaint, move):
    """Check ``move`` against ``TRANSITIONS``; returns the target state."""
    sources, target = TRANSITIONS[move]
    if complaint.status not in sources:
        raise ValidationError(
            _("状态为“%(state)s”的留言不能改为“%(target)s”。")
            % {"state": Status(complaint.status).label, "target": Status(target).label}
        )
    return target


def _save(complaint, actor, action, before, fields, *, reason="", data=None):
    complaint.save(update_fields=[*fields, "updated_at"])
    after = snapshot(complaint, fields)
    changes = {k: [before.get(k), after.get(k)] for k in fields if before.get(k) != after.get(k)}
    audit_record(actor=actor, action=action, obj=complaint, changes=changes, reason=reason, data=data)
    return complaint


def _handlers(division_id, role):
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(is_active=True, memberships__division_id=division_id, memberships__role=role)
        .distinct()
    )


def _notify_handlers(complaint, subject, body):
    rows = [
        notifications.staff_message(user, subject=subject, body=body, complaint=complaint)
        for user in _handlers(complaint.division_id, complaint.handler_role)
    ]
    Outbox.objects.bulk_create(rows)


def _notify_filer(complaint, subject, body):
    message = notifications.filer_message(
        complaint,
        subject=subject,
        body=body,
        phone=decrypt(complaint.filer_phone_enc),
        email=decrypt(complaint.filer_email_enc),
    )
    if message is not None:
        message.save()


# ---------------------------------------------------------------- intake


def new_secret():
    return "".join(secrets.choice(ALPHABET) for _ in range(6))


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
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写留言内容。")})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": _("留言内容不能超过 4000 字。")})
    if village.level != Level.VILLAGE:
        raise ValidationError({"village": _("请选择村。")})
    if len(photos) > 3:
        raise ValidationError({"photos": _("最多上传 3 张照片。")})
    if entered_by is not None and not can(entered_by, "complaint.intake", village):
        raise PermissionDenied(_("您无权为该村代录留言。"))
    if named_cadre is None and not concerns_cadres:
        # Naming a listed cadre of this village counts as concerning cadres.
        for cadre in VillageCadre.objects.filter(division=village, is_active=True).only("pk", "name", "division_id"):
            if len(cadre.name) >= 2 and cadre.name in text:
                named_cadre = cadre
                break
    if named_cadre is not None:
        if named_cadre.division_id != village.pk:
            raise ValidationError({"named_cadre": _("所选村干部不属于该村。")})
        concerns_cadres = True
    if disclosure is not None and not (
        village.is_within(disclosure.division) or disclosure.division.is_within(village)
    ):
        raise ValidationError({"disclosure": _("该公开事项不属于所选村。")})
    person_key = ""
    if roster_entry is not None:
        if disclosure is None or roster_entry.revision.disclosure_id != disclosure.pk:
            raise ValidationError({"entry": _("名单条目与公开事项不符。")})
        person_key = roster_entry.person_key
    now = now or timezone.now()
    division, role = route(
        category=category,
        village=village,
        concerns_cadres=concerns_cadres,
        concerns_township_staff=concerns_township_staff,
        disclosure=disclosure,
    )
    township = village.parent
    county = township.parent
    clock = clock_for(county.pk)
    secret = new_secret()
    code = new_tracking_code()
    while Complaint.objects.filter(tracking_code=code).exists():
        code = new_tracking_code()
    complaint = Complaint(
        tracking_code=code,
        secret_hash=hash_secret(secret),
        category=category,
        village=village,
        township=township,
        county=county,
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
        anonymous=not (name or phone or email),
        filer_name_enc=encrypt(name.strip()) if name else "",
        filer_phone_enc=encrypt(phone.strip()) if phone else "",
        filer_email_enc=encrypt(email.strip()) if email else "",
        filer_phone_key=phone_key(phone),
        notify_filer=bool(notify and (phone or email)),
        channel=channel,
        entered_by=entered_by,
        lat=lat,
        long=long,
        submitted_at=now,
        due_at=stage_deadline(clock, "acceptance", now),
        first_contact_due_at=(now + datetime.timedelta(hours=clock.first_contact_hours))
        if clock.first_contact_hours
        else None,
    )
    complaint.save()
    for content, width, height in photos:
        ComplaintPhoto.objects.create(complaint=complaint, file=content, width=width, height=height, size=content.size)
    audit_record(
        actor=entered_by,
        action="complaint.submitted",
        obj=complaint,
        data={
            "category": category.service_code,
            "village": village.pk,
            "level": complaint.level,
            "handler_role": role,
            "channel": channel,
            "photos": len(photos),
            "anonymous": complaint.anonymous,
            "concerns_cadres": concerns_cadres,
            "concerns_township_staff": concerns_township_staff,
            "disclosure": disclosure.pk if disclosure else None,
        },
    )
    _notify_handlers(
        complaint,
        _("新留言 %(code)s") % {"code": complaint.tracking_code},
        _("%(village)s 的新留言（%(category)s），请于 %(due)s 前决定是否受理。")
        % {"village": village.name, "category": category.name, "due": timezone.localdate(complaint.due_at)},
    )
    return complaint, secret


# ---------------------------------------------------------------- state moves


@transaction.atomic
def complaint_accept(*, complaint, actor, note="", now=None):
    complaint = _lock_for_handler(complaint, actor)
    _move(complaint, "accept")
    now = now or timezone.now()
    before = snapshot(complaint, ["status", "due_at"])
    complaint.accepted_on_time = complaint.due_at is None or now <= complaint.due_at
    complaint.status = Status.ACCEPTED
    complaint.accepted_at = now
    complaint.due_at = stage_deadline(clock_for(complaint.county_id), "conclusion", now)
    if complaint.first_contact_at is None:
        complaint.first_contact_at = now
    return _save(
        complaint,
        actor,
        "complaint.accepted",
        before,
        ["status", "accepted_at", "accepted_on_time", "due_at", "first_contact_at"],
        reason=note,
    )


def _required_reason(reason, message):
    """The stripped reason, or a ValidationError on the reason field with ``message``."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    return reason


def _lock_for_handler(complaint, actor):
    """Lock the row and check that ``actor`` handles it (the first steps of every staff move)."""
    complaint = _lock(complaint)
    _require_handler(actor, complaint)
    return complaint


@transaction.atomic
def complaint_reject(*, complaint, actor, reason, now=None):
    reason = _required_reason(reason, _("不予受理必须写明理由。"))
    complaint = _lock_for_handler(complaint, actor)
    _move(complaint, "reject")
    now = now or timezone.now()
    before = snapshot(complaint, ["status", "due_at"])
    complaint.accepted_on_time = complaint.due_at is None or now <= complaint.due_at
    complaint.status = Status.REJECTED
    complaint.rejected_at = now
    complaint.reject_reason = reason
    complaint.due_at = None
    _save(
        complaint,
        actor,
        "complaint.rejected",
        before,
        ["status", "rejected_at", "reject_reason", "due_at", "accepted_on_time"],
        reason=reason,
    )
    _notify_filer(complaint, _("留言 %(code)s 不予受理") % {"code": complaint.tracking_code}, reason)
    return complaint


@transaction.atomic
def complaint_start(*, complaint, actor, now=None):
    complaint = _lock_for_handler(complaint, actor)
    _move(complaint, "start")
    before = snapshot(complaint, ["status"])
    complaint.status = Status.IN_PROGRESS
    complaint.started_at = now or timezone.now()
    return _save(complaint, actor, "complaint.started", before, ["status", "started_at"])


@transaction.atomic
def complaint_reply(*, complaint, actor, reply, outcome, now=None):
    reply = (reply or "").strip()
    errors = {}
    if not reply:
        errors["reply"] = _("请填写公开答复。")
    if outcome not in Outcome.values:
        errors["outcome"] = _("请选择办理结果。")
    if errors:
        raise ValidationError(errors)
    complaint = _lock_for_handler(complaint, actor)
    _move(complaint, "reply")
    now = now or timezone.now()
    before = snapshot(complaint, ["status", "outcome", "due_at"])
    complaint.concluded_on_time = complaint.due_at is None or now <= complaint.due_at
    complaint.status = Status.REPLIED
    complaint.reply = reply
    complaint.outcome = outcome
    complaint.replied_at = now
    complaint.due_at = None
    complaint.rating = ""  # a new reply is rated afresh
    _save(
        complaint,
        actor,
        "complaint.replied",
        before,
        ["status", "reply", "outcome", "replied_at", "due_at", "concluded_on_time", "rating"],
        data={"reply_chars": len(reply)},
    )
    _notify_filer(
        complaint,
        _("留言 %(code)s 已答复") % {"code": complaint.tracking_code},
        _("请用查询码和密码查看答复并评价。"),
    )
    return complaint


@transaction.atomic
def complaint_close(*, complaint, actor, now=None):
    complaint = _lock_for_handler(complaint, actor)
    _move(complaint, "close")
    if not complaint.reply.strip() or complaint.outcome not in Outcome.values:
        raise ValidationError(_("没有公开答复和办理结果，不能办结。"))
    before = snapshot(complaint, ["status"])
    complaint.status = Status.CLOSED
    complaint.closed_at = now or timezone.now()
    return _save(complaint, actor, "complaint.closed", before, ["status", "closed_at"])


def _up(complaint):
    """``(division, level, role)`` one level up, or None at the county."""
    above = level_above(complaint.level, complaint.concerns_cadres)
    if above is None:
        return None
    return Division.objects.get(pk=complaint.division.parent_id), *above


@transaction.atomic
def complaint_rate(*, complaint, rating, comment="", now=None):
    """The filer's rating, after the reply. 不满意 reopens it for review one level up (once per level)."""
    if rating not in Rating.values:
        raise ValidationError({"rating": _("请选择评价。")})
    complaint = _lock(complaint)
    if complaint.status not in (Status.REPLIED, Status.CLOSED):
        raise ValidationError(_("答复之后才能评价。"))
    if complaint.rating:
        raise ValidationError(_("这次答复已经评价过了。"))
    now = now or timezone.now()
    before = snapshot(complaint, ["rating", "status", "division", "level", "handler_role"])
    complaint.rating = rating
    complaint.rating_comment = (comment or "").strip()[:500]
    complaint.rated_at = now
    fields = ["rating", "rating_comment", "rated_at"]
    up = _up(complaint) if rating == Rating.UNSATISFIED else None
    if up is not None:
        _move(complaint, "reopen")
        division, level, role = up
        complaint.status = Status.IN_PROGRESS
        complaint.division, complaint.level, complaint.handler_role = division, level, role
        complaint.is_review = True
        complaint.due_at = stage_deadline(clock_for(complaint.county_id), "review", now)
        complaint.closed_at = None
        fields += ["status", "division", "level", "handler_role", "is_review", "due_at", "closed_at"]
    _save(complaint, None, "complaint.rated", before, fields, data={"reopened": up is not None})
    if up is not None:
        _notify_handlers(
            complaint,
            _("复查 %(code)s") % {"code": complaint.tracking_code},
            _("留言人对答复不满意，请复查并于 %(due)s 前答复。") % {"due": timezone.localdate(complaint.due_at)},
        )
    return complaint


# ---------------------------------------------------------------- moves that keep the state


@transaction.atomic
def complaint_escalate(*, complaint, actor, reason):
    reason = _required_reason(reason, _("上报必须写明理由。"))
    complaint = _lock_for_handler(complaint, actor)
    if complaint.status not in OPEN_STATES:
        raise ValidationError(_("只有未办结的留言可以上报。"))
    up = _up(complaint)
    if up is None:
        raise ValidationError(_("已在县级办理，不能再上报。"))
    before = snapshot(complaint, ["division", "level", "handler_role", "due_at"])
    complaint.division, complaint.level, complaint.handler_role = up
    complaint.escalation_count += 1
    complaint.due_at = stage_deadline(
        clock_for(complaint.county_id), stage_of(complaint.status, complaint.is_review), timezone.now()
    )
    _save(
        complaint,
        actor,
        "complaint.escalated",
        before,
        ["division", "level", "handler_role", "due_at", "escalation_count"],
        reason=reason,
    )
    _notify_handlers(complaint, _("上报留言 %(code)s") % {"code": complaint.tracking_code}, reason)
    return complaint


def transfer_targets(complaint):
    """Divisions (in the complaint's county) it may go to, respecting conflict-of-interest routing."""
    allowed_levels = LEVEL_ORDER[LEVEL_ORDER.index(min_level(complaint)) :]
    county = Division.objects.get(pk=complaint.county_id)
    return Division.objects.filter(path__startswith=county.path, level__in=allowed_levels)


@transaction.atomic
def complaint_transfer(*, complaint, actor, division, reason, role=None):
    """Hand it to another division (or another role at the same one), with a reason."""
    reason = _required_reason(reason, _("转办必须写明理由。"))
    complaint = _lock_for_handler(complaint, actor)
    if complaint.status not in OPEN_STATES:
        raise ValidationError(_("只有未办结的留言可以转办。"))
    if not transfer_targets(complaint).filter(pk=division.pk).exists():
        raise ValidationError(
            {"division": _("不能转给该单位（涉及村干部的留言不能转给村，涉及乡镇干部的不能转给乡镇）。")}
        )
    role = role or LEVEL_ROLE[division.level]
    if role not in HANDLER_ROLES[division.level]:
        raise ValidationError({"role": _("该岗位不在这一级办理留言。")})
    if division.pk == complaint.division_id and role == complaint.handler_role:
        raise ValidationError({"division": _("已在该单位办理。")})
    before = snapshot(complaint, ["division", "level", "handler_role"])
    complaint.division, complaint.level, complaint.handler_role = division, division.level, role
    _save(complaint, actor, "complaint.transferred", before, ["division", "level", "handler_role"], reason=reason)
    _notify_handlers(complaint, _("转办留言 %(code)s") % {"code": complaint.tracking_code}, reason)
    return complaint


@transaction.atomic
def complaint_extend(*, complaint, actor, reason):
    """Extend the conclusion deadline once (default 30 days), with a reason."""
    reason = _required_reason(reason, _("延期必须写明理由。"))
    complaint = _lock_for_handler(complaint, actor)
    if complaint.status not in (Status.ACCEPTED, Status.IN_PROGRESS) or complaint.due_at is None:
        raise ValidationError(_("只有受理后、答复前的留言可以延期。"))
    if complaint.extended:
        raise ValidationError(_("办理期限只能延长一次。"))
    clock = clock_for(complaint.county_id)
    before = snapshot(complaint, ["due_at", "extended"])
    last_day = timezone.localdate(complaint.due_at) - datetime.timedelta(days=1)
    complaint.due_at = _end_of(add_days(last_day, clock.extension_days, clock.conclusion_unit))
    complaint.extended = True
    complaint.extension_reason = reason
    return _save(
        complaint, actor, "complaint.extended", before, ["due_at", "extended", "extension_reason"], reason=reason
    )


@transaction.atomic
def complaint_record_contact(*, complaint, actor, note=""):
    complaint = _lock_for_handler(complaint, actor)
    if complaint.first_contact_at is not None:
        raise ValidationError(_("已记录过首次联系。"))
    before = snapshot(complaint, ["first_contact_at"])
    complaint.first_contact_at = timezone.now()
    return _save(complaint, actor, "complaint.contacted", before, ["first_contact_at"], reason=note)


@transaction.atomic
def complaint_set_public(*, complaint, actor, summary, description_public):
    """Staff write the public summary and decide whether the text itself may be published (Open311 GET)."""
    complaint = _lock(complaint)
    if not (can_handle(actor, complaint) or can(actor, "complaint.reveal_identity", complaint)):
        raise PermissionDenied(_("您不是这件留言的办理人。"))
    before = snapshot(complaint, ["summary", "description_public"])
    complaint.summary = (summary or "").strip()[:200]
    complaint.description_public = bool(description_public)
    return _save(complaint, actor, "complaint.publicity_set", before, ["summary", "description_public"])


def complaint_identity(*, complaint, actor):
    """The filer's identity for the staff handling it; anyone else gets PermissionDenied."""
    if not can_handle(actor, complaint):
        raise PermissionDenied(_("只有办理人可以看到留言人身份。"))
    return _identity(complaint)


def _identity(complaint):
    return {
        "name": decrypt(complaint.filer_name_enc),
        "phone": decrypt(complaint.filer_phone_enc),
        "email": decrypt(complaint.filer_email_enc),
    }


@transaction.atomic
def complaint_reveal_identity(*, complaint, actor, reason):
    """County inspectors see the identity only through this logged reveal, with a reason."""
    reason = _required_reason(reason, _("查看留言人身份必须写明理由。"))
    if not can(actor, "complaint.reveal_identity", complaint):
        raise PermissionDenied(_("您无权查看留言人身份。"))
    audit_record(actor=actor, action="complaint.identity_revealed", obj=complaint, reason=reason)
    return _identity(complaint)


# ---------------------------------------------------------------- the tick (bulk path)


def _tick_lock():
    """Serialize ticks on PostgreSQL (SQLite's IMMEDIATE transactions already serialize writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0xC0A1])


def _bulk_escalate(updates):
    """``updates``: [(id, division_id, level, role, due_at)]. One statement on PostgreSQL."""
    if not updates:
        return
    table = Complaint._meta.db_table
    if connection.vendor == "postgresql":
        ids, divisions, levels, roles, dues = (list(col) for col in zip(*updates))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {table} AS c SET division_id = v.division_id, level = v.level, handler_role = v.role,
                    due_at = v.due_at, escalation_count = c.escalation_count + 1, updated_at = %s
                    FROM (SELECT UNNEST(%s::bigint[]) AS id, UNNEST(%s::bigint[]) AS division_id,
                          UNNEST(%s::text[]) AS level, UNNEST(%s::text[]) AS role,
                          UNNEST(%s::timestamptz[]) AS due_at) AS v
                    WHERE c.id = v.id""",
                [timezone.now(), ids, divisions, levels, roles, dues],
            )
        return
    groups = {}
    for pk, division_id, level, role, due in updates:
        groups.setdefault((division_id, level, role, due), []).append(pk)
    for (division_id, level, role, due), pks in groups.items():
        for start in range(0, len(pks), 500):
            Complaint.objects.filter(pk__in=pks[start : start + 500]).update(
                division_id=division_id,
                level=level,
                handler_role=role,
                due_at=due,
                escalation_count=F("escalation_count") + 1,
                updated_at=timezone.now(),
            )


def _county_deadlines(now):
    """``{county_id: {stage: due_at}}`` for every county: a few queries per county, none per item."""
    clocks = {c.county_id: c for c in CountyClock.objects.all()}
    result = {}
    for county_id in Division.objects.filter(level=Level.COUNTY).values_list("pk", flat=True):
        clock = clocks.get(county_id) or CountyClock(county_id=county_id)
        result[county_id] = {
            stage: stage_deadline(clock, stage, now) for stage in ("acceptance", "conclusion", "review")
        }
    return result


def _escalate_overdue_python(now, deadlines):
    """Portable bulk path: one ``build_event`` per item, ``audit_record_many``, grouped updates."""
    from sunshine.audit.services import audit_record_many

    locking = {"skip_locked": True, "of": ("self",)} if connection.vendor == "postgresql" else {}
    rows = list(
        Complaint.objects.filter(overdue_q(now))
        .exclude(level=Level.COUNTY)
        .select_for_update(**locking)
        .values_list(
            "pk",
            "tracking_code",
            "division_id",
            "division__parent_id",
            "level",
            "handler_role",
            "status",
            "is_review",
            "concerns_cadres",
            "county_id",
        )
    )
    content_type = ContentType.objects.get_for_model(Complaint)
    reason = _("逾期未办，自动上报上一级")
    updates, events, notices = [], [], {}
    for pk, code, division_id, parent_id, level, role, status, is_review, cadres, county_id in rows:
        if county_id not in deadlines:
            continue
        new_level, new_role = level_above(level, cadres)  # never None: county items are excluded above
        stage = stage_of(status, is_review)
        updates.append((pk, parent_id, new_level, new_role, deadlines[county_id][stage]))
        event = build_event(
            actor=None,
            action="complaint.escalated",
            object_repr=code,
            changes={
                "division": [division_id, parent_id],
                "level": [level, new_level],
                "handler_role": [role, new_role],
            },
            reason=reason,
            data={"stage": stage, "automatic": True},
        )
        event.content_type_id, event.object_id, event.division_id = content_type.pk, str(pk), parent_id
        events.append(event)
        notices[(parent_id, new_role)] = notices.get((parent_id, new_role), 0) + 1
    _bulk_escalate(updates)
    audit_record_many(events)
    return len(updates), notices


ESCALATE_SQL = """
WITH dl (county_id, acceptance, conclusion, review) AS (VALUES {values}),
due AS (
    SELECT c.id, c.division_id AS old_division, c.level AS old_level, c.handler_role AS old_role
    FROM complaints_complaint c
    WHERE c.status IN ('submitted', 'accepted', 'in_progress') AND c.due_at < %s AND c.level <> 'county'
    FOR UPDATE OF c SKIP LOCKED
),
moved AS (
    UPDATE complaints_complaint c SET
        division_id = d.parent_id,
        level = CASE c.level WHEN 'village' THEN 'township' ELSE 'county' END,
        handler_role = CASE
            WHEN c.level = 'village' AND c.concerns_cadres THEN 'township_discipline'
            WHEN c.level = 'village' THEN 'township_reviewer'
            ELSE 'county_inspector' END,
        due_at = CASE WHEN c.status = 'submitted' THEN dl.acceptance WHEN c.is_review THEN dl.review
            ELSE dl.conclusion END,
        escalation_count = c.escalation_count + 1,
        updated_at = %s
    FROM due JOIN villages_division d ON d.id = due.old_division, dl
    WHERE c.id = due.id AND dl.county_id = c.county_id AND d.parent_id IS NOT NULL
    RETURNING c.id, c.tracking_code, due.old_division, c.division_id, due.old_level, c.level, due.old_role,
        c.handler_role,
        CASE WHEN c.status = 'submitted' THEN 'acceptance' WHEN c.is_review THEN 'review' ELSE 'conclusion' END
        AS stage
)
SELECT * FROM moved ORDER BY id
"""


def _escalate_overdue_sql(now, deadlines):
    """PostgreSQL: lock and move every due item in one statement, then write one signed event per item.

    The same rule and the same event shape as the portable path (tests run both). The events are
    signed in Python (the database must not hold the audit key) from the rows the statement
    returns, and sent with COPY: no model instances, which the portable path's ~0.1 ms per item
    for ``build_event`` could not afford at 100,000 due items (see docs/decisions-complaints.md).
    """
    from sunshine.audit.services import audit_record_rows

    if not deadlines:
        return 0, {}
    values = ", ".join(["(%s::bigint, %s::timestamptz, %s::timestamptz, %s::timestamptz)"] * len(deadlines))
    params = []
    for county_id, stages in deadlines.items():
        params += [county_id, stages["acceptance"], stages["conclusion"], stages["review"]]
    params += [now, timezone.now()]
    with connection.cursor() as cursor:
        # Enough memory to sort 100k returned rows without spilling to disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(ESCALATE_SQL.format(values=values), params)
        moved = cursor.fetchall()
    content_type_id = ContentType.objects.get_for_model(Complaint).pk
    created_at, reason = timezone.now(), _("逾期未办，自动上报上一级")
    notices, rows = {}, []
    for pk, code, old_division, division_id, old_level, level, old_role, role, stage in moved:
        notices[(division_id, role)] = notices.get((division_id, role), 0) + 1
        rows.append(
            {
                "created_at": created_at,
                "actor_id": None,
                "actor_label": "system",
                "action": "complaint.escalated",
                "content_type_id": content_type_id,
                "object_id": str(pk),
                "object_repr": code[:200],
                "division_id": division_id,
                "changes": {
                    "division": [old_division, division_id],
                    "level": [old_level, level],
                    "handler_role": [old_role, role],
                },
                "reason": reason,
                "ip": None,
                "data": {"stage": stage, "automatic": True},
            }
        )
    audit_record_rows(rows)
    return len(rows), notices


def complaints_tick(*, now=None):
    """Escalate overdue open complaints one level; alert on overdue county items and missed first contact.

    Idempotent (an escalated item gets a new deadline in the future) and safe to run twice at
    once (an advisory lock serializes ticks; rows a user is editing are skipped and picked up next time).
    """
    now = now or timezone.now()
    with transaction.atomic():
        _tick_lock()
        due = Complaint.objects.filter(overdue_q(now))
        deadlines = _county_deadlines(now)
        if connection.vendor == "postgresql" and not getattr(settings, "COMPLAINTS_TICK_PYTHON", False):
            escalated, notices = _escalate_overdue_sql(now, deadlines)
        else:
            escalated, notices = _escalate_overdue_python(now, deadlines)

        # Overdue at the county: nowhere higher to go; alert the county once per deadline.
        county_overdue = due.filter(level=Level.COUNTY).exclude(overdue_alerted_at__gte=F("due_at"))
        county_count = _add_groups(notices, county_overdue)
        if county_count:
            county_overdue.update(overdue_alerted_at=now)

        # Missed first-contact targets (a county's service target): alert the handlers once.
        missed = Complaint.objects.filter(
            status__in=OPEN_STATES,
            first_contact_at__isnull=True,
            first_contact_alerted=False,
            first_contact_due_at__lt=now,
        )
        missed_count = _add_groups(notices, missed)
        if missed_count:
            missed.update(first_contact_alerted=True)

        _queue_overdue_notices(notices)
    return f"complaints: {escalated} escalated, {county_count} overdue at county, {missed_count} first-contact alerts"


def _add_groups(notices, queryset):
    """Count ``queryset`` per (division, role) into ``notices``: one grouped query. Returns the total."""
    from django.db.models import Count

    total = 0
    for division_id, role, count in (
        queryset.order_by().values_list("division_id", "handler_role").annotate(n=Count("id"))
    ):
        notices[(division_id, role)] = notices.get((division_id, role), 0) + count
        total += count
    return total


def _queue_overdue_notices(notices):
    """One digest per (division, role) — bounded by the number of divisions, not of items."""
    if not notices:
        return
    condition = Q()
    for division_id, role in notices:
        condition |= Q(division_id=division_id, role=role)
    memberships = Membership.objects.filter(condition, user__is_active=True).select_related("user")
    rows = []
    for membership in memberships:
        count = notices[(membership.division_id, membership.role)]
        rows.append(
            notifications.staff_message(
                membership.user,
                subject=_("逾期留言提醒"),
                body=_("您的待办中有 %(n)d 件留言已逾期或刚由下级逾期上报，请尽快处理。") % {"n": count},
            )
        )
    Outbox.objects.bulk_create(rows)
