"""The one periodic entry point: run it from cron or a systemd timer every few minutes.

Each step is idempotent and safe to run twice at once; a failing step is
reported and the others still run.
"""

import traceback

from django.core.management.base import BaseCommand, CommandError

from sunshine.hooks import optional_hook

TICK_STEPS = [
    "disclosures.services.disclosures_tick",  # close objection windows
    "disclosures.services.retention_sweep",  # take down rosters past retention
    "complaints.services.complaints_tick",  # deadlines and escalation
    "complaints.notifications.deliver_outbox",  # notifications
    "disclosures.importer.services.roster_import_tick",  # roster import: background validation, expiry
    "sunshine.audit.services.seal_pending",  # chain new audit events
]


class Command(BaseCommand):
    help = "Run every periodic job once (objection windows, complaint deadlines, retention, outbox, audit sealing)."

    def handle(self, *args, **options):
        failed = []
        for dotted in TICK_STEPS:
            step = optional_hook(dotted)
            if step is None:
                continue
            try:
                result = step()
            except Exception:  # one broken step must not stop the others
                failed.append(dotted)
                self.stderr.write(f"{dotted} failed:\n{traceback.format_exc()}")
                continue
            self.stdout.write(f"{dotted}: {result}")
        if failed:
            raise CommandError(f"{len(failed)} step(s) failed: {', '.join(failed)}")
