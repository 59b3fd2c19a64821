from django.core.management.base import BaseCommand
from django.db import transaction

from complaints import demo as complaints_demo
from disclosures import demo as disclosures_demo
from portal.tick import close_objection_windows
from villages.demo import DEMO_PASSWORD, seed_divisions_and_staff
from villages.workdays import seed_calendar


def close_old_objection_windows():
    """The demo's older notices have had their objection window; confirm them (no line of its own)."""
    close_objection_windows()


# Each app seeds its own demo data after the divisions exist; every step is idempotent.
DEMO_STEPS = [
    seed_calendar,
    disclosures_demo.seed,
    close_old_objection_windows,
    complaints_demo.seed,
]


class Command(BaseCommand):
    help = "Create or refresh the demo county (idempotent) and print one login per role."

    def handle(self, *args, **options):
        with transaction.atomic():
            logins = seed_divisions_and_staff()
        for step in DEMO_STEPS:
            summary = step()
            if summary:
                self.stdout.write(str(summary))
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("演示县已就绪 / demo county ready: http://127.0.0.1:8000/"))
        self.stdout.write(f"后台 / admin: http://127.0.0.1:8000/admin/   密码 / password: {DEMO_PASSWORD}")
        width = max(len(u) for u, _, _ in logins)
        for username, role, place in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role}  {place}")
        resident = f"{disclosures_demo.DEMO_RESIDENT_NAME}  {disclosures_demo.DEMO_RESIDENT_ID}"
        self.stdout.write(f"我的补贴 / self-query: http://127.0.0.1:8000/my/   {resident}")
