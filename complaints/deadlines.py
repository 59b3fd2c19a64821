"""Clocks: a county's stage deadlines (信访工作条例 defaults, or its ``CountyClock``) and their edits."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record, snapshot
from villages.models import Division, Level
from villages.permissions import can
from villages.workdays import add_days

from .models import CountyClock, Status

STAGES = ("acceptance", "conclusion", "review")
CLOCK_FIELDS = (
    "county",
    "acceptance_days",
    "acceptance_unit",
    "conclusion_days",
    "conclusion_unit",
    "extension_days",
    "review_days",
    "review_unit",
    "first_contact_hours",
)


def clock_for(county_id):
    return CountyClock.objects.filter(county_id=county_id).first() or CountyClock(county_id=county_id)


def end_of(day):
    """A deadline date as the aware instant its day ends (local time)."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def stage_deadline(clock, stage, start):
    """When ``stage`` (acceptance, conclusion, review) started at ``start`` is due."""
    day = timezone.localdate(start)
    if stage == "acceptance":
        return end_of(add_days(day, clock.acceptance_days, clock.acceptance_unit))
    if stage == "conclusion":
        return end_of(add_days(day, clock.conclusion_days, clock.conclusion_unit))
    if stage == "review":
        return end_of(add_days(day, clock.review_days, clock.review_unit))
    raise ValueError(stage)


def extended_deadline(clock, due_at):
    """The conclusion deadline ``due_at`` extended once by the county's extension days."""
    last_day = timezone.localdate(due_at) - datetime.timedelta(days=1)
    return end_of(add_days(last_day, clock.extension_days, clock.conclusion_unit))


def stage_of(status, is_review):
    """The clock running for a complaint in ``status``: acceptance, review or conclusion."""
    if status == Status.SUBMITTED:
        return "acceptance"
    if is_review:
        return "review"
    return "conclusion"


def county_deadlines(now):
    """``{county_id: {stage: due_at}}`` for every county: a few queries per county, none per item."""
    clocks = {c.county_id: c for c in CountyClock.objects.all()}
    result = {}
    for county_id in Division.objects.filter(level=Level.COUNTY).values_list("pk", flat=True):
        clock = clocks.get(county_id) or CountyClock(county_id=county_id)
        result[county_id] = {stage: stage_deadline(clock, stage, now) for stage in STAGES}
    return result


@transaction.atomic
def county_clock_save(*, clock, actor):
    """Create or change a county's clock (the admin's save), audited with the fields that changed."""
    if not can(actor, "complaint_category.change", Division.objects.get(pk=clock.county_id)):
        raise PermissionDenied(_("您无权修改该县的办理时限。"))
    stored = CountyClock.objects.filter(pk=clock.pk).first() if clock.pk else None
    before = snapshot(stored, CLOCK_FIELDS) if stored is not None else {}
    clock.save()
    after = snapshot(clock, CLOCK_FIELDS)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    audit_record(
        actor=actor,
        action="complaint_clock.changed" if stored is not None else "complaint_clock.created",
        obj=clock,
        division=clock.county,
        changes=changes,
    )
    return clock
