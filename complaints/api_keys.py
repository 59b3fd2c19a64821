"""Open311 api_keys: issued by staff, stored as a hash, checked on POST."""

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record
from villages.permissions import can

from .models import ApiKey


@transaction.atomic
def api_key_issue(*, name, actor):
    """Returns ``(ApiKey, raw key)``; the raw key is shown once. ``actor`` None: the ``open311_key`` command."""
    raw = secrets.token_urlsafe(24)
    key = ApiKey.objects.create(name=name, prefix=raw[:6], key_hash=ApiKey.hash(raw), created_by=actor)
    audit_record(actor=actor, action="open311_key.issued", obj=key, data={"name": name, "prefix": key.prefix})
    return key, raw


issue_key = api_key_issue  # the name the ``open311_key`` command and older callers use


@transaction.atomic
def api_key_change(*, key, actor):
    """Save a key's name and whether it is active (the admin's edit), audited."""
    if not can(actor, "open311_key.change"):
        raise PermissionDenied(_("您无权修改 Open311 密钥。"))
    stored = ApiKey.objects.get(pk=key.pk)
    changes = {
        f: [getattr(stored, f), getattr(key, f)] for f in ("name", "is_active") if getattr(stored, f) != getattr(key, f)
    }
    key.save(update_fields=["name", "is_active"])
    audit_record(actor=actor, action="open311_key.changed", obj=key, changes=changes, data={"is_active": key.is_active})
    return key


def check_key(raw):
    if not raw:
        return None
    key = ApiKey.objects.filter(key_hash=ApiKey.hash(raw), is_active=True).first()
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
