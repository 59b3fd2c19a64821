"""State changes for disclosures. Views, admin, API and commands call these; none sets status itself."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from sunshine.audit.services import audit_record
from villages.permissions import can

from .models import Disclosure, Phase, Revision, RevisionState, RosterEntry, Status

EDITABLE_REVISION_STATES = (RevisionState.DRAFT, RevisionState.RETURNED)


def disclosure_open_draft(*, actor, division, category, period, phase=Phase.SINGLE, title=""):
    """The editable revision for ``(division, category, period, phase)``.

    Creates the disclosure (status draft) and its first revision if there is
    none; returns the open draft/returned revision if one exists; and if the
    disclosure is already published, opens a correction revision (number + 1)
    that goes through the same review chain. A published revision is never
    touched.
    """
    if not can(actor, "disclosure.edit", division):
        raise PermissionDenied
    with transaction.atomic():
        disclosure, created = Disclosure.objects.select_for_update().get_or_create(
            division=division,
            category=category,
            period=period,
            phase=phase,
            defaults={"title": title, "created_by": actor, "status": Status.DRAFT},
        )
        if created:
            audit_record(
                actor=actor,
                action="disclosure.created",
                obj=disclosure,
                changes={"category": [None, category.slug], "period": [None, period], "phase": [None, phase]},
            )
        elif disclosure.status == Status.TAKEN_DOWN:
            raise ValidationError("该公开事项已撤下，不能再修改。")
        revision = (
            disclosure.revisions.select_for_update()
            .filter(state__in=EDITABLE_REVISION_STATES)
            .order_by("-number")
            .first()
        )
        if revision is not None:
            return revision
        in_review = disclosure.revisions.exclude(state__in=(RevisionState.PUBLISHED, RevisionState.SUPERSEDED)).exists()
        if in_review:
            raise ValidationError("该公开事项有一个版本正在审核中，审核结束前不能再修改。")
        number = (disclosure.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = Revision.objects.create(
            disclosure=disclosure, number=number, state=RevisionState.DRAFT, created_by=actor, title=title
        )
        audit_record(
            actor=actor,
            action="revision.opened" if number == 1 else "revision.correction_opened",
            obj=revision,
            division=division,
            changes={"number": [None, number]},
        )
        return revision


def revision_replace_entries(*, actor, revision, entries, source=None):
    """Replace every roster entry of an editable revision with ``entries`` (unsaved RosterEntry objects).

    One audit event records the counts and ``source`` (e.g. the import file's checksum);
    no personal data goes into it.
    """
    disclosure = revision.disclosure
    if not can(actor, "disclosure.edit", disclosure.division):
        raise PermissionDenied
    with transaction.atomic():
        locked = Revision.objects.select_for_update().get(pk=revision.pk)
        if locked.state not in EDITABLE_REVISION_STATES:
            raise ValidationError("只有草稿或退回的版本可以修改。")
        before_count, before_total = locked.entry_count, locked.amount_total
        RosterEntry.objects.filter(revision=locked).delete()
        total = Decimal("0")
        for position, entry in enumerate(entries, start=1):
            entry.revision = locked
            entry.position = position
            total += entry.amount or 0
        RosterEntry.objects.bulk_create(entries, batch_size=2000)
        locked.entry_count = len(entries)
        locked.amount_total = total
        locked.save(update_fields=["entry_count", "amount_total"])
        audit_record(
            actor=actor,
            action="revision.entries_replaced",
            obj=locked,
            division=disclosure.division,
            changes={"entry_count": [before_count, len(entries)], "amount_total": [before_total, total]},
            data=source or {},
        )
        revision.entry_count, revision.amount_total = locked.entry_count, locked.amount_total
        return locked
