"""State changes for disclosures. Views, admin, API and commands call these; none sets status itself.

Every move is one function: it opens a transaction, locks the row, checks the move against
``models.REVISION_MOVES``/``models.DISCLOSURE_MOVES``, checks the actor's role and jurisdiction
with ``villages.permissions.can``, saves only the changed fields and writes one audit event.
"""

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record, audit_record_many, build_event
from sunshine.hooks import optional_hook
from sunshine.identity import encrypt, mask_id, person_key
from villages.models import Level, Role
from villages.permissions import can

from .entry_writers import model_writer
from .models import (
    CLOSED_REVISION_STATES,
    DISCLOSURE_MOVES,
    EDITABLE_REVISION_STATES,
    PUBLIC_ROSTER_FIELDS,
    PUBLIC_STATUSES,
    REVISION_MOVES,
    Disclosure,
    Kind,
    LedgerLine,
    Phase,
    Revision,
    RevisionState,
    RosterEntry,
    Status,
)

PERIOD_PATTERNS = (
    re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),  # 2026-11
    re.compile(r"^\d{4}-Q[1-4]$"),  # 2026-Q4
    re.compile(r"^\d{4}$"),  # 2026
    re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"),  # 2026-11-23
)
# The audit code each move writes (sunshine.audit.actions).
AUDIT_ACTIONS = {
    "submit": "disclosure.submitted",
    "approve_township": "disclosure.township_approved",
    "approve_discipline": "disclosure.discipline_approved",
    "publish": "disclosure.published",
    "return": "disclosure.returned",
    "confirm": "disclosure.confirmed",
    "archive": "disclosure.archived",
    "take_down": "disclosure.taken_down",
}
UNRESOLVED_OBJECTIONS_HOOK = "complaints.selectors.unresolved_objection_disclosure_ids"


def validate_period_and_phase(*, category, period, phase):
    """Raise ``ValidationError`` with a message for the clerk when the period key or phase does not fit."""
    if not any(p.match(period or "") for p in PERIOD_PATTERNS):
        raise ValidationError(
            _("期间“%(period)s”格式不对，应为 2026-11、2026-Q4、2026 或 2026-11-23。") % {"period": period}
        )
    if category.kind == Kind.ROSTER and phase not in (Phase.PRE, Phase.POST):
        raise ValidationError(_("名单类公开须选择阶段：拟享受名单公示或发放结果公开。"))
    if category.kind != Kind.ROSTER and phase != Phase.SINGLE:
        raise ValidationError(_("只有名单类公开分公示和发放两个阶段。"))


def _check(actor, perm, division):
    if not can(actor, perm, division):
        raise PermissionDenied(_("您没有权限对该区划的公开事项执行此操作。"))


def disclosure_open_draft(*, actor, division, category, period, phase=Phase.SINGLE, title="", pre_disclosure=None):
    """The editable revision for ``(division, category, period, phase)``.

    Creates the disclosure (status draft) and its first revision if there is
    none; returns the open draft/returned revision if one exists; and if the
    disclosure is already published, opens a correction revision (number + 1)
    that goes through the same review chain. A published revision is never
    touched.
    """
    _check(actor, "disclosure.edit", division)
    if division.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise ValidationError(_("公开事项只能属于村或乡镇。"))
    with transaction.atomic():
        disclosure = (
            Disclosure.objects.select_for_update(of=("self",))  # not the category/division its ordering joins
            .filter(division=division, category=category, period=period, phase=phase)
            .first()
        )
        if disclosure is None:
            validate_period_and_phase(category=category, period=period, phase=phase)
            if pre_disclosure is None and phase == Phase.POST:  # link the payout to its own period's notice
                pre_disclosure = Disclosure.objects.filter(
                    division=division, category=category, period=period, phase=Phase.PRE
                ).first()
            if pre_disclosure is not None:
                _check_pre_link(category=category, division=division, phase=phase, pre=pre_disclosure)
            disclosure = Disclosure.objects.create(
                division=division,
                category=category,
                period=period,
                phase=phase,
                title=title,
                created_by=actor,
                status=Status.DRAFT,
                pre_disclosure=pre_disclosure,
            )
            audit_record(
                actor=actor,
                action="disclosure.created",
                obj=disclosure,
                changes={"category": [None, category.slug], "period": [None, period], "phase": [None, phase]},
            )
        elif disclosure.status == Status.TAKEN_DOWN:
            raise ValidationError(_("该公开事项已撤下，不能再修改。"))
        revision = (
            disclosure.revisions.select_for_update()
            .filter(state__in=EDITABLE_REVISION_STATES)
            .order_by("-number")
            .first()
        )
        if revision is not None:
            return revision
        in_review = disclosure.revisions.exclude(state__in=CLOSED_REVISION_STATES).exists()
        if in_review:
            raise ValidationError(_("该公开事项有一个版本正在审核中，审核结束前不能再修改。"))
        number = (disclosure.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = Revision.objects.create(
            disclosure=disclosure, number=number, state=RevisionState.DRAFT, created_by=actor, title=title
        )
        if number > 1:
            _copy_content(disclosure.current_revision, revision)
        audit_record(
            actor=actor,
            action="revision.opened" if number == 1 else "revision.correction_opened",
            obj=revision,
            division=division,
            changes={"number": [None, number]},
        )
        return revision


def validate_open_draft(*, division, category, period, phase, pre_disclosure=None):
    """What ``disclosure_open_draft`` would refuse, checked without locking or writing (for a form's errors)."""
    validate_period_and_phase(category=category, period=period, phase=phase)
    if pre_disclosure is not None:
        _check_pre_link(category=category, division=division, phase=phase, pre=pre_disclosure)
    existing = Disclosure.objects.filter(division=division, category=category, period=period, phase=phase).first()
    if existing is None:
        return
    if existing.status == Status.TAKEN_DOWN:
        raise ValidationError(_("该公开事项已撤下，不能再修改。"))
    revision = working_revision(existing)
    if revision is not None and not revision.is_editable:
        raise ValidationError(_("该公开事项有一个版本正在审核中，审核结束前不能再修改。"))


def _check_pre_link(*, category, division, phase, pre):
    if (
        phase != Phase.POST
        or pre.phase != Phase.PRE
        or pre.category_id != category.pk
        or pre.division_id != division.pk
    ):
        raise ValidationError(_("只有发放结果可以关联同村、同类别的公示名单。"))


def _copy_content(source, target):
    """A correction starts from the published content so the clerk edits only what changed."""
    if source is None:
        return
    target.title, target.body = source.title, source.body
    entries = list(source.entries.all())
    lines = list(source.ledger_lines.all())
    for item in [*entries, *lines]:
        item.pk = None
        item.revision = target
    RosterEntry.objects.bulk_create(entries)
    LedgerLine.objects.bulk_create(lines)
    target.entry_count, target.amount_total = source.entry_count, source.amount_total
    target.save(update_fields=["title", "body", "entry_count", "amount_total"])


def disclosure_open_correction(*, actor, disclosure, reason):
    """Open a correction of a published disclosure: a new draft revision carrying ``reason``."""
    if not reason.strip():
        raise ValidationError(_("更正必须填写原因。"))
    if disclosure.status not in PUBLIC_STATUSES:
        raise ValidationError(_("只有已公开的事项才能更正；草稿请直接修改。"))
    revision = disclosure_open_draft(
        actor=actor,
        division=disclosure.division,
        category=disclosure.category,
        period=disclosure.period,
        phase=disclosure.phase,
    )
    if revision.reason != reason:
        revision_update_content(actor=actor, revision=revision, reason=reason)
        revision.reason = reason
    return revision


def _locked_editable(actor, revision):
    _check(actor, "disclosure.edit", revision.disclosure.division)
    # of=("self",): the joined disclosure and category are read, not locked (h6 stopgap until h1's lock order)
    locked = Revision.objects.select_for_update(of=("self",)).select_related("disclosure__category").get(pk=revision.pk)
    if locked.state not in EDITABLE_REVISION_STATES:
        raise ValidationError(_("只有草稿或退回的版本可以修改；已公开的内容只能通过更正修改。"))
    return locked


def revision_update_content(*, actor, revision, **fields):
    """Change the title, body or correction reason of an editable revision."""
    allowed = {"title", "body", "reason"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)}")
    with transaction.atomic():
        locked = _locked_editable(actor, revision)
        changes = {k: [getattr(locked, k), v] for k, v in fields.items() if getattr(locked, k) != v}
        if not changes:
            return locked
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.save(update_fields=list(changes))
        audit_record(
            actor=actor,
            action="revision.content_changed",
            obj=locked,
            division=locked.disclosure.division,
            changes={k: ["…", "…"] if k == "body" else v for k, v in changes.items()},
        )
        return locked


def entry_set_identity(entry, *, id_number, category):
    """Fill a roster entry's matching key and masked ID from a normalized ID; the full ID is kept
    (encrypted) only when the category needs it."""
    entry.person_key = person_key(id_number)
    entry.id_masked = mask_id(id_number)
    entry.id_encrypted = encrypt(id_number) if category.stores_full_id else ""


def revision_replace_entries(*, actor, revision, entries, source=None, writer=None):
    """Replace every roster entry of an editable revision with ``entries``.

    ``writer(locked_revision, entries) -> (count, amount_total)`` inserts them (``disclosures.entry_writers``):
    by default unsaved RosterEntry objects through ``bulk_create``; the importer passes ``copy_writer`` with
    its validated rows. One audit event records the counts and ``source`` (e.g. the import file's checksum);
    no personal data goes into it.
    """
    disclosure = revision.disclosure
    with transaction.atomic():
        locked = _locked_editable(actor, revision)  # checks the actor's permission first
        before_count, before_total = locked.entry_count, locked.amount_total
        RosterEntry.objects.filter(revision=locked).delete()
        count, total = (writer or model_writer)(locked, entries)
        locked.entry_count = count
        locked.amount_total = total
        locked.save(update_fields=["entry_count", "amount_total"])
        audit_record(
            actor=actor,
            action="revision.entries_replaced",
            obj=locked,
            division=disclosure.division,
            changes={"entry_count": [before_count, count], "amount_total": [before_total, total]},
            data=source or {},
        )
        revision.entry_count, revision.amount_total = locked.entry_count, locked.amount_total
        return locked


def revision_replace_ledger(*, actor, revision, lines, source=None):
    """Replace the ledger lines of an editable revision; running balances are computed here."""
    with transaction.atomic():
        locked = _locked_editable(actor, revision)
        before = locked.entry_count
        LedgerLine.objects.filter(revision=locked).delete()
        for position, line in enumerate(lines, start=1):
            line.revision = locked
            line.position = position
        LedgerLine.objects.bulk_create(lines)
        _refresh_totals(locked)
        audit_record(
            actor=actor,
            action="revision.ledger_replaced",
            obj=locked,
            division=locked.disclosure.division,
            changes={"entry_count": [before, locked.entry_count]},
            data=source or {},
        )
        return locked


def _refresh_totals(revision):
    if revision.disclosure.category.kind == Kind.LEDGER:
        balance = Decimal("0")
        lines = list(revision.ledger_lines.order_by("date", "position", "id"))
        for line in lines:
            balance += (line.income or 0) - (line.expense or 0)
            line.balance = balance
        LedgerLine.objects.bulk_update(lines, ["balance"])
        revision.entry_count = len(lines)
        revision.amount_total = balance
    else:
        entries = list(revision.entries.values_list("amount", flat=True))
        revision.entry_count = len(entries)
        revision.amount_total = sum((a or 0 for a in entries), Decimal("0"))
    revision.save(update_fields=["entry_count", "amount_total"])


def revision_entries_edited(*, actor, revision):
    """After the admin inline saved typed-in rows: recount, recompute balances, write one event."""
    with transaction.atomic():
        locked = _locked_editable(actor, revision)
        before = [locked.entry_count, str(locked.amount_total)]
        _refresh_totals(locked)
        audit_record(
            actor=actor,
            action="revision.entries_edited",
            obj=locked,
            division=locked.disclosure.division,
            changes={"entry_count": [before[0], locked.entry_count], "amount_total": [before[1], locked.amount_total]},
        )
        return locked


# --- the review chain ------------------------------------------------------------------------


def working_revision(disclosure):
    """The revision under edit or review (not yet published), or None."""
    return disclosure.revisions.exclude(state__in=CLOSED_REVISION_STATES).order_by("-number").first()


def _revision_move(name, *, disclosure, actor, reason=""):
    move = REVISION_MOVES[name]
    if move.needs_reason and not reason.strip():
        raise ValidationError(_("请填写%(action)s的原因。") % {"action": move.label})
    _check(actor, move.perm, disclosure.division)
    with transaction.atomic():
        locked = Disclosure.objects.select_for_update().select_related("category", "division").get(pk=disclosure.pk)
        if locked.status == Status.TAKEN_DOWN:
            raise ValidationError(_("该公开事项已撤下。"))
        revision = (
            locked.revisions.select_for_update().exclude(state__in=CLOSED_REVISION_STATES).order_by("-number").first()
        )
        if revision is None or not move.allowed_from(revision.state, locked.category.review_chain):
            current = revision.get_state_display() if revision else locked.get_status_display()
            raise ValidationError(
                _("当前状态为“%(state)s”，不能执行“%(action)s”。") % {"state": current, "action": move.label}
            )
        before_state, before_status = revision.state, locked.status
        now = timezone.now()
        revision.state = move.target
        revision_fields = ["state"]
        disclosure_fields = []
        data = {"revision": revision.number}
        if name == "submit":
            if revision.number > 1 and not revision.reason.strip():
                raise ValidationError(_("更正版本须填写更正原因后才能提交。"))
            if locked.category.kind == Kind.ROSTER and not revision.entries.exists():
                raise ValidationError(_("名单为空，不能提交。"))
            revision.submitted_at = now
            revision_fields.append("submitted_at")
        if name == "publish":
            _publish(locked, revision, now, revision_fields, disclosure_fields, data)
        elif locked.current_revision_id is None:
            locked.status = move.target  # before the first publication the disclosure follows its revision
            disclosure_fields.append("status")
        revision.save(update_fields=revision_fields)
        if disclosure_fields:
            locked.save(update_fields=[*disclosure_fields, "updated_at"])
        audit_record(
            actor=actor,
            action=AUDIT_ACTIONS[name],
            obj=locked,
            changes={
                "revision_state": [before_state, revision.state],
                **({"status": [before_status, locked.status]} if before_status != locked.status else {}),
            },
            reason=reason,
            data=data,
        )
        transaction.on_commit(lambda: notify_move(disclosure_id=locked.pk, move=name))
    disclosure.refresh_from_db()
    return revision


def _publish(disclosure, revision, now, revision_fields, disclosure_fields, data):
    from .diffs import revision_diff

    revision.published_at = now
    revision.checksum = revision_checksum(revision)
    revision_fields += ["published_at", "checksum"]
    previous = disclosure.current_revision
    if previous is not None:
        Revision.objects.filter(pk=previous.pk).update(state=RevisionState.SUPERSEDED)
        data["diff"] = revision_diff(previous, revision).summary()
        data["correction_reason"] = revision.reason
    disclosure.current_revision = revision
    disclosure_fields.append("current_revision")
    if disclosure.first_published_at is None:
        disclosure.first_published_at = now
        disclosure.status = Status.PUBLISHED
        disclosure_fields += ["first_published_at", "status"]
        days = disclosure.category.objection_days
        if disclosure.phase == Phase.PRE and days:
            disclosure.objection_ends_at = now + dt.timedelta(days=days)
            disclosure_fields.append("objection_ends_at")


def disclosure_submit(*, disclosure, actor, reason=""):
    return _revision_move("submit", disclosure=disclosure, actor=actor, reason=reason)


def disclosure_approve_township(*, disclosure, actor, reason=""):
    return _revision_move("approve_township", disclosure=disclosure, actor=actor, reason=reason)


def disclosure_approve_discipline(*, disclosure, actor, reason=""):
    return _revision_move("approve_discipline", disclosure=disclosure, actor=actor, reason=reason)


def disclosure_publish(*, disclosure, actor, reason=""):
    return _revision_move("publish", disclosure=disclosure, actor=actor, reason=reason)


def disclosure_return(*, disclosure, actor, reason):
    return _revision_move("return", disclosure=disclosure, actor=actor, reason=reason)


def _disclosure_move(name, *, disclosure, actor, reason="", extra=None, system=False):
    move = DISCLOSURE_MOVES[name]
    if move.needs_reason and not reason.strip():
        raise ValidationError(_("请填写%(action)s的原因。") % {"action": move.label})
    if not system:
        _check(actor, move.perm, disclosure.division)
    with transaction.atomic():
        locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        if locked.status not in move.sources:
            raise ValidationError(
                _("当前状态为“%(state)s”，不能执行“%(action)s”。")
                % {"state": locked.get_status_display(), "action": move.label}
            )
        before = locked.status
        locked.status = move.target
        fields = ["status", "updated_at"]
        data = {}
        if name == "take_down":
            locked.taken_down_at = timezone.now()
            fields.append("taken_down_at")
            data["anonymized_entries"] = anonymize_disclosure(locked)
        if extra:
            data.update(extra)
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            action=AUDIT_ACTIONS[name],
            obj=locked,
            changes={"status": [before, locked.status]},
            reason=reason,
            data=data,
        )
    disclosure.refresh_from_db()
    return disclosure


def disclosure_archive(*, disclosure, actor, reason=""):
    return _disclosure_move("archive", disclosure=disclosure, actor=actor, reason=reason)


def disclosure_take_down(*, disclosure, actor, reason):
    """Take a disclosure off every public output and strip the personal data of all its revisions."""
    return _disclosure_move("take_down", disclosure=disclosure, actor=actor, reason=reason)


def anonymize_disclosure(disclosure):
    """Strip names, IDs, bank accounts and remarks from every revision's entries. Returns how many rows.

    The one exception to "published content never changes": retention and privacy take-downs.
    Amounts, groups and counts stay, so totals in the audit trail remain meaningful.
    """
    from .bulletin import forget_bulletins

    transaction.on_commit(lambda: forget_bulletins(disclosure))
    return RosterEntry.objects.filter(revision__disclosure=disclosure).update(
        name=_("（已隐去）"), person_key="", id_masked="", id_encrypted="", bank_account_encrypted="", remark=""
    )


# --- periodic work ---------------------------------------------------------------------------


def unresolved_objection_ids(disclosure_ids):
    hook = optional_hook(UNRESOLVED_OBJECTIONS_HOOK)
    if hook is None or not disclosure_ids:
        return set()
    return set(hook(list(disclosure_ids)))


def disclosures_tick(*, now=None):
    """Confirm pre rosters whose objection window has closed without unanswered objections.

    Idempotent and safe to run twice at once: the rows are locked and re-checked, and each
    confirmation writes one event (bulk-inserted).
    """
    now = now or timezone.now()
    move = DISCLOSURE_MOVES["confirm"]
    with transaction.atomic():
        due = list(
            Disclosure.objects.select_for_update()
            .filter(status__in=move.sources, phase=Phase.PRE, objection_ends_at__lte=now)
            .order_by("pk")
        )
        blocked = unresolved_objection_ids([d.pk for d in due])
        ready = [d for d in due if d.pk not in blocked]
        Disclosure.objects.filter(pk__in=[d.pk for d in ready]).update(
            status=move.target, confirmed_at=now, updated_at=now
        )
        audit_record_many(
            [
                build_event(
                    actor=None,
                    action=AUDIT_ACTIONS["confirm"],
                    obj=d,
                    changes={"status": [d.status, move.target]},
                    data={"objection_ends_at": d.objection_ends_at},
                )
                for d in ready
            ]
        )
    return f"{len(ready)} confirmed, {len(blocked)} waiting for objections to be answered"


def retention_due(*, now=None):
    """Published rosters whose category's retention period has passed since their first publication."""
    now = now or timezone.now()
    candidates = (
        Disclosure.objects.filter(
            category__kind=Kind.ROSTER,
            category__retention_days__isnull=False,
            status__in=DISCLOSURE_MOVES["take_down"].sources,
            first_published_at__isnull=False,
        )
        .select_related("category", "division")
        .order_by("first_published_at")
    )
    return [d for d in candidates if d.first_published_at + dt.timedelta(days=d.category.retention_days) <= now]


def retention_sweep(*, now=None):
    """Take down rosters whose category's retention period has passed since first publication. Idempotent."""
    done = 0
    for disclosure in retention_due(now=now):
        try:
            _disclosure_move(
                "take_down",
                disclosure=disclosure,
                actor=None,
                reason=_("超过保留期限，自动撤下并隐去个人信息。"),
                extra={"retention_days": disclosure.category.retention_days},
                system=True,
            )
        except ValidationError:
            continue  # someone else took it down meanwhile
        done += 1
    return f"{done} taken down after retention"


# --- public content ---------------------------------------------------------------------------


# Runs of 11+ digits in free text (phones, IDs, bank accounts a clerk typed into a remark).
_LONG_DIGITS = re.compile(r"\d[\d \-]{9,}\d")
# Roster fields a clerk types freely: scrubbed on every public output.
FREE_TEXT_FIELDS = ("name", "group", "assistance_class", "remark")


def scrub(text):
    """Mask long digit runs in free text that reaches the public (remarks, names)."""
    if not text:
        return text
    return _LONG_DIGITS.sub(lambda m: mask_id(re.sub(r"\D", "", m.group())), str(text))


def public_value(entry, name):
    value = getattr(entry, name)
    return scrub(value) if name in FREE_TEXT_FIELDS else value


def public_entry_values(entry, fields):
    return {name: public_value(entry, name) for name in fields}


def public_fields_of(category):
    return [f for f in PUBLIC_ROSTER_FIELDS if f in (category.public_fields or [])] or ["name", "group", "amount"]


def revision_public_content(revision):
    """Everything the public sees of a revision, as JSON-safe data (checksum, diff, PDF)."""
    category = revision.disclosure.category
    fields = public_fields_of(category)
    return {
        "title": revision.title or revision.disclosure.title,
        "body": revision.body,
        "entries": [
            {k: (str(v) if v is not None else None) for k, v in public_entry_values(e, fields).items()}
            for e in revision.entries.all()
        ],
        "ledger": [
            [str(line.date), line.voucher_no, line.summary, str(line.income), str(line.expense), str(line.balance)]
            for line in revision.ledger_lines.all()
        ],
        "attachments": [[a.title, a.size] for a in revision.attachments.all()],
    }


def revision_checksum(revision):
    payload = json.dumps(revision_public_content(revision), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --- notifications ----------------------------------------------------------------------------

NEXT_ROLE = {
    "submit": Role.TOWNSHIP_REVIEWER,
    "approve_township": Role.TOWNSHIP_DISCIPLINE,
    "return": Role.VILLAGE_CLERK,
}


def notify_move(*, disclosure_id, move):
    """E-mail whoever acts next (after commit). Staff without an e-mail address see it in the admin."""
    role = NEXT_ROLE.get(move)
    if role is None:
        return 0
    disclosure = Disclosure.objects.select_related("division", "category").get(pk=disclosure_id)
    division = disclosure.division
    if role != Role.VILLAGE_CLERK:
        division = division.ancestor_at(Level.TOWNSHIP) or division
    emails = list(
        get_user_model()
        .objects.filter(memberships__division=division, memberships__role=role, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not emails:
        return 0
    subject = _("【阳光村务】%(d)s：%(m)s") % {"d": disclosure, "m": REVISION_MOVES[move].label}
    return send_mail(subject, f"{settings.SITE_URL}/admin/disclosures/disclosure/{disclosure.pk}/change/", None, emails)
