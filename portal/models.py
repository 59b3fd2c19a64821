"""The portal's own bookkeeping: which background workers are alive (portal/worker.py), and 后台任务 in the admin."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class WorkerHeartbeat(models.Model):
    """One row per worker process, touched every few seconds by the worker's heartbeat thread.

    A task RUNNING under a worker whose heartbeat has gone quiet was lost with that worker and is queued
    again (``portal.worker.recover_lost_tasks``). ``worker_id`` is the id the worker writes into the task
    rows it claims (``DBTaskResult.worker_ids``).
    """

    worker_id = models.CharField(_("工作进程"), max_length=64, primary_key=True)
    host = models.CharField(_("主机"), max_length=255)
    pid = models.PositiveIntegerField(_("进程号"))
    started_at = models.DateTimeField(_("启动时间"))
    seen_at = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("后台工作进程")
        verbose_name_plural = _("后台工作进程")

    def __str__(self):
        return f"{self.host}:{self.pid}"


class BackgroundTask(DBTaskResult):
    """No table: gives django-tasks-db's results their place in the admin as 后台任务 (portal.tasks_admin)."""

    class Meta:
        proxy = True
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")

    def __str__(self):  # the change page's title and history (the parent's is "BackgroundTask object (…)")
        return _("后台任务 %(id)s") % {"id": self.id}
