"""Background tasks of disclosures (django-tasks). They take ids and are idempotent: a task may run twice after a
worker died, or two workers may run the same one at once."""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from sunshine.background import enqueue

from .bulletin import bulletin_render_and_store
from .models import Bulletin


@task(queue_name="bulletins")
def bulletin_render(revision_id, replace=False):
    """Render the bulletin PDF of a published revision and store it (``bulletin.bulletin_render_and_store``)."""
    return bulletin_render_and_store(revision_id, replace=replace)


def bulletin_queue(revision, *, replace=False, now=None):
    """Record that ``revision``'s bulletin is wanted (the admin shows 正在生成) and queue its render, both in the
    caller's transaction: a publication that rolls back queues nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        Bulletin.objects.update_or_create(revision=revision, defaults={"queued_at": now})
        enqueue(bulletin_render, revision.pk, replace)
