"""State changes for disclosures. Views, admin, API and commands call these; none sets status itself.

Every move of a disclosure or its revision goes through ``transition``: it checks the move against
``models.MOVES``, the actor's role and jurisdiction with ``villages.permissions.can``, locks, runs the
move's handler, saves only the changed fields, writes one audit event and queues the notification.

Lock order, everywhere: the disclosure row, then the revision row (its entries are covered by the
revision's lock). Category and division rows are read, never locked: ``select_for_update`` with a
``select_related`` would lock every joined row, hence ``of=("self",)``.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record, audit_record_many, build_event, diff, snapshot
from sunshine.identity import encrypt, mask_id, person_key
from sunshine.masking import mask_free_text
from villages.models import Level
from villages.permissions import can

from .bulletin import forget_bulletins
from .calendar import due_on
from .diffs import revision_diff
from .entry_writers import model_writer
from .leads import leads_for, revision_leads
from .models import (
    CLOSED_REVISION_STATES,
    DISCLOSURE_MOVES,
    EDITABLE_REVISION_STATES,
    MOVES,
    ON_REVISION,
    PUBLIC_STATUSES,
    Attachment,
    Bulletin,
    Category,
    Disclosure,
    Kind,
    LeadAcknowledgement,
    LedgerLine,
    Move,
    Phase,
    Revision,
    RevisionState,
    RosterEntry,
    Status,
)
from .public_text import revision_checksum
from .selectors import next_actors
from .tasks import bulletin_queue

__all__ = ["EDITABLE_REVISION_STATES"]  # re-exported for the importer

PERIOD_PATTERNS = (
    re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),  # 2026-11
    re.compile(r"^\d{4}-Q[1-4]$"),  # 2026-Q4
    re.compile(r"^\d{4}$"),  # 2026
    re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"),  # 2026-11-23
)
STALE_MESSAGE = "此名单已被他人修改，请刷新后重试"
# What a county admin edits on a category; every change is audited field by field.
CATEGORY_FIELDS = [
    "slug", "name", "kind", "cadence", "objection_days", "public_fields", "retention_days", "review_chain",
    "stores_full_id", "amount_min", "amount_max", "column_synonyms", "description", "sort_order", "is_active",
]  # fmt: skip


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


# --- locks ------------------------------------------------------------------------------------


def _lock_disclosure(pk):
    """Lock one disclosure row (first in the lock order); its category and division come along unlocked."""
    return Disclosure.objects.select_for_update(of=("self",)).select_related("category", "division").get(pk=pk)


def _check_version(revision, version):
    if version is not None and revision.version != int(version):
        raise ValidationError(_(STALE_MESSAGE))


def _locked_editable(actor, revision, version=None):
    """Lock the revision's disclosure, then the revision; refuse unless it is still editable (and, when the
    caller carries a ``version``, unless nobody changed it since the caller read it)."""
    _check(actor, "disclosure.edit", revision.disclosure.division)
    disclosure = _lock_disclosure(revision.disclosure_id)
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    locked.disclosure = disclosure
    if locked.state not in EDITABLE_REVISION_STATES:
        raise ValidationError(_("只有草稿或退回的版本可以修改；已公开的内容只能通过更正修改。"))
    _check_version(locked, version)
    return locked


# --- opening a draft --------------------------------------------------------------------------


def disclosure_open_draft(*, actor, division, category, period, phase=Phase.SINGLE, title="", pre_disclosure=None):
    """The editable revision for ``(division, category, period, phase)``.

    Creates the disclosure (status draft) and its first revision if there is
    none; returns the open draft/returned revision if one exists; and if the
    disclosure is already published, opens a correction revision (number + 1)
    that goes through the same review chain. A published revision is never
    touched. Concurrent callers for the same new slot all get the same disclosure.
    """
    _check(actor, "disclosure.edit", division)
    if division.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise ValidationError(_("公开事项只能属于村或乡镇。"))
    slot = {"division": division, "category": category, "period": period, "phase": phase}
    with transaction.atomic():
        disclosure = Disclosure.objects.select_for_update(of=("self",)).filter(**slot).first()
        if disclosure is None:
            disclosure = _create_disclosure(actor, slot, title=title, pre_disclosure=pre_disclosure)
        if disclosure.status == Status.TAKEN_DOWN:
            raise ValidationError(_("该公开事项已撤下，不能再修改。"))
        return _editable_or_new_revision(actor, disclosure, title=title)


def _create_disclosure(actor, slot, *, title, pre_disclosure):
    """Insert the disclosure inside a savepoint; if another caller inserted it first, lock and return theirs.

    ``select_for_update`` on a row that does not exist yet locks nothing; the unique constraint is
    what serializes the creators (the INSERT waits for the other transaction, then fails)."""
    category, division, period, phase = slot["category"], slot["division"], slot["period"], slot["phase"]
    validate_period_and_phase(category=category, period=period, phase=phase)
    if pre_disclosure is None and phase == Phase.POST:  # link the payout to its own period's notice
        pre_disclosure = Disclosure.objects.filter(
            division=division, category=category, period=period, phase=Phase.PRE
        ).first()
    if pre_disclosure is not None:
        _check_pre_link(category=category, division=division, phase=phase, pre=pre_disclosure)
    try:
        with transaction.atomic():
            disclosure = Disclosure.objects.create(
                **slot, title=title, created_by=actor, status=Status.DRAFT, pre_disclosure=pre_disclosure,
                due_on=due_on(category, period),
            )  # fmt: skip
    except IntegrityError:
        return Disclosure.objects.select_for_update(of=("self",)).get(**slot)
    audit_record(
        actor=actor,
        action="disclosure.created",
        obj=disclosure,
        changes={"category": [None, category.slug], "period": [None, period], "phase": [None, phase]},
    )
    return disclosure


def _editable_or_new_revision(actor, disclosure, *, title=""):
    """With the disclosure locked: its draft/returned revision, or a new one (the first, or a correction)."""
    revision = _editable_revision(disclosure)
    if revision is not None:
        return revision
    if disclosure.revisions.exclude(state__in=CLOSED_REVISION_STATES).exists():
        raise ValidationError(_("该公开事项有一个版本正在审核中，审核结束前不能再修改。"))
    number = (disclosure.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            revision = Revision.objects.create(
                disclosure=disclosure, number=number, state=RevisionState.DRAFT, created_by=actor, title=title
            )
    except IntegrityError:  # a writer that did not lock the disclosure first made it meanwhile
        revision = _editable_revision(disclosure)
        if revision is None:
            raise
        return revision
    if number > 1:
        _copy_content(disclosure.current_revision, revision)
    audit_record(
        actor=actor,
        action="revision.opened" if number == 1 else "revision.correction_opened",
        obj=revision,
        division=disclosure.division,
        changes={"number": [None, number]},
    )
    return revision


def _editable_revision(disclosure):
    return (
        disclosure.revisions.select_for_update().filter(state__in=EDITABLE_REVISION_STATES).order_by("-number").first()
    )


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
    with transaction.atomic():
        revision = disclosure_open_draft(
            actor=actor,
            division=disclosure.division,
            category=disclosure.category,
            period=disclosure.period,
            phase=disclosure.phase,
        )
        if revision.reason != reason:
            revision = revision_update_content(actor=actor, revision=revision, reason=reason)
    return revision


def correction_available(disclosure, user):
    """May ``user`` open (or go back to) a correction of ``disclosure`` now?"""
    if disclosure.status not in PUBLIC_STATUSES or not can(user, "disclosure.edit", disclosure.division):
        return False
    revision = working_revision(disclosure)
    return revision is None or revision.is_editable


# --- editing a draft --------------------------------------------------------------------------


def revision_update_content(*, actor, revision, version=None, **fields):
    """Change the title, body or correction reason of an editable revision."""
    allowed = {"title", "body", "reason"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)}")
    with transaction.atomic():
        locked = _locked_editable(actor, revision, version)
        changes = {k: [getattr(locked, k), v] for k, v in fields.items() if getattr(locked, k) != v}
        if not changes:
            return locked
        for key, value in fields.items():
            setattr(locked, key, value)
        locked.version += 1
        locked.save(update_fields=[*changes, "version"])
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


def revision_replace_entries(*, actor, revision, entries, source=None, writer=None, version=None):
    """Replace every roster entry of an editable revision with ``entries``.

    ``writer(locked_revision, entries) -> (count, amount_total)`` inserts the rows (``disclosures.entry_writers``:
    ``model_writer`` for unsaved ``RosterEntry`` objects by default; the importer plugs in ``copy_writer``).
    This service owns the rest: permission, locks, deleting the old rows, totals, the version and one audit event that
    records the counts and ``source`` (e.g. the import file's checksum), never personal data.
    """
    with transaction.atomic():
        locked = _locked_editable(actor, revision, version)  # checks the actor's permission first
        before_count, before_total = locked.entry_count, locked.amount_total
        RosterEntry.objects.filter(revision=locked).delete()
        count, total = (writer or model_writer)(locked, entries)
        locked.entry_count, locked.amount_total = count, total
        locked.version += 1
        locked.save(update_fields=["entry_count", "amount_total", "version"])
        audit_record(
            actor=actor,
            action="revision.entries_replaced",
            obj=locked,
            division=locked.disclosure.division,
            changes={"entry_count": [before_count, count], "amount_total": [before_total, total]},
            data=source or {},
        )
        revision.entry_count, revision.amount_total, revision.version = count, total, locked.version
        return locked


def revision_replace_ledger(*, actor, revision, lines, source=None, version=None):
    """Replace the ledger lines of an editable revision; running balances are computed here."""
    with transaction.atomic():
        locked = _locked_editable(actor, revision, version)
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
    """Recount a locked revision's rows (running balances for a ledger) and bump its version."""
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
    revision.version += 1
    revision.save(update_fields=["entry_count", "amount_total", "version"])


def revision_save_rows(*, actor, revision, version, saved=(), deleted=()):
    """Save rows typed into the admin (roster entries, ledger lines, attachments) as one edit.

    ``version`` is the revision's version the form was built from: if anyone changed the revision
    since, the save is refused with STALE_MESSAGE and changes nothing. Recounts and writes one event.
    """
    with transaction.atomic():
        locked = _locked_editable(actor, revision, version)
        before = [locked.entry_count, str(locked.amount_total)]
        for row in deleted:
            row.delete()
        for row in saved:
            row.revision = locked
            row.save()
        _refresh_totals(locked)
        audit_record(
            actor=actor,
            action="revision.entries_edited",
            obj=locked,
            division=locked.disclosure.division,
            changes={"entry_count": [before[0], locked.entry_count], "amount_total": [before[1], locked.amount_total]},
        )
        revision.version = locked.version
        return locked


def revision_entries_edited(*, actor, revision):
    """After rows were saved another way: recount, recompute balances, bump the version, write one event."""
    return revision_save_rows(actor=actor, revision=revision, version=None)


# --- categories -------------------------------------------------------------------------------


def category_save(*, actor, category):
    """Create or change a category (county admins); the event lists the changed fields.

    The row is not locked (no disclosure path locks categories either); a concurrent edit of the same
    category is the admin's last-writer-wins, and both events are in the log."""
    if not can(actor, "category.change"):
        raise PermissionDenied(_("您没有权限修改公开类别。"))
    with transaction.atomic():
        existing = Category.objects.filter(pk=category.pk).first() if category.pk else None
        before = snapshot(existing, CATEGORY_FIELDS) if existing else {}
        category.save()
        audit_record(
            actor=actor,
            action="category.changed" if existing else "category.created",
            obj=category,
            changes=diff(before, snapshot(category, CATEGORY_FIELDS)),
        )
    return category


# --- moves ------------------------------------------------------------------------------------


def working_revision(disclosure):
    """The revision under edit or review (not yet published), or None."""
    return disclosure.revisions.exclude(state__in=CLOSED_REVISION_STATES).order_by("-number").first()


def move_allowed_now(move, disclosure, revision):
    """Does the table allow ``move`` on ``disclosure`` whose working revision is ``revision`` (or None)?"""
    if disclosure.status == Status.TAKEN_DOWN:
        return False
    if move.on == ON_REVISION:
        return revision is not None and move.allowed_from(revision.state, disclosure.category.review_chain)
    return move.allowed_from(disclosure.status)  # a disclosure's moves do not depend on the review chain


_UNKNOWN = object()


def available_moves(obj, user, *, revision=_UNKNOWN):
    """The moves ``user`` may make on ``obj`` (a disclosure or a revision) now: state and review chain
    allow it, the role has the permission, the disclosure is in the user's jurisdiction and the move's
    precondition holds (every anomaly lead acknowledged): exactly what ``transition`` would accept.

    Pass ``revision`` (None for none) when the working revision is already at hand (prefetched in a list;
    ``prefetch_open_leads`` then spares the per-row lead queries)."""
    disclosure = obj.disclosure if isinstance(obj, Revision) else obj
    if revision is _UNKNOWN:
        revision = working_revision(disclosure)
    if revision is not None:
        revision.disclosure = disclosure
    return [
        move
        for move in MOVES.values()
        if move.perm is not None
        and move_allowed_now(move, disclosure, revision)
        and can(user, move.perm, disclosure.division)
        and precondition_refusal(move, revision) is None
    ]


# --- anomaly leads on the approval page ------------------------------------------------------


def pending_review_move(revision):
    """The approval that waits on ``revision`` and needs its leads acknowledged first, or None."""
    chain = revision.disclosure.category.review_chain
    for move in MOVES.values():
        if move.precondition == "leads_acknowledged" and move.allowed_from(revision.state, chain):
            return move
    return None


def _acknowledged_keys(revision, move):
    cached = getattr(revision, "_acknowledged", None)
    if cached is not None:
        return cached.get(move.name, set())
    return set(
        LeadAcknowledgement.objects.filter(revision=revision, move=move.name).values_list("lead_key", flat=True)
    )


def open_leads(revision, move):
    """The leads of ``revision`` nobody has acknowledged yet for ``move`` (an approval)."""
    leads = getattr(revision, "_leads", None)
    if leads is None:  # kept on the instance: the page's buttons and its leads panel ask for the same revision
        leads = revision._leads = revision_leads(revision)
    if not leads:
        return []
    done = _acknowledged_keys(revision, move)
    return [lead for lead in leads if lead.key not in done]


def prefetch_open_leads(revisions):
    """Compute the leads and acknowledgements of many working revisions at once (a list page's moves).
    Only revisions waiting on an approval are looked at; a fixed number of queries however many."""
    waiting = [r for r in revisions if r is not None and pending_review_move(r) is not None]
    for revision in revisions:
        if revision is not None:
            revision._leads, revision._acknowledged = [], {}
    if not waiting:
        return
    by_revision = leads_for(waiting)
    acks = LeadAcknowledgement.objects.filter(revision__in=waiting).values_list("revision_id", "move", "lead_key")
    for revision_id, move, key in acks:
        next(r for r in waiting if r.pk == revision_id)._acknowledged.setdefault(move, set()).add(key)
    for revision in waiting:
        revision._leads = by_revision[revision.pk]


def _leads_message(leads):
    listed = "；".join(f"{lead.subject}：{lead.text}" for lead in leads[:5])
    more = _("等") if len(leads) > 5 else ""
    return _("还有 %(n)d 条异常线索未核实（%(leads)s%(more)s）。请在审核页面逐条填写核实说明后再审核通过。") % {
        "n": len(leads),
        "leads": listed,
        "more": more,
    }


def precondition_refusal(move, revision):
    """Why ``move``'s precondition refuses it on ``revision`` now (a message), or None."""
    if move.precondition is None or revision is None:
        return None
    return MOVE_PRECONDITIONS[move.precondition](move, revision)


def _leads_acknowledged(move, revision):
    leads = open_leads(revision, move)
    return _leads_message(leads) if leads else None


def lead_acknowledge(*, actor, revision, lead_key, note):
    """Record that ``actor`` checked one lead of ``revision`` for the approval waiting on it, with a note.

    Refused unless the actor may make that approval here; the note is required and kept masked (an ID or
    phone typed into it never reaches the audit). Locks the disclosure, then the revision. One event."""
    note = mask_free_text((note or "").strip())
    if not note:
        raise ValidationError(_("请填写核实说明。"))
    with transaction.atomic():
        disclosure = _lock_disclosure(revision.disclosure_id)
        locked = Revision.objects.select_for_update().get(pk=revision.pk)
        locked.disclosure = disclosure
        move = pending_review_move(locked)
        if move is None:
            raise ValidationError(_("该版本当前不在等待审核通过的环节，无需核实线索。"))
        _check(actor, move.perm, disclosure.division)
        lead = next((x for x in revision_leads(locked) if x.key == lead_key), None)
        if lead is None:
            raise ValidationError(_("这条线索已不存在，请刷新页面。"))
        ack, created = LeadAcknowledgement.objects.get_or_create(
            revision=locked,
            move=move.name,
            lead_key=lead.key,
            defaults={"kind": lead.kind, "subject": lead.subject, "note": note, "acknowledged_by": actor},
        )
        if not created:
            raise ValidationError(_("这条线索已由 %(who)s 核实。") % {"who": ack.acknowledged_by})
        audit_record(
            actor=actor,
            action="revision.lead_acknowledged",
            obj=locked,
            division=disclosure.division,
            reason=note,
            data={"revision": locked.number, "step": move.name, "kind": lead.kind, "lead": lead.subject},
        )
    return ack


@dataclass
class MoveStep:
    """One move in progress, handed to the move's handler (which may add fields to save and audit data)."""

    move: Move
    disclosure: Disclosure
    revision: Revision | None
    actor: object
    now: dt.datetime
    data: dict = field(default_factory=dict)
    disclosure_fields: list = field(default_factory=list)
    revision_fields: list = field(default_factory=list)


def _wrong_state(move, current):
    return ValidationError(
        _("当前状态为“%(state)s”，不能执行“%(action)s”。") % {"state": current, "action": move.label}
    )


def transition(obj, move, actor, *, reason="", system=False, **data):
    """Make ``move`` (a name or a ``Move`` of ``models.MOVES``) on ``obj`` (a disclosure or a revision).

    Checks the actor's role and jurisdiction (skipped only for ``system`` moves: the tick, retention),
    the reason, locks the disclosure then its working revision, checks the state against the table,
    runs the handler, saves the changed fields, writes the audit event (``data`` joins its data) and
    queues the notification after commit. Returns the moved revision, or the disclosure.
    """
    move = MOVES[move] if isinstance(move, str) else move
    disclosure = obj.disclosure if isinstance(obj, Revision) else obj
    if not system:
        if move.perm is None:
            raise PermissionDenied(_("该操作只由系统执行。"))
        _check(actor, move.perm, disclosure.division)
    if move.needs_reason and not reason.strip():
        raise ValidationError(_("请填写%(action)s的原因。") % {"action": move.label})
    with transaction.atomic():
        locked = _lock_disclosure(disclosure.pk)
        step = MoveStep(move=move, disclosure=locked, revision=None, actor=actor, now=timezone.now(), data=data)
        before_status = locked.status
        before_state = _apply(step)
        if step.revision is not None:
            step.revision.save(update_fields=step.revision_fields)
        if step.disclosure_fields:  # a correction's review leaves the published disclosure's row alone
            locked.save(update_fields=[*step.disclosure_fields, "updated_at"])
        changes = {"revision_state": [before_state, step.revision.state]} if step.revision is not None else {}
        if before_status != locked.status:
            changes["status"] = [before_status, locked.status]
        audit_record(actor=actor, action=move.audit_action, obj=locked, changes=changes, reason=reason, data=step.data)
        if move.notifies:
            transaction.on_commit(lambda: notify_move(disclosure_id=locked.pk, move=move.name))
    return step.revision if step.revision is not None else locked


def _apply(step):
    """Check the state and change it (revision first, disclosure mirroring it before its first publication).
    Returns the revision's state before the move (None for a move of the disclosure as a whole)."""
    move, disclosure = step.move, step.disclosure
    if move.on != ON_REVISION:
        if not move_allowed_now(move, disclosure, None):
            raise _wrong_state(move, disclosure.get_status_display())
        disclosure.status = move.target
        step.disclosure_fields.append("status")
        _run_handler(step)
        return None
    if disclosure.status == Status.TAKEN_DOWN:
        raise ValidationError(_("该公开事项已撤下。"))
    revision = (
        disclosure.revisions.select_for_update().exclude(state__in=CLOSED_REVISION_STATES).order_by("-number").first()
    )
    if not move_allowed_now(move, disclosure, revision):
        raise _wrong_state(move, revision.get_state_display() if revision else disclosure.get_status_display())
    revision.disclosure = disclosure
    refusal = precondition_refusal(move, revision)
    if refusal is not None:
        raise ValidationError(refusal)
    before = revision.state
    step.revision = revision
    step.data = {"revision": revision.number, **step.data}
    revision.state = move.target
    step.revision_fields.append("state")
    _run_handler(step)
    if disclosure.current_revision_id is None and "status" not in step.disclosure_fields:
        disclosure.status = move.target  # before the first publication the disclosure follows its revision
        step.disclosure_fields.append("status")
    return before


def _run_handler(step):
    if step.move.handler:
        MOVE_HANDLERS[step.move.handler](step)


def _handle_submit(step):
    revision, disclosure = step.revision, step.disclosure
    if revision.number > 1 and not revision.reason.strip():
        raise ValidationError(_("更正版本须填写更正原因后才能提交。"))
    if disclosure.category.kind == Kind.ROSTER and not revision.entries.exists():
        raise ValidationError(_("名单为空，不能提交。"))
    revision.submitted_at = step.now
    step.revision_fields.append("submitted_at")


def _handle_publish(step):
    """Seal the content (checksum), supersede the previous revision (its diff goes into the event) and,
    on the first publication, publish the disclosure and open its objection window."""
    disclosure, revision, now = step.disclosure, step.revision, step.now
    revision.published_at = now
    revision.checksum = revision_checksum(revision)
    step.revision_fields += ["published_at", "checksum"]
    previous = disclosure.current_revision
    if previous is not None:
        Revision.objects.filter(pk=previous.pk).update(state=RevisionState.SUPERSEDED)
        step.data["diff"] = revision_diff(previous, revision).summary()
        step.data["correction_reason"] = revision.reason
    disclosure.current_revision = revision
    step.disclosure_fields.append("current_revision")
    bulletin_queue(revision, now=now)  # rendered by a worker; queued in this transaction, so never for a rollback
    if disclosure.first_published_at is None:
        disclosure.first_published_at = now
        disclosure.status = Status.PUBLISHED
        step.disclosure_fields += ["first_published_at", "status"]
        days = disclosure.category.objection_days
        if disclosure.phase == Phase.PRE and days:
            disclosure.objection_ends_at = objection_window_end(now, days)
            step.disclosure_fields.append("objection_ends_at")


def objection_window_end(published_at, days):
    """The last second (23:59:59, local time) of the day ``days`` calendar days after publication.

    A window that ended ``days × 24`` hours after the clerk pressed publish closed at odd hours (03:44) and in the
    middle of the day a resident counted on; the end of a calendar day is what a notice board says, and it never
    gives less time than the old reckoning. The tick confirms once ``objection_ends_at <= now``, so it agrees.
    """
    last_day = timezone.localtime(published_at).date() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(last_day, dt.time(23, 59, 59)))


def _handle_confirm(step):
    step.disclosure.confirmed_at = step.now
    step.disclosure_fields.append("confirmed_at")
    step.data = {"objection_ends_at": step.disclosure.objection_ends_at, **step.data}


def _handle_take_down(step):
    step.disclosure.taken_down_at = step.now
    step.disclosure_fields.append("taken_down_at")
    step.data = {"anonymized_entries": anonymize_disclosure(step.disclosure), **step.data}


# The extra work of a move, by ``Move.handler``. Checked at import: a handler named in the table and
# missing here would otherwise be a move that silently does less.
MOVE_HANDLERS = {
    "submit": _handle_submit,
    "publish": _handle_publish,
    "confirm": _handle_confirm,
    "take_down": _handle_take_down,
}
# The checks that may refuse a move the state allows, by ``Move.precondition``: a message, or None.
MOVE_PRECONDITIONS = {"leads_acknowledged": _leads_acknowledged}
_UNHANDLED = {m.handler for m in MOVES.values() if m.handler} ^ set(MOVE_HANDLERS)
_UNHANDLED |= {m.precondition for m in MOVES.values() if m.precondition} - set(MOVE_PRECONDITIONS)
if _UNHANDLED:
    raise ImproperlyConfigured(f"disclosure move handlers out of step with models.MOVES: {sorted(_UNHANDLED)}")


def _revision_move(name, disclosure, actor, reason):
    revision = transition(disclosure, name, actor, reason=reason)
    disclosure.refresh_from_db()
    return revision


def disclosure_submit(*, disclosure, actor, reason=""):
    return _revision_move("submit", disclosure, actor, reason)


def disclosure_approve_township(*, disclosure, actor, reason=""):
    return _revision_move("approve_township", disclosure, actor, reason)


def disclosure_approve_discipline(*, disclosure, actor, reason=""):
    return _revision_move("approve_discipline", disclosure, actor, reason)


def disclosure_publish(*, disclosure, actor, reason=""):
    return _revision_move("publish", disclosure, actor, reason)


def disclosure_return(*, disclosure, actor, reason):
    return _revision_move("return", disclosure, actor, reason)


def disclosure_archive(*, disclosure, actor, reason=""):
    transition(disclosure, "archive", actor, reason=reason)
    disclosure.refresh_from_db()
    return disclosure


def disclosure_take_down(*, disclosure, actor, reason):
    """Take a disclosure off every public output and strip the personal data of all its revisions."""
    transition(disclosure, "take_down", actor, reason=reason)
    disclosure.refresh_from_db()
    return disclosure


def _forget_attachments(disclosure):
    """Attachments (scans of lists, photos) may hold what the anonymizer strips from rows: their files are
    deleted from private storage once the take-down commits, and the rows keep only their size."""
    attachments = Attachment.objects.filter(revision__disclosure=disclosure).exclude(file="")
    names = list(attachments.values_list("file", flat=True))
    attachments.update(file="", filename="", title=_("（已隐去）"))
    storage = Attachment._meta.get_field("file").storage

    def delete_files():
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)


def anonymize_disclosure(disclosure):
    """Strip names, IDs, bank accounts and remarks from every revision's entries. Returns how many rows.

    The one exception to "published content never changes": retention and privacy take-downs.
    Amounts, groups and counts stay, so totals in the audit trail remain meaningful.
    """
    Bulletin.objects.filter(revision__disclosure=disclosure).delete()
    transaction.on_commit(lambda: forget_bulletins(disclosure))
    _forget_attachments(disclosure)
    return RosterEntry.objects.filter(revision__disclosure=disclosure).update(
        name=_("（已隐去）"), person_key="", id_masked="", id_encrypted="", bank_account_encrypted="", remark=""
    )


def bulletin_regenerate(*, revision, actor):
    """Render a public revision's bulletin PDF again (staff who may publish; after a failure, or a template
    change). The stored file stays served until the new one replaces it."""
    disclosure = revision.disclosure
    _check(actor, "disclosure.publish", disclosure.division)
    with transaction.atomic():
        locked = _lock_disclosure(disclosure.pk)
        revision = Revision.objects.get(pk=revision.pk, disclosure=locked)
        if locked.status not in PUBLIC_STATUSES or revision.state not in CLOSED_REVISION_STATES:
            raise ValidationError(_("只有公开中的版本才能生成公示栏 PDF。"))
        bulletin_queue(revision, replace=True)
        data = {"revision": revision.number}
        audit_record(actor=actor, action="disclosure.bulletin_regenerated", obj=locked, data=data)
    return revision


# --- periodic work ---------------------------------------------------------------------------


def disclosures_tick(*, unresolved_objections, now=None):
    """Confirm pre rosters whose objection window has closed without unanswered objections.

    ``unresolved_objections(disclosure_ids)`` answers which of them still have objections waiting for
    an answer (complaints know, this app does not); the caller passes it explicitly, so a tick cannot
    confirm a roster merely because nobody asked.

    Idempotent and safe to run twice at once: the rows are locked and re-checked, and each
    confirmation writes one event (bulk-inserted).
    """
    now = now or timezone.now()
    move = MOVES["confirm"]  # the same table as single moves; one event per item, bulk-inserted
    with transaction.atomic():
        due = list(
            Disclosure.objects.select_for_update()
            .filter(status__in=move.sources, phase=Phase.PRE, objection_ends_at__lte=now)
            .order_by("pk")
        )
        blocked = set(unresolved_objections([d.pk for d in due])) if due else set()
        ready = [d for d in due if d.pk not in blocked and move_allowed_now(move, d, None)]
        Disclosure.objects.filter(pk__in=[d.pk for d in ready]).update(
            status=move.target, confirmed_at=now, updated_at=now
        )
        audit_record_many(
            [
                build_event(
                    actor=None,
                    action=move.audit_action,
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
            transition(
                disclosure,
                "take_down",
                None,
                reason=_("超过保留期限，自动撤下并隐去个人信息。"),
                system=True,
                retention_days=disclosure.category.retention_days,
            )
        except ValidationError:
            continue  # someone else took it down meanwhile
        done += 1
    return f"{done} taken down after retention"


# --- notifications ----------------------------------------------------------------------------


def notify_move(*, disclosure_id, move):
    """E-mail whoever acts next (``Move.notifies``, after commit). Staff without an e-mail see it in the admin."""
    role = MOVES[move].notifies
    if role is None:
        return 0
    disclosure = Disclosure.objects.select_related("division", "category").get(pk=disclosure_id)
    _division, users = next_actors(disclosure, role)  # the same people the clerk is told the roster waits for
    emails = list(users.exclude(email="").values_list("email", flat=True))
    if not emails:
        return 0
    subject = _("【阳光村务】%(d)s：%(m)s") % {"d": disclosure, "m": MOVES[move].label}
    return send_mail(subject, f"{settings.SITE_URL}/admin/disclosures/disclosure/{disclosure_id}/change/", None, emails)
