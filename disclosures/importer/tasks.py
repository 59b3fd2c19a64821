"""The importer's background task: validating an upload too large to validate inside the request.

Queued through ``sunshine.background.enqueue`` in the transaction that stores the job (or that switches its
sheet), so the task exists exactly when the job does. The job's move table stays the one source of truth:
the task claims the job (PENDING → VALIDATING) like any validator, and a second run after a lost worker is
harmless (``services.roster_import_validate_task``).
"""

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from sunshine.background import failure_reason, will_retry

from . import services


@task(queue_name="imports", takes_context=True)
def validate_import_job(context, job_id):
    return services.roster_import_validate_task(job_id=job_id, attempt=context.attempt)


def validation_task_of(job):
    """The latest ``validate_import_job`` run for ``job`` (a DBTaskResult), or None (validated inline)."""
    runs = DBTaskResult.objects.filter(task_path=validate_import_job.module_path, args_kwargs__args__0=str(job.pk))
    return runs.order_by("-enqueued_at").first()


WAITING = ("pending", "validating")
_UNKNOWN = object()


def validation_tasks_of(jobs):
    """``{job id (str): latest run}`` for the jobs still waiting, in one query (the API's list pages)."""
    ids = [str(job.pk) for job in jobs if job.status in WAITING]
    if not ids:
        return {}
    runs = DBTaskResult.objects.filter(task_path=validate_import_job.module_path, args_kwargs__args__0__in=ids)
    latest = {}
    for run in runs.order_by("enqueued_at"):
        latest[run.args_kwargs["args"][0]] = run  # later runs replace earlier ones
    return latest


def validation_state(job, runs=_UNKNOWN):
    """What the validation task of a job waiting for it is doing, for the preview page and the API: a dict with
    ``status`` (READY / RUNNING / FAILED), ``attempts``, ``reason`` (the last failure, "" if none) and ``final``
    (failed for good: nobody will validate this job), or None when no task runs for it. ``runs`` is what
    :func:`validation_tasks_of` found for a whole page of jobs (else this job's run is queried)."""
    if job.status not in WAITING:
        return None
    run = validation_task_of(job) if runs is _UNKNOWN else runs.get(str(job.pk))
    if run is None:
        return None
    attempts = len(run.worker_ids)
    return {
        "status": run.status,
        "attempts": attempts,
        "reason": failure_reason(run.exception_class_path, run.traceback),
        "final": not will_retry(run.status, run.exception_class_path, attempts),
    }
