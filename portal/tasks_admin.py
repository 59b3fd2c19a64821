"""后台任务 in the admin: what the background worker has queued, is running, did and failed, read-only.

County admins and inspectors (``tasks.view``) see every task: its name in Chinese where known, its status, its
attempts and, for a failure, the exception's class and message. Never its arguments or return value (they may name
a job; the job's own page shows what it may); nothing here can be added, changed or deleted.
"""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from complaints.notifications import deliver_outbox_task
from disclosures.importer.tasks import validate_import_job
from disclosures.tasks import bulletin_render
from sunshine.background import failure_reason, status_label
from villages.admin_mixins import ReadOnlyAdminMixin
from villages.export_jobs import run_export
from villages.permissions import can

from .models import BackgroundTask, WorkerHeartbeat

# Task path → what staff call it; a task missing here is shown by its function name.
TASK_LABELS = {
    validate_import_job.module_path: _("名单导入校验"),
    bulletin_render.module_path: _("生成公示栏 PDF"),
    deliver_outbox_task.module_path: _("发送通知"),
    run_export.module_path: _("后台导出"),
}

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)  # django-tasks-db's own page shows arguments and tracebacks to superusers


# Queue name (settings.TASKS) → what staff call it; an unknown queue is shown as it is named.
QUEUE_LABELS = {
    "default": _("常规"),
    "bulletins": _("公示栏 PDF"),
    "imports": _("名单导入"),
}


def task_label(task_path):
    return TASK_LABELS.get(task_path) or task_path.rsplit(".", 1)[-1]


class QueueFilter(admin.SimpleListFilter):
    title = _("队列")
    parameter_name = "queue_name"

    def lookups(self, request, model_admin):
        return [(name, QUEUE_LABELS.get(name, name)) for name in model_admin.queue_names()]

    def queryset(self, request, queryset):
        return queryset.filter(queue_name=self.value()) if self.value() else queryset


class StatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status, status_label(status)) for status in TaskResultStatus.values]

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


class TasksViewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Visible to whoever holds ``tasks.view`` anywhere (county roles): tasks belong to no division."""

    def has_module_permission(self, request):
        return can(request.user, "tasks.view")

    def has_view_permission(self, request, obj=None):
        return can(request.user, "tasks.view")


TASK_COLUMNS = (
    "task_name_zh",
    "status_zh",
    "queue_zh",
    "attempts",
    "enqueued_zh",
    "started_zh",
    "finished_zh",
    "next_attempt",
    "reason",
)


@admin.register(BackgroundTask)
class BackgroundTaskAdmin(TasksViewAdmin):
    list_display = TASK_COLUMNS
    list_filter = (StatusFilter, QueueFilter)
    ordering = ("-enqueued_at",)
    date_hierarchy = "enqueued_at"
    show_full_result_count = False
    fields = readonly_fields = TASK_COLUMNS  # the detail page shows what the list does, read-only

    @admin.display(description=_("任务"), ordering="task_path")
    def task_name_zh(self, obj):
        return task_label(obj.task_path)

    @admin.display(description=_("状态"), ordering="status")
    def status_zh(self, obj):
        return status_label(obj.status)

    @admin.display(description=_("队列"), ordering="queue_name")
    def queue_zh(self, obj):
        return QUEUE_LABELS.get(obj.queue_name, obj.queue_name)

    # django-tasks-db's own fields carry English verbose names: shown through these columns instead.
    @admin.display(description=_("入队时间"), ordering="enqueued_at")
    def enqueued_zh(self, obj):
        return obj.enqueued_at

    @admin.display(description=_("开始时间"), ordering="started_at")
    def started_zh(self, obj):
        return obj.started_at or "—"

    @admin.display(description=_("结束时间"), ordering="finished_at")
    def finished_zh(self, obj):
        return obj.finished_at or "—"

    def queue_names(self):
        """The configured queues and any a stored task names (a queue removed from the settings keeps its rows)."""
        configured = [name for backend in settings.TASKS.values() for name in backend.get("QUEUES", [])]
        stored = BackgroundTask.objects.order_by().values_list("queue_name", flat=True).distinct()
        return list(dict.fromkeys([*configured, *stored]))

    @admin.display(description=_("尝试次数"))
    def attempts(self, obj):
        return len(obj.worker_ids)

    @admin.display(description=_("下次尝试"))
    def next_attempt(self, obj):
        if obj.status != TaskResultStatus.READY or obj.run_after == get_date_max():
            return "—"
        return obj.run_after

    @admin.display(description=_("失败原因（最近一次）"))
    def reason(self, obj):
        return failure_reason(obj.exception_class_path, obj.traceback) or "—"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(TasksViewAdmin):
    list_display = ("worker_id", "host", "pid", "started_at", "seen_at")
    ordering = ("-seen_at",)
    fields = readonly_fields = list_display
