"""``python manage.py tick`` runs every periodic step by an imported callable and fails loudly."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal import tick
from sunshine.audit.models import AuditEvent, AuditSeal
from sunshine.audit.services import audit_record

EXPECTED_STEPS = [
    "portal.tick.close_objection_windows",
    "disclosures.services.retention_sweep",
    "complaints.tick.complaints_tick",
    "complaints.notifications.deliver_outbox",
    "complaints.intake.forget_intake_secrets",
    "complaints.photo_hold.sweep_held_photos",
    "disclosures.importer.services.roster_import_tick",
    "villages.export_jobs.export_jobs_tick",
    "portal.worker.background_tasks_tick",
    "sunshine.audit.services.seal_pending",
]


def _run_tick():
    out, err = StringIO(), StringIO()
    try:
        call_command("tick", stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_the_steps_are_the_periodic_jobs_in_order():
    assert [tick.step_name(step) for step in tick.TICK_STEPS] == EXPECTED_STEPS


def test_tick_runs_every_step_and_each_reports_a_result(world, county_admin):
    audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    out, err, failure = _run_tick()
    assert failure is None and err == ""
    reports = dict(line.split(": ", 1) for line in out.splitlines())
    assert list(reports) == EXPECTED_STEPS
    assert all(result.strip() for result in reports.values())
    assert reports["portal.tick.close_objection_windows"].startswith("0 confirmed")
    assert AuditSeal.objects.count() == AuditEvent.objects.count() == 1  # the last step sealed the event


def test_a_failing_step_fails_the_command_and_the_others_still_run(world, county_admin, monkeypatch):
    def broken_step():
        raise RuntimeError("disk full")

    steps = list(tick.TICK_STEPS)
    steps[0] = broken_step
    monkeypatch.setattr(tick, "TICK_STEPS", steps)
    audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    out, err, failure = _run_tick()
    broken = f"{broken_step.__module__}.{broken_step.__qualname__}"
    assert failure is not None and str(failure) == f"1 step(s) failed: {broken}"
    assert f"{broken} failed:" in err and "RuntimeError: disk full" in err
    ran = [line.split(": ", 1)[0] for line in out.splitlines()]
    assert ran == EXPECTED_STEPS[1:]
    assert AuditSeal.objects.count() == 1  # sealing, after the broken step, still happened


def test_a_missing_step_is_an_import_error_not_a_skipped_step(monkeypatch):
    import importlib

    import disclosures.services

    monkeypatch.delattr(disclosures.services, "retention_sweep")
    with pytest.raises(ImportError, match="retention_sweep"):
        importlib.reload(tick)
    monkeypatch.undo()
    importlib.reload(tick)  # leave the module as the other tests expect it
