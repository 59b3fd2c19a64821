"""我的导出: each staff member's background exports, with their status and a download for finished files.

The list shows only the user's own jobs; the download re-checks that the user asked for it and still holds
the scope they had then (``export_jobs.may_download``), so a file never outlives its reader's permission.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.audit.services import audit_record
from sunshine.exports import CONTENT_TYPES, content_disposition
from sunshine.storage import private_storage

from . import export_jobs
from .admin_mixins import AuditHistoryMixin
from .models import ExportJob, ExportStatus


def submitted_message(row_count):
    """What the requester sees instead of a file: 导出任务已提交, with the way to 我的导出."""
    return format_html(
        _('导出任务已提交：共 {} 行，完成后请在<a href="{}">我的导出</a>下载。'),
        row_count,
        reverse("admin:villages_exportjob_changelist"),
    )


@admin.register(ExportJob)
class ExportJobAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("created_at", "title", "format", "status_display", "row_count", "finished_at")
    list_filter = ("status",)
    list_display_links = None

    def get_queryset(self, request):
        return super().get_queryset(request).filter(requested_by=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or obj.requested_by_id == request.user.pk)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("状态"), ordering="status")
    def status_display(self, job):
        if job.status == ExportStatus.DONE:
            url = reverse("admin:villages_exportjob_download", args=[job.pk])
            return format_html('{}（<a href="{}">{}</a>）', job.get_status_display(), url, _("下载"))
        if job.status == ExportStatus.FAILED:
            return format_html("{}（{}）", job.get_status_display(), job.error)
        return job.get_status_display()

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/download/", wrap(self.download_view), name="villages_exportjob_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        job = ExportJob.objects.filter(pk=pk).first()
        if job is None:
            raise Http404
        if not export_jobs.may_download(request.user, job):
            raise PermissionDenied
        if job.status != ExportStatus.DONE:
            raise Http404(_("这个导出文件还没有生成，或已过期删除。"))
        with transaction.atomic():
            audit_record(actor=request.user, action="export_job.downloaded", obj=job, division=job.division)
        stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d")
        response = FileResponse(private_storage().open(job.file, "rb"), content_type=CONTENT_TYPES[job.format])
        response["Content-Disposition"] = content_disposition(
            f"{job.title}-{stamp}.{job.format}", f"{job.kind}-{stamp}.{job.format}"
        )
        return response
