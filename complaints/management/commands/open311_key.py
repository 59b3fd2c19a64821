from django.core.management.base import BaseCommand

from complaints.api_keys import issue_key


class Command(BaseCommand):
    help = "Issue an Open311 api_key for a client and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who the key is for, e.g. 县12345热线")

    def handle(self, *args, name, **options):
        key, raw = issue_key(name=name, actor=None)
        self.stdout.write(raw)
