"""The importer's background task: validating an upload too large to validate inside the request.

Queued through ``sunshine.background.enqueue`` in the transaction that stores the job (or that switches its
sheet), so the task exists exactly when the job does. The job's move table stays the one source of truth:
the task claims the job (PENDING → VALIDATING) like any validator, and a second run after a lost worker is
harmless (``services.roster_import_validate_task``).
"""

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from . import services


@task(queue_name="imports", takes_context=True)
def validate_import_job(context, job_id):
    return services.roster_import_validate_task(job_id=job_id, attempt=context.attempt)


def validation_task_of(job):
    """The latest ``validate_import_job`` run for ``job`` (a DBTaskResult), or None (validated inline)."""
    runs = DBTaskResult.objects.filter(task_path=validate_import_job.module_path, args_kwargs__args__0=str(job.pk))
    return runs.order_by("-enqueued_at").first()
