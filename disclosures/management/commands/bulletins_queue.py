from django.core.management.base import BaseCommand

from disclosures.bulletin import bulletins_missing
from disclosures.tasks import bulletin_queue


class Command(BaseCommand):
    help = (
        "Queue the bulletin PDF render of every public version whose PDF is not stored (after an upgrade from "
        "request-time rendering, or a restore of private storage); --all renders every one again. A worker "
        "(`manage.py db_worker`) renders them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="render every public version again")

    def handle(self, *args, all=False, **options):  # noqa: A002  the option's name
        revisions = bulletins_missing(include_stored=all)
        for revision in revisions:
            bulletin_queue(revision, replace=all)
        self.stdout.write(f"{len(revisions)} bulletin renders queued")
