"""``python manage.py simulate_region``: the county-sized data set the admin benchmark measures."""

import time

from django.core.management.base import BaseCommand, CommandError

from portal.simulate import Plan, build_region


class Command(BaseCommand):
    help = (
        "Build a county-sized data set (defaults: one county of 412 villages in 20 townships, 24 months of "
        "rosters, about 1.08 million roster entries, 100,000 complaints, 561,000 audit events) and the demo "
        "staff logins. Run it on an empty, migrated database."
    )

    def add_arguments(self, parser):
        defaults = Plan()
        parser.add_argument("--counties", type=int, default=defaults.counties)
        parser.add_argument("--villages", type=int, default=defaults.villages, help="villages per county")
        parser.add_argument("--townships", type=int, default=defaults.townships, help="townships per county")
        parser.add_argument("--months", type=int, default=defaults.months)
        parser.add_argument("--complaints", type=int, default=defaults.complaints, help="complaints per county")
        parser.add_argument("--audit-events", type=int, default=defaults.audit_events, help="audit events per county")
        parser.add_argument("--big-roster", type=int, default=defaults.big_roster, help="rows of the one big draft")
        parser.add_argument("--seed", type=int, default=defaults.seed)

    def handle(self, *args, **options):
        for name in ("counties", "villages", "townships", "months"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        plan = Plan(
            counties=options["counties"],
            villages=options["villages"],
            townships=options["townships"],
            months=options["months"],
            complaints=max(options["complaints"], 0),
            audit_events=max(options["audit_events"], 0),
            big_roster=max(options["big_roster"], 0),
            seed=options["seed"],
        )
        started = time.perf_counter()
        totals = build_region(plan, say=self.stdout.write)
        made = ", ".join(f"{value:,} {name}" for name, value in totals.items())
        self.stdout.write(self.style.SUCCESS(f"simulate_region: {made} in {time.perf_counter() - started:.1f} s"))
        self.stdout.write("logins as seed_demo (password sunshine-demo-2026): county_admin, inspector, reviewer_t1, "
                          "discipline_t1, clerk_v01 …")  # fmt: skip
