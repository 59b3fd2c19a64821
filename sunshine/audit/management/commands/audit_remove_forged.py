"""Remove an unsealed audit event whose MAC does not verify, leaving a signed, sealed record of it.

Sealing stops at such an event (``ForgedEventError``) and ``tick`` fails until it is dealt with. Only
the tables' owner may delete audit rows, so this runs with the owner's database login; the app role
is refused by the trigger. A sealed or genuine event is never removed.
"""

import hashlib

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from sunshine.audit.models import AuditEvent
from sunshine.audit.services import audit_record, seal_pending
from sunshine.audit.signing import canonical_event, event_mac_ok


class Command(BaseCommand):
    help = "Remove an unsealed audit event with an invalid MAC (as the table owner); records and seals the removal."

    def add_arguments(self, parser):
        parser.add_argument("event_id", type=int)
        parser.add_argument("--reason", required=True, help="why, for the record (e.g. the ticket number)")

    def handle(self, *args, event_id, reason, **options):
        with transaction.atomic():
            event = AuditEvent.objects.filter(pk=event_id, seal__isnull=True).first()
            if event is None:
                raise CommandError(f"event #{event_id} does not exist or is sealed: sealed events are never removed")
            if event_mac_ok(event):
                raise CommandError(f"event #{event_id} has a valid MAC: it is genuine and stays")
            fingerprint = hashlib.sha256(canonical_event(event, event.key_id).encode("utf-8")).hexdigest()
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [event_id])
            except DatabaseError as exc:
                raise CommandError(f"only the audit tables' owner may remove events: {exc}") from exc
            audit_record(
                actor=None,
                action="audit.forgery_removed",
                reason=reason,
                object_repr=f"#{event_id}",
                data={
                    "event_id": event_id,
                    "action": event.action,
                    "created_at": event.created_at.isoformat(),
                    "sha256": fingerprint,
                },
            )
        sealed = seal_pending()
        self.stdout.write(f"removed forged event #{event_id} (sha256 {fingerprint}); sealed {sealed} event(s)")
