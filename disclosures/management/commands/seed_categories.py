from django.core.management.base import BaseCommand

from disclosures.categories import seed_categories
from disclosures.models import Category


class Command(BaseCommand):
    help = "Create the default disclosure categories that do not exist yet (never overwrites edits). Idempotent."

    def handle(self, *args, **options):
        created = seed_categories()
        self.stdout.write(f"{created} categories created, {Category.objects.count()} in total")
