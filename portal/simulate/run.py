"""``build_region``: the whole data set, county by county, in one transaction per county."""

import contextlib
import random
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from complaints.categories import seed_categories as seed_complaint_categories
from complaints.demo import link_objection_categories
from complaints.models import Complaint
from disclosures.categories import seed_categories
from disclosures.models import Disclosure, Revision
from villages.workdays import seed_calendar

from .calendar import calendar_for
from .complaints import ComplaintWriter
from .disclosures import DisclosureWriter
from .divisions import StaffMaker, build_county, describe_county
from .events import EventLog
from .people import Residents

VILLAGE_BATCH = 20
RESIDENT_POOL = 1200  # residents per village who may appear on a roster
BIG_RESIDENTS = 10_000  # the big roster's people: a village index no real village has


@dataclass
class Plan:
    counties: int = 1
    villages: int = 412
    townships: int = 20
    months: int = 24
    complaints: int = 100_000
    audit_events: int = 561_000
    big_roster: int = 5000
    seed: int = 14
    report: list = field(default_factory=list)

    def say(self, line):
        self.report.append(line)


@contextlib.contextmanager
def own_timestamps(*models):
    """Let bulk inserts carry their simulated times: auto_now(_add) would stamp every row with now."""
    fields = [
        f
        for m in models
        for f in m._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add


def _seed_reference_data():
    seed_calendar()
    seed_categories()
    seed_complaint_categories()
    link_objection_categories()


def build_region(plan, say=print):
    """Build ``plan.counties`` counties; ``say`` gets one line per step with its figures and time."""
    rng = random.Random(plan.seed)
    calendar = calendar_for(plan.months)
    _seed_reference_data()
    totals = {}
    for k in range(plan.counties):
        started = time.perf_counter()
        with transaction.atomic(), own_timestamps(Disclosure, Revision, Complaint):
            made = _build_county(k, plan, rng, calendar, say)
        for name, value in made.items():
            totals[name] = totals.get(name, 0) + value
        say(f"county {k + 1}/{plan.counties}: " + ", ".join(f"{v:,} {n}" for n, v in made.items())
            + f" in {time.perf_counter() - started:.1f} s")  # fmt: skip
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return totals


def _build_county(k, plan, rng, calendar, say):
    step = time.perf_counter()
    staff = StaffMaker()
    county = build_county(k, villages=plan.villages, townships=plan.townships, staff=staff)
    staff.save()
    region = describe_county(county, plan.villages, first_index=k * plan.villages)
    say(f"  divisions and {len(region.staff):,} staff logins: {time.perf_counter() - step:.1f} s")
    log = EventLog(rng, plan.audit_events)
    log.staff = [(u, name, d) for u, name, d, _role in region.staff]
    area = county.code[:6]
    writer = DisclosureWriter(rng=rng, calendar=calendar, log=log, pool=RESIDENT_POOL, big_roster=plan.big_roster)
    writer.skip_last_month = {v.index for v in region.villages if rng.random() < 0.03}
    big = Residents(area, BIG_RESIDENTS + k, RESIDENT_POOL)
    step = time.perf_counter()
    for start in range(0, len(region.villages), VILLAGE_BATCH):
        batch = region.villages[start : start + VILLAGE_BATCH]
        residents = {v.index: Residents(area, v.index - k * plan.villages, RESIDENT_POOL) for v in batch}
        writer.write([p for v in batch for p in writer.plan_village(v)], residents, big)
    t = writer.totals
    say(f"  {t.disclosures:,} disclosures, {t.revisions:,} revisions, {t.entries:,} roster entries, "
        f"{t.ledger_lines:,} ledger lines: {time.perf_counter() - step:.1f} s")  # fmt: skip
    step = time.perf_counter()
    complaints = ComplaintWriter(rng=rng, calendar=calendar, log=log).write(plan.complaints, region.villages)
    say(f"  {complaints:,} complaints: {time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    events = log.write(calendar.month_start(0), timezone.now())
    say(f"  {events:,} audit events: {time.perf_counter() - step:.1f} s")
    return {"villages": len(region.villages), "disclosures": t.disclosures, "roster entries": t.entries,
            "complaints": complaints, "audit events": events}  # fmt: skip
