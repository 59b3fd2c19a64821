"""The one way to write audit events, and the sealing that chains them.

Services call :func:`audit_record` inside their own transaction, so the event
commits or rolls back with the change it records. Events never hold full ID
numbers, phones or bank accounts: pass masked values only; free text (the
reason, the object's label, strings in ``changes``/``data``) is masked here as
well, before the event is built, so what is hashed is what is stored.
"""

import datetime
import hashlib
import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from sunshine.masking import mask_free_text, mask_values

from .actions import check_action
from .context import current_ip
from .models import AuditEvent, AuditSeal

GENESIS_HASH = "0" * 64


def _jsonable(value):
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj, fields):
    """The values of ``fields`` on ``obj`` as JSON-safe data (foreign keys as ids)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname)
    return _jsonable(values)


def diff(before, after):
    """``{field: [before, after]}`` for the fields whose values differ."""
    before, after = _jsonable(before), _jsonable(after)
    keys = list(dict.fromkeys([*before, *after]))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _division_id_of(obj):
    """The division an event is filed under, so inspectors see it in their jurisdiction.

    Read by duck typing (the project package imports no domain app): a division files under itself
    (it has a materialized ``path``), other objects under ``jurisdiction()`` or ``division``.
    """
    if obj is None:
        return None
    if hasattr(obj, "path") and hasattr(obj, "level"):
        return obj.pk
    getter = getattr(obj, "jurisdiction", None)
    division = (getter() if callable(getter) else getter) if getter is not None else getattr(obj, "division", None)
    return division.pk if division is not None else None


def _repr_of(obj, object_repr):
    if object_repr is not None:
        return object_repr
    return str(obj) if obj is not None else ""


def build_event(*, actor, action, obj=None, division=None, changes=None, reason="", data=None, object_repr=None):
    """An unsaved event; :func:`audit_record` saves one, bulk paths save many."""
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent(
        created_at=timezone.now(),
        actor_id=actor_id,
        actor_label=(actor.get_username() if actor_id else (str(actor) if actor else "system"))[:150],
        action=check_action(action),
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=mask_free_text(_repr_of(obj, object_repr))[:200],
        division_id=division.pk if division is not None else _division_id_of(obj),
        changes=mask_values(_jsonable(changes)),
        reason=mask_free_text(reason or ""),
        ip=current_ip.get(),
        data=mask_values(_jsonable(data)),
    )


def audit_record(**kwargs):
    """Write one audit event now (inside the caller's transaction)."""
    event = build_event(**kwargs)
    event.save()
    return event


def audit_record_many(events, batch_size=1000):
    """Write many prepared events (from :func:`build_event`); ``batch_size=None`` sends one statement."""
    return AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def canonical(event):
    created = event.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    payload = {
        "id": event.pk,
        "created_at": created,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "content_type_id": event.content_type_id,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "division_id": event.division_id,
        "changes": event.changes,
        "reason": event.reason,
        "ip": event.ip,
        "data": event.data,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link_hash(prev_hash, event):
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def _lock_sealing():
    # Writers never wait on this lock: only sealers take it. SQLite's
    # IMMEDIATE transactions already serialize writers, so it needs nothing.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5EA1])


def seal_pending(*, batch_size=5000):
    """Chain every unsealed event, in id order, after the last seal. Returns how many."""
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_sealing()
            last = AuditSeal.objects.order_by("-seq").first()
            prev_hash = last.hash if last else GENESIS_HASH
            seq = last.seq if last else 0
            pending = list(AuditEvent.objects.filter(seal__isnull=True).order_by("id")[:batch_size])
            if not pending:
                return sealed
            now = timezone.now()
            seals = []
            for event in pending:
                seq += 1
                digest = link_hash(prev_hash, event)
                seals.append(AuditSeal(event=event, seq=seq, prev_hash=prev_hash, hash=digest, sealed_at=now))
                prev_hash = digest
            AuditSeal.objects.bulk_create(seals)
            sealed += len(seals)


class ChainBroken(Exception):
    pass


def verify_chain():
    """Walk the chain in seal order. Returns ``(count, head_hash)``; raises ChainBroken naming the first bad link."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    seals = AuditSeal.objects.order_by("seq").values_list("seq", "event_id", "prev_hash", "hash")
    events = AuditEvent.objects.in_bulk
    chunk = []

    def check(rows):
        nonlocal prev_hash, expected_seq, count
        found = events([row[1] for row in rows])
        for seq, event_id, stored_prev, stored_hash in rows:
            if seq != expected_seq:
                raise ChainBroken(f"seal #{expected_seq} is missing (next seal is #{seq}, event #{event_id})")
            event = found.get(event_id)
            if event is None:
                raise ChainBroken(f"event #{event_id} (seal #{seq}) was deleted")
            if stored_prev != prev_hash:
                raise ChainBroken(f"event #{event_id} (seal #{seq}): link to the previous event was altered")
            if link_hash(prev_hash, event) != stored_hash:
                raise ChainBroken(f"event #{event_id} (seal #{seq}) was altered after it was sealed")
            prev_hash = stored_hash
            expected_seq += 1
            count += 1

    for row in seals.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) >= 2000:
            check(chunk)
            chunk = []
    if chunk:
        check(chunk)
    return count, prev_hash
