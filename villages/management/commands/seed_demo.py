from django.core.management.base import BaseCommand
from django.db import transaction

from sunshine.hooks import optional_hook
from villages.demo import DEMO_PASSWORD, seed_divisions_and_staff

# Each app seeds its own demo data after the divisions exist; every step is idempotent.
DEMO_STEPS = [
    "villages.workdays.seed_calendar",
    "disclosures.demo.seed",
    "complaints.demo.seed",
]


class Command(BaseCommand):
    help = "Create or refresh the demo county (idempotent) and print one login per role."

    def handle(self, *args, **options):
        with transaction.atomic():
            logins = seed_divisions_and_staff()
        for dotted in DEMO_STEPS:
            step = optional_hook(dotted)
            if step is None:
                continue  # that app has no demo data yet
            summary = step()
            if summary:
                self.stdout.write(str(summary))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("演示县已就绪 / demo county ready: http://127.0.0.1:8000/"))
        self.stdout.write(f"后台 / admin: http://127.0.0.1:8000/admin/   密码 / password: {DEMO_PASSWORD}")
        width = max(len(u) for u, _, _ in logins)
        for username, role, place in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}  {place}")
