"""乡镇统计 (per-township figures) in the admin: disclosure calendar and payout figures beside complaint figures.

The page is registered on ``disclosures.TownshipReport`` (a proxy model that only gives the page its
place in the admin), so its address stays ``/admin/disclosures/townshipreport/``; it lives here because
it combines two domain apps.
"""

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse

from disclosures import exports
from disclosures import selectors as disclosure_selectors
from disclosures.inspect_admin import InspectorPageAdmin
from disclosures.models import TownshipReport

from . import tasks_admin  # noqa: F401  (registers 后台任务 and the worker list)
from .selectors import township_figures


@admin.register(TownshipReport)
class TownshipFiguresAdmin(InspectorPageAdmin):
    def _period(self, request):
        periods, default = disclosure_selectors.payout_periods(request.user)
        period = request.GET.get("period", "").strip()[:10] or default  # 请选择 (empty) keeps the current one
        return periods, period

    def _tables(self, request, period):
        figures, categories = township_figures(request.user, period=period)
        return exports.township_tables(figures, categories, period)

    def page_view(self, request):
        self._check(request)
        periods, period = self._period(request)
        return TemplateResponse(
            request,
            "admin/disclosures/township_figures.html",
            self._context(
                request,
                pickers=disclosure_selectors.period_pickers(periods, period),
                period=period,
                tables=self._tables(request, period),
                export_url_name="admin:disclosures_townshipreport_export",
            ),
        )

    def export_view(self, request, kind):
        self._check(request)
        if kind != "townships":
            raise Http404
        _periods, period = self._period(request)
        return self._xlsx(exports.xlsx(self._tables(request, period)), "township-figures")
