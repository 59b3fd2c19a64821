"""State changes for divisions and staff roles; each writes one audit event."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr

from sunshine.audit.services import audit_record, diff, snapshot

from .models import Division, Membership
from .permissions import can

DIVISION_FIELDS = ("code", "name", "level", "parent", "sort_order", "lat", "long")


def division_save(*, actor, division):
    """Create or update a division (admin form already applied the values)."""
    target = division.parent if division.pk is None and division.parent_id else division
    if target is None or not can(actor, "division.change", target):
        raise PermissionDenied
    division.full_clean()
    with transaction.atomic():
        if division.pk is None:
            division.save()
            audit_record(
                actor=actor,
                action="division.created",
                obj=division,
                changes=diff({}, snapshot(division, DIVISION_FIELDS)),
            )
            return division
        before = Division.objects.select_for_update().get(pk=division.pk)
        moved = before.parent_id != division.parent_id
        division.save()
        if moved:
            _rebuild_paths(division, old_path=before.path)
        audit_record(
            actor=actor,
            action="division.changed",
            obj=division,
            changes=diff(snapshot(before, DIVISION_FIELDS), snapshot(division, DIVISION_FIELDS)),
        )
    return division


def _rebuild_paths(root, *, old_path):
    """Move the subtree's paths from ``old_path`` to ``root.path`` in one UPDATE."""
    Division.objects.filter(path__startswith=old_path).exclude(pk=root.pk).update(
        path=Concat(Value(root.path), Substr("path", len(old_path) + 1), output_field=CharField())
    )


def membership_grant(*, actor, user, division, role):
    if not can(actor, "membership.change", division):
        raise PermissionDenied
    membership = Membership(user=user, division=division, role=role)
    membership.full_clean()
    with transaction.atomic():
        membership.save()
        audit_record(
            actor=actor,
            action="membership.granted",
            obj=membership,
            division=division,
            changes={"user": [None, user.get_username()], "role": [None, role]},
        )
    return membership


def membership_change(*, actor, membership):
    """Save an edited membership (user, division or role changed in the admin)."""
    with transaction.atomic():
        before = Membership.objects.select_for_update().select_related("division").get(pk=membership.pk)
        if not (
            can(actor, "membership.change", before.division) and can(actor, "membership.change", membership.division)
        ):
            raise PermissionDenied
        membership.full_clean()
        membership.save()
        fields = ("user", "division", "role")
        audit_record(
            actor=actor,
            action="membership.changed",
            obj=membership,
            changes=diff(snapshot(before, fields), snapshot(membership, fields)),
        )
    return membership


def membership_revoke(*, actor, membership):
    if not can(actor, "membership.change", membership.division):
        raise PermissionDenied
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="membership.revoked",
            obj=membership,
            changes={"user": [membership.user.get_username(), None], "role": [membership.role, None]},
        )
        membership.delete()


def division_delete(*, actor, division):
    if not can(actor, "division.change", division):
        raise PermissionDenied
    if division.children.exists():
        raise ValidationError("该区划下还有下级区划，不能删除。")
    with transaction.atomic():
        audit_record(
            actor=actor, action="division.deleted", obj=division, changes=diff(snapshot(division, DIVISION_FIELDS), {})
        )
        division.delete()


# --- lists a county or township keeps: cadres, staff relatives, the holiday calendar ---------------

CADRE_FIELDS = ("division", "name", "position", "is_active")
RELATIVE_FIELDS = ("user", "name", "relation")
CALENDAR_FIELDS = ("date", "is_workday", "note")


def _require(actor, perm, where=None):
    if not can(actor, perm, where):
        raise PermissionDenied


def _audited_save(*, actor, obj, fields, codes):
    """Save ``obj`` (values already applied by a form) and write one event with the fields that changed.

    ``codes`` = (code when created, code when changed). The caller has checked the permission.
    """
    with transaction.atomic():
        created = obj.pk is None
        before = {} if created else snapshot(type(obj).objects.select_for_update().get(pk=obj.pk), fields)
        obj.save()
        changes = diff(before, snapshot(obj, fields))
        if created or changes:
            audit_record(actor=actor, action=codes[0] if created else codes[1], obj=obj, changes=changes)
    return obj


def _audited_delete(*, actor, obj, fields, code):
    with transaction.atomic():
        audit_record(actor=actor, action=code, obj=obj, changes=diff(snapshot(obj, fields), {}))
        obj.delete()


def cadre_save(*, actor, cadre):
    """A village cadre (who counts as one for conflict-of-interest routing), kept by the township."""
    _require(actor, "cadre.change", cadre.division)
    return _audited_save(actor=actor, obj=cadre, fields=CADRE_FIELDS, codes=("cadre.created", "cadre.changed"))


def cadre_delete(*, actor, cadre):
    _require(actor, "cadre.change", cadre.division)
    _audited_delete(actor=actor, obj=cadre, fields=CADRE_FIELDS, code="cadre.deleted")


def relative_save(*, actor, relative):
    """A staff member's registered relative (the importer warns when one appears on a roster)."""
    _require(actor, "relative.change")
    codes = ("relative.created", "relative.changed")
    return _audited_save(actor=actor, obj=relative, fields=RELATIVE_FIELDS, codes=codes)


def relative_delete(*, actor, relative):
    _require(actor, "relative.change")
    _audited_delete(actor=actor, obj=relative, fields=RELATIVE_FIELDS, code="relative.deleted")


def calendar_day_save(*, actor, day):
    """A county admin marks a date as a working day or a rest day (deadlines count over it)."""
    _require(actor, "calendar.change")
    codes = ("calendar_day.created", "calendar_day.changed")
    return _audited_save(actor=actor, obj=day, fields=CALENDAR_FIELDS, codes=codes)


def calendar_day_delete(*, actor, day):
    _require(actor, "calendar.change")
    _audited_delete(actor=actor, obj=day, fields=CALENDAR_FIELDS, code="calendar_day.deleted")
