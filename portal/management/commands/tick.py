"""The one periodic entry point: run it from cron or a systemd timer every few minutes.

Each step is idempotent and safe to run twice at once; a failing step is reported, the others
still run, and the command exits non-zero naming the failed steps.
"""

import traceback

from django.core.management.base import BaseCommand, CommandError

from portal import tick
from sunshine.outages import database_unreachable


class Command(BaseCommand):
    help = "Run every periodic job once (objection windows, complaint deadlines, retention, outbox, audit sealing)."

    def handle(self, *args, **options):
        failed = []
        for step in tick.TICK_STEPS:
            name = tick.step_name(step)
            try:
                result = step()
            except Exception as exc:  # one broken step must not stop the others
                if database_unreachable(exc):
                    raise  # nor can the next ones: manage.py prints one clear message and exits 2
                failed.append(name)
                self.stderr.write(f"{name} failed:\n{traceback.format_exc()}")
                continue
            self.stdout.write(f"{name}: {result}")
        if failed:
            raise CommandError(f"{len(failed)} step(s) failed: {', '.join(failed)}")
