from django.core.management.base import BaseCommand

from complaints.notifications import deliver_outbox
from complaints.services import complaints_tick


class Command(BaseCommand):
    help = "Escalate overdue complaints one level, queue and deliver notifications (the complaints part of `tick`)."

    def add_arguments(self, parser):
        parser.add_argument("--no-deliver", action="store_true", help="Queue notifications without sending them.")

    def handle(self, *args, **options):
        self.stdout.write(complaints_tick())
        if not options["no_deliver"]:
            self.stdout.write(deliver_outbox())
