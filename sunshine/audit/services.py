"""The one way to write audit events, and the sealing that chains them.

Services call :func:`audit_record` inside their own transaction, so the event
commits or rolls back with the change it records. Events never hold full ID
numbers, phones or bank accounts: pass masked values only; free text (the
reason, the object's label, strings in ``changes``/``data``) is masked here as
well, before the event is built, so what is hashed is what is stored.
"""

import json
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from sunshine.masking import mask_free_text, mask_values

from .actions import check_action
from .context import current_ip
from .models import AuditEvent, AuditHead, AuditSeal, division_paths
from .signing import BulkSigner, event_mac_ok, seal_hash, signing_key, verifying_key

GENESIS_HASH = "0" * 64
logger = logging.getLogger(__name__)


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


def _division_of(obj):
    """The division an event is filed under, so inspectors see it in their jurisdiction.

    Read by duck typing (the project package imports no domain app): a division files under itself
    (it has a materialized ``path``), other objects under ``jurisdiction()`` or ``division``.
    """
    if obj is None:
        return None
    if hasattr(obj, "path") and hasattr(obj, "level"):
        return obj
    getter = getattr(obj, "jurisdiction", None)
    return (getter() if callable(getter) else getter) if getter is not None else getattr(obj, "division", None)


def _repr_of(obj, object_repr):
    if object_repr is not None:
        return object_repr
    return str(obj) if obj is not None else ""


def build_event(*, actor, action, obj=None, division=None, changes=None, reason="", data=None, object_repr=None):
    """An unsaved event; :func:`audit_record` saves one, bulk paths save many."""
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    division = division if division is not None else _division_of(obj)
    return AuditEvent(
        created_at=timezone.now(),
        actor_id=actor_id,
        actor_label=(actor.get_username() if actor_id else (str(actor) if actor else "system"))[:150],
        action=check_action(action),
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=mask_free_text(_repr_of(obj, object_repr))[:200],
        division_id=division.pk if division is not None else None,
        division_path=division.path if division is not None else "",
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
    """Write many prepared events (from :func:`build_event`); ``batch_size=None`` sends one statement.

    Each is signed as it is inserted, so fields may still be set after ``build_event``.
    """
    return AuditEvent.objects.bulk_create(events, batch_size=batch_size)


ROW_FIELDS = (
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "division_id",
    "changes",
    "reason",
    "ip",
    "data",
)


def audit_record_rows(rows):
    """Fast bulk path for ticks that write 100,000 events: ``rows`` are dicts of :data:`ROW_FIELDS`
    (``division_path`` may be given too; otherwise it is looked up, one query for all rows).

    No model instances: each row is signed from its values (:class:`BulkSigner`) and, on
    PostgreSQL, sent with COPY (elsewhere with ``bulk_create``). Values must already be what the
    database returns (JSON-safe ``changes``/``data``, strings within the column's length).
    Returns how many.
    """
    for row in rows:
        check_action(row["action"])
    paths = division_paths(row["division_id"] for row in rows if not row.get("division_path"))
    for row in rows:
        if not row.get("division_path"):
            row["division_path"] = paths.get(row["division_id"], "")
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create([AuditEvent(**row) for row in rows], batch_size=1000)  # signs each as it inserts
        return len(rows)
    signer = BulkSigner()
    encoded_rows = [signer.sign(row) for row in rows]
    columns = (*ROW_FIELDS, "division_path", "key_id", "mac")
    changes_at, data_at = columns.index("changes"), columns.index("data")
    with connection.cursor() as cursor:
        copy_sql = f"COPY {AuditEvent._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for row, encoded in zip(rows, encoded_rows):
                values = [row[name] for name in columns]
                values[changes_at], values[data_at] = encoded["changes"], encoded["data"]  # JSON text for jsonb
                copy.write_row(values)
    return len(rows)


def _lock_sealing():
    # Writers never wait on this lock: only sealers take it. SQLite's
    # IMMEDIATE transactions already serialize writers, so it needs nothing.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5EA1])


class ForgedEventError(Exception):
    """Sealing stopped at an event whose MAC does not verify (forged or altered before sealing)."""


def _seal_batch(batch_size, now):
    """Seal up to ``batch_size`` pending events in id order; stop before the first bad MAC.

    Returns ``(sealed, refused_event_or_None, pending_count)``.
    """
    last = AuditSeal.objects.order_by("-seq").first()
    prev_hash = last.hash if last else GENESIS_HASH
    seq = last.seq if last else 0
    pending = list(AuditEvent.objects.filter(seal__isnull=True).order_by("id")[:batch_size])
    key_id, key = signing_key()
    seals, refused = [], None
    for event in pending:
        if not event_mac_ok(event):
            refused = event
            break
        seq += 1
        digest = seal_hash(key, prev_hash, event.mac)
        seals.append(AuditSeal(event=event, seq=seq, prev_hash=prev_hash, hash=digest, sealed_at=now, key_id=key_id))
        prev_hash = digest
    AuditSeal.objects.bulk_create(seals)
    return len(seals), refused, len(pending)


def current_head():
    """The newest seal (``seq``, ``hash``, ``key_id``), or None before anything is sealed: printed on bulletins."""
    return AuditSeal.objects.order_by("-seq").values("seq", "hash", "key_id").first()


def publish_head_if_due(now=None):
    """Add an ``AuditHead`` for the current chain head unless one was published today. Returns it or None."""
    now = now or timezone.now()
    last_seal = AuditSeal.objects.order_by("-seq").first()
    if last_seal is None:
        return None
    newest = AuditHead.objects.order_by("-at", "-id").first()
    if newest is not None and timezone.localdate(newest.at) >= timezone.localdate(now):
        return None
    return AuditHead.objects.create(seq=last_seal.seq, hash=last_seal.hash, at=now, key_id=last_seal.key_id)


def seal_pending(*, batch_size=5000, now=None):
    """Chain every unsealed event, in id order, after the last seal, and publish a head at least daily.

    An event whose MAC does not verify is never sealed: sealing stops there (later events stay
    unsealed), what came before is committed, and :class:`ForgedEventError` names it, so the tick
    fails loudly until the table owner has dealt with it. Returns how many were sealed.
    """
    now = now or timezone.now()
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_sealing()
            count, refused, pending = _seal_batch(batch_size, now)
            sealed += count
            if refused is not None or pending < batch_size:
                publish_head_if_due(now)
                break
    if refused is not None:
        logger.error("audit event #%s has no valid MAC: not sealed", refused.pk)
        raise ForgedEventError(
            f"event #{refused.pk} is forged or altered (its MAC does not verify): sealing stopped there "
            f"after sealing {sealed} event(s); later events stay unsealed"
        )
    return sealed


class ChainBroken(Exception):
    pass


class ChainReport:
    """What :func:`audit_chain_report` found: sealed count, head, and every problem, one line each."""

    def __init__(self):
        self.count = 0
        self.head_seq = 0
        self.head_hash = GENESIS_HASH
        self.problems = []

    @property
    def intact(self):
        return not self.problems


def _check_seal(report, seal, event):
    """Check one seal (and its event) against the chain so far; record problems; advance the head."""
    seq, event_id, stored_prev, stored_hash, key_id = seal
    if seq != report.head_seq + 1:
        report.problems.append(
            f"seal(s) #{report.head_seq + 1}–#{seq - 1} missing: their events were removed from the chain"
        )
    if event is None:
        report.problems.append(f"event #{event_id} (seal #{seq}) was deleted")
    elif not event_mac_ok(event):
        report.problems.append(f"event #{event_id} (seal #{seq}) was altered after it was sealed (MAC does not verify)")
    if event is not None and event.division_path and not event.division_path.endswith(f"/{event.division_id}/"):
        report.problems.append(f"event #{event_id} (seal #{seq}) is filed under a division path that is not its own")
    if stored_prev != report.head_hash:
        report.problems.append(f"event #{event_id} (seal #{seq}): link to the previous event was altered")
    key = verifying_key(key_id)
    if key is None:
        report.problems.append(f"seal #{seq} (event #{event_id}) uses unknown key id {key_id!r}")
    elif event is not None and seal_hash(key, stored_prev, event.mac) != stored_hash:
        report.problems.append(f"event #{event_id} (seal #{seq}): seal forged or event MAC replaced")
    report.count += 1
    report.head_seq, report.head_hash = seq, stored_hash


def _ranges(ids):
    """``[1, 2, 3, 7]`` → ``"#1–#3, #7"``: every id named, without a page of numbers."""
    parts, start, prev = [], None, None
    for pk in ids:
        if start is not None and pk == prev + 1:
            prev = pk
            continue
        if start is not None:
            parts.append(f"#{start}" if start == prev else f"#{start}–#{prev}")
        start = prev = pk
    if start is not None:
        parts.append(f"#{start}" if start == prev else f"#{start}–#{prev}")
    return ", ".join(parts)


def _check_unsealed(report):
    unsealed, forged = [], []
    for event in AuditEvent.objects.filter(seal__isnull=True).order_by("id").iterator(chunk_size=2000):
        (unsealed if event_mac_ok(event) else forged).append(event.pk)
    for pk in forged:
        report.problems.append(f"event #{pk} is forged (MAC does not verify) and unsealed")
    if unsealed:
        report.problems.append(f"{len(unsealed)} event(s) not sealed yet: {_ranges(unsealed)}")


def check_heads(report, heads, source):
    """Compare published heads (dicts with ``seq`` and ``hash``) with the chain; record problems."""
    hashes = dict(AuditSeal.objects.filter(seq__in=[int(h["seq"]) for h in heads]).values_list("seq", "hash"))
    for head in heads:
        seq = int(head["seq"])
        if seq > report.head_seq:
            report.problems.append(f"{source} head #{seq} is beyond the chain (chain ends at #{report.head_seq})")
        elif seq not in hashes:
            report.problems.append(f"{source} head #{seq} is missing from the chain")
        elif hashes[seq] != head["hash"]:
            report.problems.append(f"{source} head #{seq} differs from the chain (rewritten before it)")


def audit_chain_report():
    """Walk the whole chain; name every forged, altered, missing or unsealed event. Never raises."""
    report = ChainReport()
    seals = AuditSeal.objects.order_by("seq").values_list("seq", "event_id", "prev_hash", "hash", "key_id")
    chunk = []

    def check(rows):
        found = AuditEvent.objects.in_bulk([row[1] for row in rows])
        for row in rows:
            _check_seal(report, row, found.get(row[1]))

    for row in seals.iterator(chunk_size=2000):
        chunk.append(row)
        if len(chunk) >= 2000:
            check(chunk)
            chunk = []
    if chunk:
        check(chunk)
    _check_unsealed(report)
    check_heads(report, list(AuditHead.objects.values("seq", "hash")), "published")
    return report


def verify_chain():
    """``(count, head_hash)`` of an intact chain; raises :class:`ChainBroken` listing every problem."""
    report = audit_chain_report()
    if not report.intact:
        raise ChainBroken("; ".join(report.problems))
    return report.count, report.head_hash
