"""The audit log in the admin, scoped by jurisdiction.

The log itself belongs to the project package (``sunshine.audit``); reading it by jurisdiction is
this app's business, so the admin page lives here and the project package imports no domain app.
"""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sunshine.audit.actions import ACTIONS, LEGACY, action_choices, action_label
from sunshine.audit.models import AuditEvent

from .admin_mixins import JurisdictionAdminMixin, ReadOnlyAdminMixin


class ActionFilter(admin.SimpleListFilter):
    """Filter by action, offered by Chinese label; the raw code in the URL (``?action=division.changed``).

    A registered code also matches the legacy codes it replaced, so one choice finds old and new rows;
    legacy codes still stored are offered on their own too.
    """

    title = _("操作")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        stored_legacy = (
            model_admin.get_queryset(request)
            .exclude(action__in=list(ACTIONS))
            .values_list("action", flat=True)
            .distinct()
            .order_by("action")
        )
        legacy = [
            (code, _("%(label)s（旧代码 %(code)s）") % {"label": action_label(code), "code": code})
            for code in stored_legacy
        ]
        return [*action_choices(), *legacy]

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        if code in ACTIONS:
            return queryset.filter(action__in=[code, *(old for old, new in LEGACY.items() if new == code)])
        return queryset.filter(action=code)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, JurisdictionAdminMixin, admin.ModelAdmin):
    """Inspectors browse history by object, actor, action and date. Nothing here can change it."""

    view_perm = "audit.view"
    list_display = ("id", "created_at", "actor_label", "action_display", "object_repr", "division", "reason_short")
    list_filter = (ActionFilter, ("created_at", admin.DateFieldListFilter), "content_type")
    search_fields = ("object_repr", "actor_label", "action", "=object_id", "reason")
    list_select_related = ("division",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "actor_label",
        "action_with_code",
        "content_type",
        "object_id",
        "object_repr",
        "division",
        "changes_pretty",
        "reason",
        "ip",
        "data_pretty",
    )
    fields = readonly_fields
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "object_id" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("操作"), ordering="action")
    def action_display(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("操作"))
    def action_with_code(self, obj):
        return f"{action_label(obj.action)}（{obj.action}）"

    @admin.display(description=_("原因"))
    def reason_short(self, obj):
        return (obj.reason[:40] + "…") if len(obj.reason) > 40 else obj.reason

    @admin.display(description=_("变更（前 → 后）"))
    def changes_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, ensure_ascii=False, indent=2))

    @admin.display(description=_("附加数据"))
    def data_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2))

    def has_view_permission(self, request, obj=None):
        if obj is not None and obj.division_id is None:
            return request.user.is_superuser  # installation-wide events
        return self._can(request, self.view_perm, obj.division if obj is not None else None)
