"""Admin pages for inspectors: 异常线索 (anomaly leads), with Excel exports, and the base of 乡镇统计
(per-township figures), whose page lives in ``portal.admin`` because it adds complaint figures.

Both are read-only pages behind ``disclosure.anomalies`` (township reviewers and discipline for their
township, county inspectors and admins for their county). The queries live in ``disclosures.selectors``;
the tables in ``disclosures.exports``. A township outside the user's jurisdiction is 404, as everywhere.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record
from sunshine.exports import attachment
from villages import export_jobs
from villages.export_admin import submitted_message
from villages.permissions import can, divisions_with

from . import exports, selectors
from .models import AnomalyReport, Category, Kind


class InspectorPageAdmin(admin.ModelAdmin):
    """A page in the app list, not a changelist: no add, change or delete."""

    def has_module_permission(self, request):
        return can(request.user, selectors.ANOMALY_PERM)

    def has_view_permission(self, request, obj=None):
        return can(request.user, selectors.ANOMALY_PERM)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("", wrap(self.page_view), name=f"{prefix}_changelist"),
            path("export/<slug:kind>.xlsx", wrap(self.export_view), name=f"{prefix}_export"),
        ]

    def _check(self, request):
        if not can(request.user, selectors.ANOMALY_PERM):
            raise PermissionDenied

    def _township(self, request):
        raw = request.GET.get("township", "")
        if not raw:
            return None
        township = selectors.townships_for(request.user).filter(pk=raw if raw.isdigit() else 0).first()
        if township is None:
            raise Http404(_("找不到这个乡镇。"))
        return township

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.opts.verbose_name_plural,
            "query": request.GET.urlencode(),
            **extra,
        }

    def _xlsx(self, data, name):
        """Download as the page's own title (乡镇统计-<date>.xlsx); ``name`` is the ASCII name for old clients."""
        return attachment(data, fmt="xlsx", filename=str(self.opts.verbose_name_plural), fallback=name)


@admin.register(AnomalyReport)
class AnomalyAdmin(InspectorPageAdmin):
    def _filters(self, request, periods=None):
        """The filters asked for; the period defaults to the current one (a county's every period at once is
        more than a page can hold), ``periods`` being the period choices when the caller has them already."""
        filters = selectors.AnomalyFilters(township=self._township(request))
        raw = request.GET.get("category", "")
        if raw:
            filters.category = Category.objects.filter(kind=Kind.ROSTER, pk=raw if raw.isdigit() else 0).first()
            if filters.category is None:
                raise Http404(_("找不到这个类别。"))
        filters.period = request.GET.get("period", "").strip()[:10]
        if not filters.period:
            filters.period = selectors.anomaly_default_period(request.user, periods)
        return filters

    def page_view(self, request):
        self._check(request)
        categories, periods, townships = selectors.anomaly_filter_choices(request.user)
        filters = self._filters(request, periods)
        return TemplateResponse(
            request,
            "admin/disclosures/anomalies.html",
            self._context(
                request,
                filters=filters,
                categories=categories,
                periods=periods,
                townships=townships,
                tables=exports.anomaly_tables(request.user, filters),
                export_url_name="admin:disclosures_anomalyreport_export",
                report=exports.REPORT,
            ),
        )

    def export_view(self, request, kind):
        self._check(request)
        if kind not in exports.ANOMALY_KINDS and kind != exports.REPORT:
            raise Http404
        filters = self._filters(request)
        tables = exports.anomaly_report_tables(kind, request.user, filters)
        row_count = sum(len(t.rows) for t in tables)
        if export_jobs.too_large_for_a_request(row_count):
            export_jobs.export_submit(
                user=request.user,
                kind=ANOMALY_EXPORT,
                params=_anomaly_params(kind, filters),
                title=exports.anomaly_export(tables, "", kind).title,
                division=filters.township,
            )
            messages.success(request, submitted_message(row_count))
            return redirect(f"{reverse('admin:disclosures_anomalyreport_changelist')}?{request.GET.urlencode()}")
        response = exports.anomaly_export(tables, _describe(filters), kind).response("xlsx")
        with transaction.atomic():
            _audit_anomaly_export(
                request.user, kind, filters, row_count, filters.township or _home_division(request.user)
            )
        return response


def _audit_anomaly_export(actor, kind, filters, row_count, division, **extra):
    """Names of people leave the system in this file: who took which list, with which filters."""
    audit_record(
        actor=actor,
        action="disclosure.anomalies_exported",
        division=division,
        object_repr=str(exports.ANOMALY_KINDS.get(kind, exports.REPORT_TITLE)),
        data={
            "list": kind,
            "rows": row_count,
            "category": filters.category.slug if filters.category else "",
            "period": filters.period,
            "township": filters.township.pk if filters.township else None,
            **extra,
        },
    )


# An anomaly list too long for a request is made by a background task (villages.export_jobs) from these
# params: the filters by id, re-read in the requester's jurisdiction when the task runs.
ANOMALY_EXPORT = "anomalies"


def _anomaly_params(kind, filters):
    return {
        "list": kind,
        "category": filters.category.pk if filters.category else None,
        "period": filters.period,
        "township": filters.township.pk if filters.township else None,
    }


def _anomaly_filters(user, params):
    filters = selectors.AnomalyFilters(period=params["period"])
    if params["township"] is not None:
        filters.township = selectors.townships_for(user).filter(pk=params["township"]).first()
        if filters.township is None:
            raise export_jobs.ExportRefused(_("这个乡镇已不在您的辖区内。"))
    if params["category"] is not None:
        filters.category = Category.objects.filter(kind=Kind.ROSTER, pk=params["category"]).first()
        if filters.category is None:
            raise export_jobs.ExportRefused(_("这个类别已不存在。"))
    return filters


def _build_anomaly_export(user, params):
    filters = _anomaly_filters(user, params)
    tables = exports.anomaly_report_tables(params["list"], user, filters)
    return exports.anomaly_export(tables, _describe(filters), params["list"])


def _audit_anomaly_job(job, row_count):
    filters = _anomaly_filters(job.requested_by, job.params)
    _audit_anomaly_export(job.requested_by, job.params["list"], filters, row_count, job.division, job=job.pk)


# Registered beside the view that submits it; the admin is loaded at start-up in every process (web, worker,
# commands), so the worker knows the kind.
export_jobs.register(
    export_jobs.ExportKind(ANOMALY_EXPORT, selectors.ANOMALY_PERM, _build_anomaly_export, _audit_anomaly_job)
)


def _describe(filters):
    parts = [_("筛选")]
    parts.append(_("类别：%(v)s") % {"v": filters.category.name if filters.category else _("全部")})
    parts.append(_("期间：%(v)s") % {"v": filters.period or _("全部")})
    parts.append(_("乡镇：%(v)s") % {"v": filters.township.name if filters.township else _("全部")})
    parts.append(_("导出时间：%(v)s") % {"v": timezone.localtime().strftime("%Y-%m-%d %H:%M")})
    return " · ".join(parts)


def _home_division(user):
    divisions = divisions_with(user, selectors.ANOMALY_PERM)
    return divisions[0] if len(divisions) == 1 else None
