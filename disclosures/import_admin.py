"""Roster import in the admin: upload → preview (survives reloads, shows progress) → confirm.

The views are thin: they call ``disclosures.importer.services``. Register this module by importing
it from ``disclosures/admin.py`` (``from . import import_admin  # noqa: F401``).
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import TaskResultStatus

from sunshine.forms import preselect_single_choices
from villages.admin_mixins import JurisdictionAdminMixin
from villages.models import Division, Level, Role
from villages.permissions import can
from villages.selectors import scope_for

from . import selectors, services
from .importer import ImportFileError
from .importer import services as importer
from .importer.headers import label
from .importer.tasks import validation_state
from .models import Category, ImportJob, ImportStatus, Kind, Phase, Revision
from .templates_xlsx import template_response
from .views import disclosure_url, roster_context

REFRESH_SECONDS = 2
# The view of each user move of ``models.IMPORT_MOVES`` (URL segment, view method); checked against the table.
MOVE_VIEWS = importer.require_move_routes(
    {"choose_sheet": ("sheet", "sheet_view"), "confirm": ("confirm", "confirm_view")}, "import admin"
)


def roster_categories():
    return Category.objects.filter(kind=Kind.ROSTER, is_active=True).order_by("sort_order", "slug")


class UploadForm(forms.Form):
    village = forms.ModelChoiceField(label=gettext_lazy("村"), queryset=Division.objects.none())
    category = forms.ModelChoiceField(label=gettext_lazy("类别"), queryset=Category.objects.none())
    period = forms.CharField(
        label=gettext_lazy("期间"), max_length=10, help_text=gettext_lazy("如 2026-11；按季度 2026-Q4；按年 2026")
    )
    phase = forms.ChoiceField(
        label=gettext_lazy("阶段"), choices=[(Phase.PRE, Phase.PRE.label), (Phase.POST, Phase.POST.label)]
    )
    file = forms.FileField(
        label=gettext_lazy("名单文件"), help_text=gettext_lazy("支持 .xlsx、.xls、.ods、.csv（UTF-8 或 GBK）")
    )

    def __init__(self, *args, user, replacing=None, **kwargs):
        super().__init__(*args, **kwargs)
        villages = Division.objects.filter(level__in=[Level.VILLAGE, Level.TOWNSHIP]).order_by("path")
        self.fields["village"].queryset = scope_for(villages, user, "roster.import", field="")
        self.fields["category"].queryset = roster_categories()
        self.fields["period"].initial = timezone.localdate().strftime("%Y-%m")
        if replacing is not None:  # 重新上传: the same village, category, period and phase as the job it replaces
            self.initial.update(
                village=replacing.division_id,
                category=replacing.category_id,
                period=replacing.period,
                phase=replacing.phase,
            )
        preselect_single_choices(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.ROSTER_IMPORT_MAX_BYTES:
            raise ValidationError(
                _("文件太大（%(size).1f MB），上限为 %(limit).0f MB。")
                % {"size": upload.size / 1048576, "limit": settings.ROSTER_IMPORT_MAX_BYTES / 1048576}
            )
        return upload


PREVIEW_PAGE_ROWS = 100


def preview_page(job, result, warnings, page_number, *, problems_only=False):
    """One page of the whole file: every importable row and every refused row (by its name and errors), in file
    order, each with its errors and warnings beside it; ``problems_only`` keeps the rows that have any. The rows
    live in ``ImportPreviewRow``: a page is one COUNT and one indexed slice, whatever the file's size."""
    errors, notes = {}, {}
    for found in result.get("errors", []):
        errors.setdefault(found["row"], []).append(found)
    for found in warnings:
        if found.get("row") is not None:
            notes.setdefault(found["row"], []).append(found)
    rows = job.preview_rows.order_by("row").values_list("row", "values")
    if problems_only:
        rows = rows.filter(problem=True)
    page = Paginator(rows, PREVIEW_PAGE_ROWS).get_page(page_number)
    page.object_list = [_preview_row(n, values, errors.get(n, []), notes.get(n, [])) for n, values in page.object_list]
    return {"rows_page": page, "problems_only": problems_only}


def _preview_row(number, values, errors, warnings):
    if values is not None:
        row = dict(zip(importer.ROW_FIELDS, values, strict=False))
    else:  # refused: only its name is known
        row = {"row": number, "name": errors[0].get("name", "") if errors else ""}
    return {**row, "errors": errors, "warnings": warnings}


def waiting_text(disclosure, revision):
    """Where the roster is and who acts next, in one sentence (e.g. 已送到青山镇，等待青山镇 乡镇审核员 审核)."""
    waiting = selectors.waiting_for(disclosure, revision)
    if waiting is None:
        return ""
    division, role, users = waiting
    names = "、".join(selectors.staff_label(user) for user in users)
    if role == Role.VILLAGE_CLERK:
        return _("已退回%(division)s，等待村务公开员修改后重新提交。") % {"division": division.name}
    text = _("名单已送到%(division)s，等待%(division)s %(role)s 审核") % {"division": division.name, "role": role.label}
    if names:
        text += _("（%(names)s）") % {"names": names}
    else:
        text += _("（%(division)s还没有%(role)s账号，请联系县管理员）") % {
            "division": division.name,
            "role": role.label,
        }
    return text + _("；公开之前，居民看不到这份名单。")


def background_state(job):
    """What the validation task of a waiting job is doing, in Chinese, and whether it has failed for good."""
    state = validation_state(job)
    if state is None:
        return "", False
    if state["final"]:
        return _("失败（%(reason)s）") % {"reason": state["reason"]}, True
    if state["status"] == TaskResultStatus.RUNNING:
        return _("正在验证（第 %(n)s 次尝试）") % {"n": state["attempts"]}, False
    if state["reason"]:  # failed on a passing fault, queued again
        return _("排队中（第 %(n)s 次尝试失败：%(reason)s，稍后自动重试）") % {
            "n": state["attempts"],
            "reason": state["reason"],
        }, False
    return _("排队中"), False


class ImportJobAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    view_perm = "disclosure.view"
    add_perm = "roster.import"
    list_display = [
        "original_name",
        "division",
        "category",
        "period",
        "phase",
        "status",
        "rows_total",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "category", "phase"]
    list_select_related = ["division", "category", "created_by"]
    search_fields = ["original_name", "division__name"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "disclosures_importjob_changelist":
            queryset = queryset.defer("result")  # a big file's preview is megabytes of JSON the list never shows
        return queryset

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("upload/", wrap(self.upload_view), name="disclosures_importjob_upload"),
            path("<uuid:pk>/preview/", wrap(self.preview_view), name="disclosures_importjob_preview"),
            path("<uuid:pk>/roster/", wrap(self.roster_view), name="disclosures_importjob_roster"),
            *(
                path(f"<uuid:pk>/{segment}/", wrap(getattr(self, view)), name=f"disclosures_importjob_{segment}")
                for segment, view in MOVE_VIEWS.values()
            ),
            path("template/<slug:slug>.xlsx", wrap(self.template_view), name="disclosures_importjob_template"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:disclosures_importjob_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        return redirect("admin:disclosures_importjob_preview", pk=job.pk)

    def _job(self, request, pk):
        job = self.get_queryset(request).select_related("division", "category", "created_by").filter(pk=pk).first()
        if job is None:
            raise Http404(_("找不到这个导入任务。"))
        return job

    def _context(self, request, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def upload_view(self, request):
        if not can(request.user, "roster.import"):
            raise PermissionDenied
        replacing = self._replacing(request)
        form = UploadForm(request.POST or None, request.FILES or None, user=request.user, replacing=replacing)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                job = importer.roster_import_upload(
                    actor=request.user,
                    division=data["village"],
                    category=data["category"],
                    period=data["period"].strip(),
                    phase=data["phase"],
                    file=data["file"],
                    original_name=data["file"].name,
                )
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("admin:disclosures_importjob_preview", pk=job.pk)
        templates = [(c, reverse("admin:disclosures_importjob_template", args=[c.slug])) for c in roster_categories()]
        return TemplateResponse(
            request,
            "disclosures/import/upload.html",
            self._context(request, title=_("导入名单"), form=form, templates=templates, replacing=replacing),
        )

    def _replacing(self, request):
        """The job a 重新上传 replaces (``?from=<job>``), if it is one this user may see; else None."""
        try:
            pk = uuid.UUID(request.GET.get("from", ""))
        except ValueError:
            return None
        return self.get_queryset(request).filter(pk=pk).first()

    def preview_view(self, request, pk):
        job = self._job(request, pk)
        result = job.result or {}
        waiting = job.status in (ImportStatus.PENDING, ImportStatus.VALIDATING) and (
            job.sheet_name or result.get("format") == "csv"
        )
        task_state, task_failed = background_state(job) if waiting else ("", False)
        may_import = can(request.user, "roster.import", job.division)
        moves = {move.name for move in importer.available_moves(job, request.user)}
        warnings = [{**w, "shown": importer.warning_text_for(request.user, job, w)} for w in result.get("warnings", [])]
        counts = result.get("counts") or {}
        context = self._context(
            request,
            title=_("导入预览：%(name)s") % {"name": job.original_name},
            job=job,
            result=result,
            counts=counts,
            errors=result.get("errors", []),
            errors_more=max(0, counts.get("errors", 0) - len(result.get("errors", []))),
            warnings=warnings,
            columns=[(label(f), text) for f, text in (result.get("columns") or {}).items()],
            **preview_page(
                job, result, warnings, request.GET.get("page"), problems_only=request.GET.get("only") == "problems"
            ),
            waiting=waiting and not task_failed,
            task_state=task_state,
            task_failed=task_failed,
            refresh_seconds=REFRESH_SECONDS,
            percent=int(100 * job.rows_processed / job.rows_total) if job.rows_total else 0,
            may_import=may_import,
            can_confirm="confirm" in moves,
            needs_reason="confirm" in moves and importer.correction_needed(job),
            can_choose_sheet="choose_sheet" in moves,
            revision_url=self._revision_url(job),
        )
        return TemplateResponse(request, "disclosures/import/preview.html", context)

    def _revision_url(self, job):
        if not job.disclosure_id:
            return ""
        try:
            return reverse("admin:disclosures_disclosure_change", args=[job.disclosure_id])
        except NoReverseMatch:
            return ""

    def sheet_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job(request, pk)
        try:
            importer.roster_import_choose_sheet(job=job, actor=request.user, sheet_name=request.POST.get("sheet", ""))
        except (ValidationError, ImportFileError) as exc:
            messages.error(request, "；".join(getattr(exc, "messages", [str(exc)])))
        return redirect("admin:disclosures_importjob_preview", pk=job.pk)

    def confirm_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        job = self._job(request, pk)
        try:
            revision = importer.roster_import_confirm(
                job=job, actor=request.user, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("admin:disclosures_importjob_preview", pk=job.pk)
        messages.success(
            request,
            _("已导入 %(n)s 行到「%(disclosure)s」第 %(number)s 版草稿。")
            % {"n": revision.entry_count, "disclosure": revision.disclosure, "number": revision.number},
        )
        # next: the roster as residents will see it, with 提交审核
        return redirect("admin:disclosures_importjob_roster", pk=job.pk)

    def roster_view(self, request, pk):
        """The imported roster as residents will see it (the public page's fields and masking), not public yet, with
        one button: 提交审核. After submitting, it says where the roster went and who reviews it next."""
        job = self._job(request, pk)
        if job.revision_id is None:
            return redirect("admin:disclosures_importjob_preview", pk=job.pk)
        revision = Revision.objects.select_related("disclosure__division__parent", "disclosure__category").get(
            pk=job.revision_id
        )
        disclosure = revision.disclosure
        may_submit = revision.is_editable and any(
            move.name == "submit" for move in services.available_moves(disclosure, request.user, revision=revision)
        )
        if request.method == "POST":
            return self._submit(request, job, disclosure, may_submit)
        context = self._context(
            request,
            title=_("居民将看到的名单：%(name)s") % {"name": disclosure},
            job=job,
            disclosure=disclosure,
            revision=revision,
            may_submit=may_submit,
            may_edit=revision.is_editable and can(request.user, "disclosure.edit", disclosure.division),
            may_import=revision.is_editable and can(request.user, "roster.import", disclosure.division),
            waiting=waiting_text(disclosure, revision),
            public_url=disclosure_url(disclosure) if disclosure.current_revision_id else "",
            revision_url=reverse("admin:disclosures_revision_change", args=[revision.pk]),
            **roster_context(request, revision, disclosure.category),
        )
        return TemplateResponse(request, "disclosures/import/roster.html", context)

    def _submit(self, request, job, disclosure, may_submit):
        if not may_submit:
            raise PermissionDenied
        try:
            revision = services.transition(disclosure, "submit", request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已提交审核。%(waiting)s") % {"waiting": waiting_text(disclosure, revision)})
        return redirect("admin:disclosures_importjob_roster", pk=job.pk)

    def template_view(self, request, slug):
        category = roster_categories().filter(slug=slug).first()
        if category is None:
            raise Http404
        return template_response(category)


admin.site.register(ImportJob, ImportJobAdmin)
