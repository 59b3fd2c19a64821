"""The one path that changes a complaint: ``transition(complaint, move, actor, **data)``.

It checks the move against ``models.MOVES`` (state, actor rule, preconditions), locks the
complaint's own row and nothing else (``FOR UPDATE OF`` the complaint: divisions and categories
are read, never locked), runs the move's handler, saves the fields the move declares, writes one
audit event and queues notifications in the outbox — all in one transaction. The public
``complaint_<move>`` functions are thin wrappers kept for views, Open311, commands and tests.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record, snapshot
from sunshine.identity import decrypt
from villages.models import Division
from villages.permissions import can

from .deadlines import clock_for, extended_deadline, stage_deadline, stage_of
from .models import MOVES, Complaint, Outcome, Rating, Status
from .notifications import queue_for_filer, queue_for_handlers
from .routing import (
    HANDLER_ROLES,
    LEVEL_ROLE,
    can_handle,
    level_above,
    may_take,
    not_handler_message,
    transfer_targets,
)


@dataclass
class MoveResult:
    """What a handler hands back: extra event data and the notices to queue after the save."""

    data: dict | None = None
    to_handlers: tuple | None = None  # (subject, body) for whoever handles it after the move
    to_filer: tuple | None = None  # (subject, body) for the filer, if they asked for notices


def _binds(name, guard=None):
    """Bind the decorated function as the handler of ``MOVES[name]`` (and ``guard`` as its precondition)."""

    def bind(handler):
        MOVES[name].handler, MOVES[name].guard = handler, guard
        return handler

    return bind


# ---------------------------------------------------------------- checks


def _source_error(move, complaint):
    state = Status(complaint.status).label
    if move.target is None:
        return _("状态为“%(state)s”的留言不能%(move)s。") % {"state": state, "move": move.label}
    return _("状态为“%(state)s”的留言不能改为“%(target)s”。") % {"state": state, "target": Status(move.target).label}


def move_refusal(move, user, complaint):
    """Why ``user`` may not take ``move`` on ``complaint`` now: an exception, or None when they may."""
    if not may_take(move, user, complaint):
        return PermissionDenied(not_handler_message(move))
    if complaint.status not in move.sources:
        return ValidationError(_source_error(move, complaint))
    message = move.guard(complaint) if move.guard else None
    return ValidationError(message) if message else None


def available_moves(complaint, user):
    """The moves ``user`` (None: the filer) may take on ``complaint`` now, in table order."""
    return [m for m in MOVES.values() if m.offered and move_refusal(m, user, complaint) is None]


def _clean_reason(move, data):
    reason = (data.get("reason") or "").strip()
    if move.reason_required and not reason:
        raise ValidationError({"reason": move.reason_missing})
    return reason


def _clean_reply(data):
    reply = (data.get("reply") or "").strip()
    errors = {}
    if not reply:
        errors["reply"] = _("请填写公开答复。")
    if data.get("outcome") not in Outcome.values:
        errors["outcome"] = _("请选择办理结果。")
    if errors:
        raise ValidationError(errors)
    return {"reply": reply, "outcome": data["outcome"]}


def _clean_inputs(move, data):
    """The move's inputs, checked before any lock is taken (a bad form never waits for a row)."""
    cleaned = {"reason": _clean_reason(move, data)}
    if move.inputs == "reply":
        cleaned |= _clean_reply(data)
    elif move.inputs == "rating":
        if data.get("rating") not in Rating.values:
            raise ValidationError({"rating": _("请选择评价。")})
        cleaned |= {"rating": data["rating"], "comment": (data.get("comment") or "").strip()[:500]}
    elif move.inputs == "transfer":
        cleaned |= {"division": data["division"], "role": data.get("role")}
    elif move.inputs == "publicity":
        summary = (data.get("summary") or "").strip()[:200]
        cleaned |= {"summary": summary, "description_public": bool(data.get("description_public"))}
    return cleaned


# ---------------------------------------------------------------- the one path


def transition(complaint, move, actor, *, now=None, **data):
    """Take ``move`` on ``complaint`` as ``actor`` (None: the filer). Returns the saved complaint."""
    spec = MOVES.get(move)
    if spec is None or not spec.offered:
        raise ValueError(f"not a move one can take directly: {move}")
    inputs = _clean_inputs(spec, data)
    now = now or timezone.now()
    with transaction.atomic():
        # Lock order for complaints: the complaint's own row only.
        complaint = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
        refusal = move_refusal(spec, actor, complaint)
        if refusal is not None:
            raise refusal
        before = snapshot(complaint, spec.fields)
        result = spec.handler(complaint, actor=actor, now=now, **inputs) or MoveResult()
        complaint.save(update_fields=[*spec.fields, "updated_at"])
        after = snapshot(complaint, spec.fields)
        audit_record(
            actor=actor,
            action=spec.action,
            obj=complaint,
            changes={k: [before[k], after[k]] for k in spec.fields if before[k] != after[k]},
            reason=inputs["reason"],
            data=result.data,
        )
        if result.to_handlers:
            queue_for_handlers(complaint, subject=result.to_handlers[0], body=result.to_handlers[1])
        if result.to_filer:
            queue_for_filer(complaint, subject=result.to_filer[0], body=result.to_filer[1])
    return complaint


# ---------------------------------------------------------------- handlers: state moves


def _on_time(complaint, now):
    return complaint.due_at is None or now <= complaint.due_at


@_binds("accept")
def _accept(complaint, *, actor, now, reason):
    complaint.accepted_on_time = _on_time(complaint, now)
    complaint.status = MOVES["accept"].target
    complaint.accepted_at = now
    complaint.due_at = stage_deadline(clock_for(complaint.county_id), "conclusion", now)
    if complaint.first_contact_at is None:
        complaint.first_contact_at = now


@_binds("reject")
def _reject(complaint, *, actor, now, reason):
    complaint.accepted_on_time = _on_time(complaint, now)
    complaint.status = MOVES["reject"].target
    complaint.rejected_at = now
    complaint.reject_reason = reason
    complaint.due_at = None
    return MoveResult(to_filer=(_("留言 %(code)s 不予受理") % {"code": complaint.tracking_code}, reason))


@_binds("start")
def _start(complaint, *, actor, now, reason):
    complaint.status = MOVES["start"].target
    complaint.started_at = now


@_binds("reply")
def _reply(complaint, *, actor, now, reason, reply, outcome):
    complaint.concluded_on_time = _on_time(complaint, now)
    complaint.status = MOVES["reply"].target
    complaint.reply = reply
    complaint.outcome = outcome
    complaint.replied_at = now
    complaint.due_at = None
    complaint.rating = ""  # a new reply is rated afresh
    return MoveResult(
        data={"reply_chars": len(reply)},
        to_filer=(_("留言 %(code)s 已答复") % {"code": complaint.tracking_code}, _("请用查询码和密码查看答复并评价。")),
    )


def _close_guard(complaint):
    if not complaint.reply.strip() or complaint.outcome not in Outcome.values:
        return _("没有公开答复和办理结果，不能办结。")
    return None


@_binds("close", guard=_close_guard)
def _close(complaint, *, actor, now, reason):
    complaint.status = MOVES["close"].target
    complaint.closed_at = now


def _move_up(complaint, above):
    """Hand ``complaint`` to the division above its handling one, at ``above`` = (level, role)."""
    complaint.division_id = Division.objects.values_list("parent_id", flat=True).get(pk=complaint.division_id)
    complaint.level, complaint.handler_role = above


@_binds("reopen")
def _reopen(complaint, *, now):
    """不满意: review one level up (taken inside ``rate``, whose event records it)."""
    reopen = MOVES["reopen"]
    if complaint.status not in reopen.sources:
        raise ValidationError(_source_error(reopen, complaint))
    _move_up(complaint, level_above(complaint.level, complaint.concerns_cadres))
    complaint.status = reopen.target
    complaint.is_review = True
    complaint.due_at = stage_deadline(clock_for(complaint.county_id), "review", now)
    complaint.closed_at = None


def _rate_guard(complaint):
    return _("这次答复已经评价过了。") if complaint.rating else None


@_binds("rate", guard=_rate_guard)
def _rate(complaint, *, actor, now, reason, rating, comment):
    """The filer's rating. 不满意 reopens it for review one level up (once per level, up to the county)."""
    complaint.rating = rating
    complaint.rating_comment = comment
    complaint.rated_at = now
    reopened = rating == Rating.UNSATISFIED and level_above(complaint.level, complaint.concerns_cadres) is not None
    if not reopened:
        return MoveResult(data={"reopened": False})
    _reopen(complaint, now=now)
    return MoveResult(
        data={"reopened": True},
        to_handlers=(
            _("复查 %(code)s") % {"code": complaint.tracking_code},
            _("留言人对答复不满意，请复查并于 %(due)s 前答复。") % {"due": timezone.localdate(complaint.due_at)},
        ),
    )


# ---------------------------------------------------------------- handlers: moves that keep the state


def _escalate_guard(complaint):
    return _("已在县级办理，不能再上报。") if level_above(complaint.level, complaint.concerns_cadres) is None else None


@_binds("escalate", guard=_escalate_guard)
def _escalate(complaint, *, actor, now, reason):
    _move_up(complaint, level_above(complaint.level, complaint.concerns_cadres))
    complaint.escalation_count += 1
    stage = stage_of(complaint.status, complaint.is_review)
    complaint.due_at = stage_deadline(clock_for(complaint.county_id), stage, now)
    return MoveResult(to_handlers=(_("上报留言 %(code)s") % {"code": complaint.tracking_code}, reason))


@_binds("transfer")
def _transfer(complaint, *, actor, now, reason, division, role):
    """Hand it to another division (or another role at the same one)."""
    if not transfer_targets(complaint).filter(pk=division.pk).exists():
        raise ValidationError(
            {"division": _("不能转给该单位（涉及村干部的留言不能转给村，涉及乡镇干部的不能转给乡镇）。")}
        )
    role = role or LEVEL_ROLE[division.level]
    if role not in HANDLER_ROLES[division.level]:
        raise ValidationError({"role": _("该岗位不在这一级办理留言。")})
    if division.pk == complaint.division_id and role == complaint.handler_role:
        raise ValidationError({"division": _("已在该单位办理。")})
    complaint.division, complaint.level, complaint.handler_role = division, division.level, role
    return MoveResult(to_handlers=(_("转办留言 %(code)s") % {"code": complaint.tracking_code}, reason))


def _extend_guard(complaint):
    if complaint.due_at is None:
        return _("只有受理后、答复前的留言可以延期。")
    return _("办理期限只能延长一次。") if complaint.extended else None


@_binds("extend", guard=_extend_guard)
def _extend(complaint, *, actor, now, reason):
    """Extend the conclusion deadline once (default 30 days)."""
    complaint.due_at = extended_deadline(clock_for(complaint.county_id), complaint.due_at)
    complaint.extended = True
    complaint.extension_reason = reason


def _contact_guard(complaint):
    return _("已记录过首次联系。") if complaint.first_contact_at is not None else None


@_binds("contact", guard=_contact_guard)
def _contact(complaint, *, actor, now, reason):
    complaint.first_contact_at = now


@_binds("publicity")
def _publicity(complaint, *, actor, now, reason, summary, description_public):
    """Staff write the public summary and decide whether the text itself may be published (Open311 GET)."""
    complaint.summary = summary
    complaint.description_public = description_public


_unbound = [name for name, move in MOVES.items() if move.handler is None]
if _unbound:
    raise ImproperlyConfigured(f"complaint moves without a handler: {', '.join(_unbound)}")


# ---------------------------------------------------------------- the public services (thin wrappers)


def complaint_accept(*, complaint, actor, note="", now=None):
    return transition(complaint, "accept", actor, reason=note, now=now)


def complaint_reject(*, complaint, actor, reason, now=None):
    return transition(complaint, "reject", actor, reason=reason, now=now)


def complaint_start(*, complaint, actor, now=None):
    return transition(complaint, "start", actor, now=now)


def complaint_reply(*, complaint, actor, reply, outcome, now=None):
    return transition(complaint, "reply", actor, reply=reply, outcome=outcome, now=now)


def complaint_close(*, complaint, actor, now=None):
    return transition(complaint, "close", actor, now=now)


def complaint_rate(*, complaint, rating, comment="", now=None):
    return transition(complaint, "rate", None, rating=rating, comment=comment, now=now)


def complaint_escalate(*, complaint, actor, reason):
    return transition(complaint, "escalate", actor, reason=reason)


def complaint_transfer(*, complaint, actor, division, reason, role=None):
    return transition(complaint, "transfer", actor, division=division, reason=reason, role=role)


def complaint_extend(*, complaint, actor, reason):
    return transition(complaint, "extend", actor, reason=reason)


def complaint_record_contact(*, complaint, actor, note=""):
    return transition(complaint, "contact", actor, reason=note)


def complaint_set_public(*, complaint, actor, summary, description_public):
    return transition(complaint, "publicity", actor, summary=summary, description_public=description_public)


# ---------------------------------------------------------------- the filer's identity (logged reads)


def _identity(complaint):
    return {
        "name": decrypt(complaint.filer_name_enc),
        "phone": decrypt(complaint.filer_phone_enc),
        "email": decrypt(complaint.filer_email_enc),
    }


def complaint_identity(*, complaint, actor):
    """The filer's identity for the staff handling it; anyone else gets PermissionDenied. Never for display:
    pages show the identity only through the logged ``complaint_reveal_identity``."""
    if not can_handle(actor, complaint):
        raise PermissionDenied(_("只有办理人可以看到留言人身份。"))
    return _identity(complaint)


@transaction.atomic
def complaint_reveal_identity(*, complaint, actor, reason):
    """The only way a page shows the filer's identity: a reason, then an event, for the complaint's handler
    (at whatever level it sits) and the county's inspectors."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("查看留言人身份必须写明理由。")})
    if not (can(actor, "complaint.reveal_identity", complaint) or can_handle(actor, complaint)):
        raise PermissionDenied(_("您无权查看留言人身份。"))
    # The reveal covers the photos too (complaints.access): the event says how many were shown.
    audit_record(
        actor=actor,
        action="complaint.identity_revealed",
        obj=complaint,
        reason=reason,
        data={"photos": complaint.photos.count()},
    )
    return _identity(complaint)
