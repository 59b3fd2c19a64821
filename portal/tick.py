"""The periodic steps ``python manage.py tick`` runs, as imported callables.

A step that is renamed or removed is an ImportError when Django starts (the command module imports
this one), never a step that silently stops running. Each step is idempotent, safe to run twice at
once, takes no arguments and returns a short summary.
"""

from complaints.intake import forget_intake_secrets
from complaints.notifications import deliver_outbox
from complaints.photo_hold import sweep_held_photos
from complaints.selectors import unresolved_objection_disclosure_ids
from complaints.tick import complaints_tick
from disclosures.importer.services import roster_import_tick
from disclosures.services import disclosures_tick, retention_sweep
from sunshine.audit.services import seal_pending
from villages.export_jobs import export_jobs_tick

from .worker import background_tasks_tick


def close_objection_windows(*, now=None):
    """Confirm pre rosters whose objection window has closed, unless an objection is still unanswered."""
    return disclosures_tick(unresolved_objections=unresolved_objection_disclosure_ids, now=now)


TICK_STEPS = [
    close_objection_windows,
    retention_sweep,  # take down rosters past retention
    complaints_tick,  # deadlines and escalation
    deliver_outbox,  # notifications
    forget_intake_secrets,  # secrets kept for a resubmitted intake form, past the time they may be shown
    sweep_held_photos,  # photos kept across a form error, past HOLD_MINUTES
    roster_import_tick,  # roster import: expiry, uploads whose job never committed
    export_jobs_tick,  # background exports: files past EXPORT_KEEP_DAYS, lost jobs
    background_tasks_tick,  # background tasks: lost ones found, passing faults retried, old results pruned
    seal_pending,  # chain new audit events (last, so it seals what the other steps wrote)
]


def step_name(step):
    return f"{step.__module__}.{step.__qualname__}"
