from django.core.management.base import BaseCommand

from disclosures.services import retention_sweep


class Command(BaseCommand):
    help = (
        "Take down rosters past their category's retention period and strip their personal data from every "
        "public output (the audit trail stays). Idempotent; `manage.py tick` runs it too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be taken down, change nothing")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            from disclosures.services import retention_due

            due = retention_due()
            for disclosure in due:
                self.stdout.write(f"{disclosure.pk}\t{disclosure}\t{disclosure.first_published_at:%Y-%m-%d}")
            self.stdout.write(f"{len(due)} would be taken down")
            return
        self.stdout.write(retention_sweep())
