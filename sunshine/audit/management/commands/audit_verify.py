from django.core.management.base import BaseCommand, CommandError

from sunshine.audit.services import ChainBroken, seal_pending, verify_chain


class Command(BaseCommand):
    help = "Seal pending audit events, then verify the whole hash chain; name the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--no-seal", action="store_true", help="verify only; do not seal pending events")

    def handle(self, *args, **options):
        if not options["no_seal"]:
            sealed = seal_pending()
            self.stdout.write(f"sealed {sealed} pending event(s)")
        try:
            count, head = verify_chain()
        except ChainBroken as exc:
            raise CommandError(f"audit chain broken: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} event(s), head {head}"))
