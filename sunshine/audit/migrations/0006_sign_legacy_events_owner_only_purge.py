"""Sign the events written before MACs existed, re-chain their seals with the key, and close the purge escape.

Legacy events: the old chain (``sha256(prev + canonical event with id)``) is walked first. Every
event whose link still verifies gets a MAC now and a keyed seal in the same order; an event whose
link does not verify keeps an empty MAC, so ``audit_verify`` keeps naming it forever instead of the
migration blessing a tampered row. Unsealed legacy events are signed too: the old tick would have
sealed them as they are, so this grants them nothing they were not about to get (see
docs/decisions-a11.md).

Triggers: nobody may UPDATE; only the tables' owner (the role that runs migrations) may DELETE or
TRUNCATE, so the test suite's flush still works while the app role (``setup_db_roles``) cannot. The
old ``sunshine.audit_purge`` setting, which any role could set, no longer means anything.
"""

import datetime
import hashlib
import json

from django.db import migrations

from sunshine.audit.signing import canonical_event, mac_of, seal_hash, signing_key

TABLES = ("audit_auditevent", "audit_auditseal", "audit_audithead")
GENESIS_HASH = "0" * 64

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' AND EXISTS (
        SELECT 1 FROM pg_tables
        WHERE schemaname = TG_TABLE_SCHEMA AND tablename = TG_TABLE_NAME AND tableowner = current_user
    ) THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (%% on %% by %%)', TG_OP, TG_TABLE_NAME, current_user;
END;
$$ LANGUAGE plpgsql;
"""


def _legacy_canonical(event):
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


def _set_triggers(schema_editor, enabled):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("audit_auditevent", "audit_auditseal"):
        schema_editor.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def _sign_legacy(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditSeal = apps.get_model("audit", "AuditSeal")
    if not AuditEvent.objects.exists():
        return
    key_id, key = signing_key()
    prev_legacy, prev_keyed = GENESIS_HASH, GENESIS_HASH
    seals = list(AuditSeal.objects.order_by("seq"))
    events = AuditEvent.objects.in_bulk([seal.event_id for seal in seals])
    for seal in seals:
        event = events.get(seal.event_id)
        intact = (
            event is not None
            and seal.prev_hash == prev_legacy
            and hashlib.sha256((prev_legacy + _legacy_canonical(event)).encode("utf-8")).hexdigest() == seal.hash
        )
        prev_legacy = seal.hash
        mac = ""
        if event is not None:
            event.key_id = key_id
            event.mac = mac = mac_of(key, canonical_event(event, key_id)) if intact else ""
        seal.prev_hash, seal.key_id = prev_keyed, key_id
        seal.hash = prev_keyed = seal_hash(key, prev_keyed, mac)
    unsealed = list(AuditEvent.objects.filter(seal__isnull=True))
    for event in unsealed:
        event.key_id = key_id
        event.mac = mac_of(key, canonical_event(event, key_id))
    _set_triggers(schema_editor, enabled=False)
    AuditEvent.objects.bulk_update([*events.values(), *unsealed], ["key_id", "mac"], batch_size=1000)
    AuditSeal.objects.bulk_update(seals, ["prev_hash", "hash", "key_id"], batch_size=1000)
    _set_triggers(schema_editor, enabled=True)


def forwards(apps, schema_editor):
    _sign_legacy(apps, schema_editor)
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PG_FUNCTION)
    schema_editor.execute(
        "CREATE TRIGGER audit_audithead_append_only BEFORE UPDATE OR DELETE ON audit_audithead "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();"
    )
    schema_editor.execute(
        "CREATE TRIGGER audit_audithead_no_truncate BEFORE TRUNCATE ON audit_audithead "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_audithead_append_only ON audit_audithead;")
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_audithead_no_truncate ON audit_audithead;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_event_mac_seal_key_heads")]
    operations = [migrations.RunPython(forwards, backwards)]
