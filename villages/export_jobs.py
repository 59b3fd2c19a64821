"""Large list exports as background tasks: 导出任务已提交, then 我的导出 in the admin.

An export with more rows than ``EXPORT_INLINE_MAX_ROWS`` is not written inside the web request. The
interface calls :func:`export_submit` with the list's ``kind`` and its filters (``params``, JSON), which
writes an ``ExportJob`` and queues :func:`run_export` in the same transaction. The task re-runs the kind's
exporter for the requester, in their jurisdiction as it is when the task runs, and stores the file in
private storage; the requester downloads it from 我的导出, and only they, and only while they still hold
the whole scope they had when they asked (re-checked at every download). Files are deleted by the tick
after ``EXPORT_KEEP_DAYS``.

Kinds are registered by the apps that own the exporters (``register`` from their ``AppConfig.ready``):
this module never imports them. A kind gives the permission of its list, ``build(user, params)`` returning
a ``sunshine.exports.ListExporter``, and optionally ``audit(job, row_count)``, the event the inline export
writes, so a file made in the background is audited as the same download would be.
"""

import datetime
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from sunshine.audit.services import audit_record
from sunshine.background import enqueue
from sunshine.exports import render_counted
from sunshine.masking import mask_free_text
from sunshine.storage import private_storage

from .models import Division, ExportJob, ExportStatus
from .permissions import can, divisions_with

log = logging.getLogger(__name__)
FOLDER = "exports"
# A job still queued or running this long after it was asked for lost its task (and its retries).
STUCK_AFTER = datetime.timedelta(hours=12)


class ExportRefused(Exception):
    """The export cannot be made for this requester (their scope changed); the message is shown to them."""


@dataclass(frozen=True)
class ExportKind:
    name: str
    perm: str  # the list's permission; its divisions are the scope a download must still hold
    build: Callable  # build(user, params) -> ListExporter, in the user's jurisdiction as of now
    audit: Callable | None = None  # audit(job, row_count): the event the inline export writes


EXPORT_KINDS: dict[str, ExportKind] = {}


def register(kind):
    """Add ``kind`` (called once by its app at start-up); a second, different kind of the same name is an error."""
    known = EXPORT_KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ImproperlyConfigured(f"export kind {kind.name!r} registered twice")
    EXPORT_KINDS[kind.name] = kind
    return kind


def too_large_for_a_request(row_count):
    return row_count > settings.EXPORT_INLINE_MAX_ROWS


@dataclass(frozen=True)
class ExportMove:
    sources: tuple
    target: str
    audit_action: str | None


S = ExportStatus
EXPORT_MOVES = {
    # RUNNING again: the task is retried after its worker died.
    "start": ExportMove((S.QUEUED, S.RUNNING), S.RUNNING, None),
    "finish": ExportMove((S.RUNNING,), S.DONE, "export_job.completed"),
    "fail": ExportMove((S.QUEUED, S.RUNNING), S.FAILED, "export_job.failed"),
    "expire": ExportMove((S.DONE, S.FAILED), S.EXPIRED, "export_job.expired"),
}


def job_transition(job, move, **fields):
    """The one path for a job's status: locks the row, checks the move, saves, audits. None when not allowed
    from the job's current status (a repeated task or tick finds the work already done)."""
    move = EXPORT_MOVES[move]
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None or locked.status not in move.sources:
            return None
        before = locked.status
        locked.status = move.target
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        if move.audit_action:
            audit_record(
                actor=None,
                action=move.audit_action,
                obj=locked,
                division=locked.division,
                changes={"status": [before, move.target]},
                data={"kind": locked.kind, "rows": locked.row_count, "error": locked.error},
            )
    return locked


def export_submit(*, user, kind, params, title, fmt="xlsx", division=None):
    """Queue an export of ``kind`` with ``params`` for ``user``; returns the job (status 排队中)."""
    kind = EXPORT_KINDS[kind]
    if not can(user, kind.perm):
        raise PermissionDenied
    divisions = divisions_with(user, kind.perm)
    if division is None and len(divisions) == 1:
        division = divisions[0]  # the audit event's place: the requester's one division, when they have one
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            kind=kind.name,
            title=str(title)[:200],
            params=params,
            scope=sorted(d.pk for d in divisions),
            division=division,
            format=fmt,
        )
        audit_record(actor=user, action="export_job.requested", obj=job, division=division, data={"kind": kind.name})
        enqueue(run_export, job.pk)
    return job


def may_download(user, job):
    """Only the requester, and only while every division of the job's scope is still within theirs."""
    kind = EXPORT_KINDS.get(job.kind)
    if kind is None or job.requested_by_id != user.pk or not user.is_active:
        return False
    held = [d.path for d in divisions_with(user, kind.perm)]
    if not held:
        return False
    paths = Division.objects.filter(pk__in=job.scope).values_list("path", flat=True)
    return len(paths) == len(job.scope) and all(any(p.startswith(h) for h in held) for p in paths)


def _render(job):
    kind = EXPORT_KINDS.get(job.kind)
    if kind is None or not may_download(job.requested_by, job):
        raise ExportRefused(_("您已无权导出这份清单（权限或辖区已变更）。"))
    return render_counted(kind.build(job.requested_by, job.params), job.format)


def _finish(job, data, row_count):
    """Store the file and mark the job done in one step: a file whose job could not be marked is deleted."""
    storage = private_storage()
    name = storage.save(f"{FOLDER}/{job.pk}-{secrets.token_hex(8)}.{job.format}", ContentFile(data))
    try:
        with transaction.atomic():
            done = job_transition(job, "finish", file=name, row_count=row_count, error="", finished_at=timezone.now())
            kind = EXPORT_KINDS[job.kind]
            if done is not None and kind.audit is not None:
                kind.audit(done, row_count)
    except BaseException:
        storage.delete(name)
        raise
    if done is None:  # another run of this task finished it first
        storage.delete(name)
    return done


@task()
def run_export(job_id):
    """Make the file of export job ``job_id``. Idempotent: a finished, failed or expired job is left alone.

    A database error is raised (the task is retried, the job stays 正在导出); any other error marks the job
    失败 with a reason the requester can read.
    """
    job = job_transition(ExportJob(pk=job_id), "start")
    if job is None:
        return "skipped"
    try:
        data, row_count = _render(job)
    except DatabaseError:
        raise
    except ExportRefused as exc:
        reason = str(exc)
    except Exception as exc:
        log.exception("export job %s failed", job_id)
        reason = _("导出时出错（%(error)s），请重新导出；仍失败请联系管理员。") % {"error": type(exc).__name__}
    else:
        return "done" if _finish(job, data, row_count) else "skipped"
    job_transition(job, "fail", error=mask_free_text(reason)[:500], finished_at=timezone.now())
    return "failed"


def _sweep_orphans(storage, now, keep):
    """Files in the export folder that no job points to (a crash between save and commit), once old."""
    try:
        _dirs, files = storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    known = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    removed = 0
    for name in files:
        path = f"{FOLDER}/{name}"
        if path not in known and storage.get_modified_time(path) < now - keep:
            storage.delete(path)
            removed += 1
    return removed


def export_jobs_tick(*, now=None):
    """Delete export files older than ``EXPORT_KEEP_DAYS`` (the job stays, 已过期) and fail lost jobs."""
    now = now or timezone.now()
    keep = datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)
    storage = private_storage()
    expired = 0
    for job in ExportJob.objects.filter(status__in=EXPORT_MOVES["expire"].sources, finished_at__lt=now - keep):
        if job_transition(job, "expire", file="") is not None:
            if job.file:
                storage.delete(job.file)
            expired += 1
    lost = 0
    for job in ExportJob.objects.filter(status__in=EXPORT_MOVES["fail"].sources, created_at__lt=now - STUCK_AFTER):
        reason = _("导出任务中断，请重新导出。")
        lost += job_transition(job, "fail", error=reason, finished_at=now) is not None
    orphans = _sweep_orphans(storage, now, keep)
    return f"exports: {expired} expired, {lost} interrupted, {orphans} orphan files removed"
