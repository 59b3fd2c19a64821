"""MACs for audit events and seals, with keys the database never holds.

An event's MAC is ``HMAC-SHA256(AUDIT_HMAC_KEYS[key_id], canonical event)``, computed just before
it is inserted; the canonical form leaves out the id (unknown before the insert, and meaningless
for a forgery check: the seal chain fixes the order). A seal's hash is ``HMAC(key, previous seal
hash + event mac)``. Someone who can write to the database but does not hold the key can neither
forge an event that seals, nor re-chain the seals after deleting or changing one.
"""

import datetime
import hashlib
import hmac
import ipaddress
import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def signing_key():
    """``(key_id, key bytes)`` of the newest key, the one that signs."""
    keys = settings.AUDIT_HMAC_KEYS
    if not keys:
        raise ImproperlyConfigured("AUDIT_HMAC_KEYS is empty: audit events cannot be signed")
    key_id, key = next(iter(keys.items()))
    return key_id, key.encode("utf-8")


def verifying_key(key_id):
    """The key bytes for ``key_id``, or None when this installation no longer (or never) held it."""
    key = settings.AUDIT_HMAC_KEYS.get(key_id)
    return key.encode("utf-8") if key is not None else None


def _normal_ip(ip):
    # PostgreSQL's inet may print an address differently from how it was given; compare addresses.
    return str(ipaddress.ip_address(ip)) if ip else None


def _utc_iso(moment):
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def canonical_fields(
    *,
    created_at,
    actor_id,
    actor_label,
    action,
    content_type_id,
    object_id,
    object_repr,
    division_id,
    changes,
    reason,
    ip,
    data,
    key_id,
):
    """The signed text of one event, from its field values (bulk paths sign rows without models)."""
    payload = {
        "created_at": _utc_iso(created_at),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "content_type_id": content_type_id,
        "object_id": object_id,
        "object_repr": object_repr,
        "division_id": division_id,
        "changes": changes,
        "reason": reason,
        "ip": _normal_ip(ip),
        "data": data,
        "key_id": key_id,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_event(event, key_id):
    return canonical_fields(
        created_at=event.created_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        content_type_id=event.content_type_id,
        object_id=event.object_id,
        object_repr=event.object_repr,
        division_id=event.division_id,
        changes=event.changes,
        reason=event.reason,
        ip=event.ip,
        data=event.data,
        key_id=key_id,
    )


def mac_of(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_event(event):
    """Set ``key_id`` and ``mac`` on an unsaved event from its current field values."""
    key_id, key = signing_key()
    event.key_id = key_id
    event.mac = mac_of(key, canonical_event(event, key_id))
    return event


def event_mac_ok(event):
    key = verifying_key(event.key_id)
    if key is None or not event.mac:
        return False
    return hmac.compare_digest(event.mac, mac_of(key, canonical_event(event, event.key_id)))


def seal_hash(key, prev_hash, event_mac):
    return mac_of(key, prev_hash + event_mac)
