import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sunshine.admin_utils import JurisdictionAdminMixin, ReadOnlyAdminMixin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, JurisdictionAdminMixin, admin.ModelAdmin):
    """Inspectors browse history by object, actor, action and date. Nothing here can change it."""

    view_perm = "audit.view"
    list_display = ("id", "created_at", "actor_label", "action", "object_repr", "division", "reason_short")
    list_filter = ("action", ("created_at", admin.DateFieldListFilter), "content_type")
    search_fields = ("object_repr", "actor_label", "action", "=object_id", "reason")
    list_select_related = ("division",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "actor_label",
        "action",
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
