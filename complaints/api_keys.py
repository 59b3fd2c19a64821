"""Open311 api_keys: issued by staff, stored as a hash, checked on POST."""

import secrets

from django.db import transaction
from django.utils import timezone

from sunshine.audit.services import audit_record

from .models import ApiKey


@transaction.atomic
def issue_key(*, name, actor):
    """Returns ``(ApiKey, raw key)``; the raw key is shown once."""
    raw = secrets.token_urlsafe(24)
    key = ApiKey.objects.create(name=name, prefix=raw[:6], key_hash=ApiKey.hash(raw), created_by=actor)
    audit_record(actor=actor, action="open311_key.issued", obj=key, data={"name": name, "prefix": key.prefix})
    return key, raw


def check_key(raw):
    if not raw:
        return None
    key = ApiKey.objects.filter(key_hash=ApiKey.hash(raw), is_active=True).first()
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
