"""Staff queues: jurisdiction-scoped, open and overdue first, deadline shown.

The change page is read-only (details, identity for the handler, timeline). Its buttons and the
move pages are generated from the move table (``complaints.models.MOVES``): one button per move
the viewer may take on this complaint now; each page asks for what the move needs
(``forms.MOVE_FORMS``) and takes it through ``complaints.moves.transition``.
"""

import contextvars
import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.times import local_minute
from villages import export_jobs
from villages.admin_mixins import AuditHistoryMixin, ReadOnlyAdminMixin
from villages.export_admin import submitted_message
from villages.permissions import can
from villages.workdays import missing_years

from . import exports, notifications, selectors, services
from .access import may_reveal, may_see_private, remember_reveal
from .forms import MOVE_FORMS, ReasonForm, StaffIntakeForm, TransferForm, add_service_errors
from .models import MOVES, OPEN_STATES, ApiKey, Complaint, ComplaintCategory, CountyClock, MoveActor, Outbox, overdue_q
from .moves import available_moves, move_refusal
from .views import EVENT_LABELS

_request = contextvars.ContextVar("complaints_admin_request", default=None)


def _photo_thumbnails(photos):
    return format_html_join(
        " ",
        '<a href="{}" target="_blank"><img src="{}" alt="" class="sv-thumb"></a>',
        ((reverse("complaints:photo", args=[p.pk]), reverse("complaints:photo", args=[p.pk])) for p in photos),
    )


# Events a resident makes without an account (filing, rating); other events without an actor are the system's.
FILER_ACTIONS = {"complaint.submitted", "complaint.rated", "complaint.reopened"}


def _who(event):
    """Who acted, as the timeline says it: the staff member's name, 留言人 or 系统 (never the raw "system")."""
    if event.actor_id is not None:
        return event.actor_label
    return _("留言人") if event.action in FILER_ACTIONS else _("系统")


def _kept_filters(request):
    """``?_changelist_filters=…`` when the page was opened from a filtered queue: carried through a move's page so
    the handler lands back on the same filtered, searched and paged list."""
    kept = request.GET.get("_changelist_filters")
    return "?" + QueryDict.fromkeys(["_changelist_filters"], kept, mutable=True).urlencode() if kept else ""


def _staff_move(name):
    """The move a staff member may be offered under ``name`` (the filer's moves have no admin page)."""
    move = MOVES.get(name)
    if move is None or not move.offered or move.actor == MoveActor.FILER:
        raise Http404
    return move


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("期限")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", _("已逾期")), ("soon", _("3 天内到期")), ("open", _("未办结"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(overdue_q(now))
        if self.value() == "soon":
            return queryset.filter(status__in=OPEN_STATES, due_at__gte=now, due_at__lt=now + datetime.timedelta(days=3))
        if self.value() == "open":
            return queryset.filter(status__in=OPEN_STATES)
        return queryset


@admin.register(Complaint)
class ComplaintAdmin(AuditHistoryMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "tracking_code",
        "deadline",
        "status",
        "category",
        "village",
        "division",
        "handler_role",
        "submitted",
    )
    list_filter = (OverdueFilter, "status", "level", "category", "channel")
    search_fields = ("tracking_code",)
    list_per_page = 50
    show_full_result_count = False  # one COUNT over the jurisdiction per page, not two
    actions = ["export_xlsx"]
    fields = (
        "tracking_code",
        "status",
        "category",
        "village",
        "division",
        "level",
        "handler_role",
        "deadline",
        "text",
        "photos_display",
        "identity_display",
        "location_display",
        "concerns_cadres",
        "concerns_township_staff",
        "named_cadre",
        "disclosure",
        "channel",
        "submitted_at",
        "accepted_at",
        "replied_at",
        "closed_at",
        "extended",
        "extension_reason",
        "reject_reason",
        "reply",
        "outcome",
        "summary",
        "description_public",
        "rating",
        "rating_comment",
        "moves_display",
        "timeline_display",
    )
    change_list_template = "complaints/admin/change_list.html"

    # --- scoping and permissions
    def get_queryset(self, request):
        return selectors.staff_queue(request.user)

    def get_ordering(self, request):
        """The queue's order, not the model's default (which would put old closed cases first)."""
        return selectors.QUEUE_ORDER

    def has_module_permission(self, request):
        return can(request.user, "complaint.view")

    def has_view_permission(self, request, obj=None):
        return can(request.user, "complaint.view") if obj is None else self._visible(request, obj)

    def _visible(self, request, obj):
        return selectors.complaints_visible_to(request.user).filter(pk=obj.pk).exists()

    # --- columns
    @admin.display(description=gettext_lazy("期限"), ordering="due_at")
    def deadline(self, obj):
        if obj.due_at is None:
            return "—"
        text = timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")
        if obj.is_overdue(timezone.now()):
            return format_html('<strong class="sv-late">{} {}</strong>', _("已逾期"), text)
        return text

    @admin.display(description=gettext_lazy("提交时间"), ordering="submitted_at")
    def submitted(self, obj):
        return local_minute(obj.submitted_at)

    @admin.display(description=gettext_lazy("留言人"))
    def identity_display(self, obj):
        """Never the name or phone itself: the handler and the county's inspectors get the logged reveal."""
        request = _request.get()
        if obj.anonymous:
            return _("匿名")
        if may_reveal(request.user, obj):
            url = reverse("admin:complaints_complaint_reveal", args=[obj.pk])
            return format_html('<a href="{}">{}</a>', url, _("查看身份（需填写理由，将记录在案）"))
        return _("仅办理人和县纪检监察人员填写理由后可查看")

    @admin.display(description=gettext_lazy("报告位置"))
    def location_display(self, obj):
        """Where an Open311 client reported from: it can identify the filer, so handlers only."""
        if obj.lat is None or obj.long is None:
            return "—"
        if not services.can_handle(_request.get().user, obj):
            return _("仅办理人可见")
        return f"{obj.lat}, {obj.long}（WGS-84）"

    @admin.display(description=gettext_lazy("照片"))
    def photos_display(self, obj):
        """Photos can identify the filer: the handler sees them, an inspector after the logged reveal."""
        photos = list(obj.photos.all())
        if not photos:
            return "—"
        request = _request.get()
        if may_see_private(request, obj):
            return _photo_thumbnails(photos)
        if may_reveal(request.user, obj):
            url = reverse("admin:complaints_complaint_reveal", args=[obj.pk])
            return format_html(
                '<a href="{}">{}</a>', url, _("%(n)d 张照片：查看需填写理由，将记录在案") % {"n": len(photos)}
            )
        return _("%(n)d 张照片，仅办理人可见") % {"n": len(photos)}

    @admin.display(description=gettext_lazy("办理"))
    def moves_display(self, obj):
        """One button per move the viewer may take on this complaint now (from the move table)."""
        request = _request.get()
        user = request.user
        keep = _kept_filters(request)
        links = [
            (reverse("admin:complaints_complaint_move", args=[obj.pk, move.name]) + keep, move.label)
            for move in available_moves(obj, user)
        ]
        if not links:
            return "—" if services.can_handle(user, obj) else _("您不是办理人，只能查看。")
        return format_html_join(" ", '<a class="button" href="{}">{}</a>', links)

    @admin.display(description=gettext_lazy("办理过程"))
    def timeline_display(self, obj):
        rows = [
            (
                timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"),
                EVENT_LABELS.get(e.action, e.action),
                _who(e),
                e.reason,
            )
            for e in selectors.timeline(obj)
        ]
        return format_html(
            "<ol>{}</ol>", format_html_join("", "<li>{} {}（{}）{}</li>", rows) if rows else format_html("")
        )

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        token = _request.set(request)  # the display methods below need the viewer
        try:
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _request.reset(token)

    def changelist_view(self, request, extra_context=None):
        missing = missing_years()
        if missing and can(request.user, "calendar.change"):
            messages.warning(
                request,
                _("节假日日历缺少 %(years)s 年的数据，办理期限会按周末计算。请在“节假日与调休”中补充。")
                % {"years": "、".join(map(str, missing))},
            )
        extra_context = {**(extra_context or {}), "title": _("留言投诉待办（逾期在前）")}
        return super().changelist_view(request, extra_context)

    # --- extra pages
    def get_urls(self):
        return [
            path("intake/", self.admin_site.admin_view(self.intake_view), name="complaints_complaint_intake"),
            path(
                "<int:pk>/move/<str:move>/",
                self.admin_site.admin_view(self.move_view),
                name="complaints_complaint_move",
            ),
            path("<int:pk>/reveal/", self.admin_site.admin_view(self.reveal_view), name="complaints_complaint_reveal"),
            *super().get_urls(),
        ]

    def _get_visible(self, request, pk):
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is None:
            raise Http404
        return obj

    def _move_form(self, move, obj, request):
        """The form the move asks for (None when it needs no input), bound on POST."""
        form_class = MOVE_FORMS.get(move.inputs)
        if form_class is None:
            return None
        kwargs = {"targets": services.transfer_targets(obj)} if form_class is TransferForm else {}
        initial = {"summary": obj.summary, "description_public": obj.description_public}
        return form_class(request.POST or None, initial=initial if move.inputs == "publicity" else {}, **kwargs)

    def move_view(self, request, pk, move):
        """The page of one move: asks for what the move needs, then takes it through ``transition``."""
        move = _staff_move(move)
        obj = self._get_visible(request, pk)
        refusal = move_refusal(move, request.user, obj)
        if refusal is not None and request.method != "POST":
            messages.error(request, " ".join(getattr(refusal, "messages", [str(refusal)])) or _("无权操作。"))
            return redirect("admin:complaints_complaint_change", obj.pk)
        form = self._move_form(move, obj, request)
        if request.method == "POST" and (form is None or form.is_valid()):
            try:
                services.transition(obj, move.name, request.user, **(form.cleaned_data if form else {}))
            except PermissionDenied as exc:
                messages.error(request, str(exc) or _("无权操作。"))
            except ValidationError as exc:
                if form is not None and hasattr(exc, "error_dict"):
                    add_service_errors(form, exc)
                else:
                    messages.error(request, " ".join(exc.messages))
                    return redirect("admin:complaints_complaint_change", obj.pk)
            else:
                messages.success(request, _("已%(move)s：%(code)s") % {"move": move.label, "code": obj.tracking_code})
                if "_changelist_filters" in request.GET:  # back to the queue as it was filtered, searched and paged
                    return redirect(
                        reverse("admin:complaints_complaint_changelist") + "?" + request.GET["_changelist_filters"]
                    )
                return redirect("admin:complaints_complaint_change", obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{move.label} · {obj.tracking_code}",
            "complaint": obj,
            "form": form,
            "label": move.label,
        }
        return TemplateResponse(request, "complaints/admin/move.html", context)

    def reveal_view(self, request, pk):
        obj = self._get_visible(request, pk)
        if not may_reveal(request.user, obj):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        identity, photos = None, None
        if request.method == "POST" and form.is_valid():
            identity = services.complaint_reveal_identity(
                complaint=obj, actor=request.user, reason=form.cleaned_data["reason"]
            )
            remember_reveal(request, obj)
            photos = _photo_thumbnails(list(obj.photos.all())) if obj.photos.exists() else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("查看留言人身份和照片 · %(code)s") % {"code": obj.tracking_code},
            "complaint": obj,
            "form": form,
            "identity": identity,
            "photos": photos,
            "label": _("查看"),
        }
        return TemplateResponse(request, "complaints/admin/move.html", context)

    def intake_view(self, request):
        """Enter a complaint received by phone or in person on the resident's behalf."""
        if not can(request.user, "complaint.intake"):
            raise PermissionDenied
        form = StaffIntakeForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid() and form.decode_photos():
            data = form.cleaned_data
            try:
                complaint, secret = services.complaint_submit(
                    **form.submission(channel=data["channel"], entered_by=request.user)
                )
            except PermissionDenied:
                form.add_error("village", _("您只能为本辖区的村代录留言。"))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已代录。请告诉留言人：查询码 %(code)s，密码 %(secret)s（只显示这一次）。")
                    % {"code": complaint.tracking_code, "secret": secret},
                )
                return redirect("admin:complaints_complaint_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("代录留言（电话/来访）"),
            "form": form,
            "label": _("提交"),
            "multipart": True,
        }
        return TemplateResponse(request, "complaints/admin/move.html", context)

    @admin.action(description=gettext_lazy("导出所选为 Excel"))
    def export_xlsx(self, request, queryset):
        queryset = queryset.select_related("category", "village", "township", "division")
        count = queryset.count()
        if not export_jobs.too_large_for_a_request(count):
            return exports.ComplaintExporter(queryset).response("xlsx")
        # Too many rows for a request: the task re-runs this changelist's filters (the query string the
        # action was posted to) for this user; a hand-picked selection is at most a page of ids.
        across = request.POST.get("select_across") == "1"
        params = {
            "query": request.GET.urlencode(),
            "ids": None if across else list(queryset.values_list("pk", flat=True)),
        }
        export_jobs.export_submit(
            user=request.user, kind=COMPLAINT_EXPORT, params=params, title=exports.ComplaintExporter.title
        )
        messages.success(request, submitted_message(count))
        return None


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("name", "service_code", "owning_level", "is_objection", "disclosure_category", "is_active")
    list_editable = ()
    search_fields = ("name", "service_code")

    def has_module_permission(self, request):
        return can(request.user, "complaint.view")

    def has_view_permission(self, request, obj=None):
        return can(request.user, "complaint.view")

    def has_change_permission(self, request, obj=None):
        return can(request.user, "complaint_category.change")

    has_add_permission = has_change_permission

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.complaint_category_save(category=obj, actor=request.user)


@admin.register(CountyClock)
class CountyClockAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = (
        "county",
        "acceptance_days",
        "acceptance_unit",
        "conclusion_days",
        "review_days",
        "first_contact_hours",
    )

    def get_queryset(self, request):
        from villages.selectors import scope_for

        return scope_for(super().get_queryset(request), request.user, "complaint_category.change", "county")

    def has_module_permission(self, request):
        return can(request.user, "complaint_category.change")

    def has_view_permission(self, request, obj=None):
        return can(request.user, "complaint_category.change", obj.county if obj else None)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "county":
            from villages.admin_mixins import scoped_division_choices

            kwargs["queryset"] = scoped_division_choices(request, "complaint_category.change").filter(level="county")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.county_clock_save(clock=obj, actor=request.user)


@admin.register(ApiKey)
class ApiKeyAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "created_by", "created_at", "last_used_at", "is_active")
    fields = ("name", "is_active")

    def _allowed(self, request):
        return can(request.user, "open311_key.change")

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    has_change_permission = has_view_permission

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.api_key_change(key=obj, actor=request.user)
            return
        key, raw = services.api_key_issue(name=obj.name, actor=request.user)
        obj.pk = key.pk
        obj.prefix, obj.key_hash = key.prefix, key.key_hash
        messages.warning(request, _("新密钥（只显示这一次，请立即复制）：%(key)s") % {"key": raw})


COMPLAINT_EXPORT = "complaints"


def _changelist_queryset(user, query):
    """The complaints the admin's changelist shows ``user`` with the filters of ``query`` (a query string)."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query)
    request.user = user
    model_admin = admin.site.get_model_admin(Complaint)
    return model_admin.get_changelist_instance(request).get_queryset(request)


def _complaint_export(user, params):
    queryset = _changelist_queryset(user, params["query"])
    if params.get("ids") is not None:
        queryset = queryset.filter(pk__in=params["ids"])
    return exports.ComplaintExporter(queryset.select_related("category", "village", "township", "division"))


# Registered here, beside the action that submits it; the admin is loaded at start-up in every process
# (web, worker, commands), so the worker knows the kind.
export_jobs.register(export_jobs.ExportKind(COMPLAINT_EXPORT, "complaint.view", _complaint_export))


class OutboxStatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _q) in OUTBOX_STATES.items()]

    def queryset(self, request, queryset):
        state = OUTBOX_STATES.get(self.value())
        return queryset.filter(state[1]) if state else queryset


# The delivery states staff can filter by (see notifications.deliver_outbox).
OUTBOX_STATES = {
    "sent": (gettext_lazy("已发送"), Q(sent_at__isnull=False)),
    "retrying": (
        gettext_lazy("等待重试"),
        Q(sent_at__isnull=True, attempts__gt=0, attempts__lt=notifications.MAX_ATTEMPTS),
    ),
    "given_up": (gettext_lazy("已放弃"), Q(sent_at__isnull=True, attempts__gte=notifications.MAX_ATTEMPTS)),
    "pending": (gettext_lazy("待发送"), Q(sent_at__isnull=True, attempts=0)),
}


@admin.register(Outbox)
class OutboxAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Delivery as staff need to see it: status, attempts and the masked reason of the last failure.

    The recipient column is the masked label (138****1234, a staff username); the encrypted address
    and the body are never shown."""

    list_display = (
        "created_at",
        "channel",
        "recipient_label",
        "subject",
        "delivery_status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = (OutboxStatusFilter, "channel")
    exclude = ("recipient", "body", "claimed_until")
    readonly_fields = (
        "channel",
        "recipient_label",
        "subject",
        "complaint",
        "created_at",
        "sent_at",
        "delivery_status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )

    @admin.display(description=gettext_lazy("状态"))
    def delivery_status(self, obj):
        if obj.sent_at:
            return _("已发送")
        if obj.attempts >= notifications.MAX_ATTEMPTS:
            return _("已放弃（已尝试 %(n)d 次）") % {"n": obj.attempts}
        if obj.claimed_until and obj.claimed_until > timezone.now():
            return _("正在发送")
        if obj.attempts:
            return _("等待重试")
        return _("待发送")

    def has_module_permission(self, request):
        return can(request.user, "complaint_category.change")

    def has_view_permission(self, request, obj=None):
        return can(request.user, "complaint_category.change")
