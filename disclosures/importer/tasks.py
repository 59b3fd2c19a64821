"""The importer's background task: validating an upload too large to validate inside the request.

Queued through ``sunshine.background.enqueue`` in the transaction that stores the job (or that switches its
sheet), so the task exists exactly when the job does. The job's move table stays the one source of truth:
the task claims the job (PENDING → VALIDATING) like any validator, and a second run after a lost worker is
harmless (``services.roster_import_validate_task``).
"""

from django_tasks import task

from . import services


@task(queue_name="imports", takes_context=True)
def validate_import_job(context, job_id):
    return services.roster_import_validate_task(job_id=job_id, attempt=context.attempt)
