"""The audit log in the admin, scoped by jurisdiction, in words people read.

The log itself belongs to the project package (``sunshine.audit``); reading it by jurisdiction is this app's
business, so the admin page lives here and the project package imports no domain app. How an event reads
(who, which object, before → after) is ``audit_display``; the filters are ``audit_filters``; one object's whole
history is ``audit_history``.

Every query of the list page uses an index at 561,000 events: the jurisdiction is a prefix of the path stored
on the event (no join), there is no date hierarchy (its min/max and per-year scans read every row), filter
choices never read the events, and the count stops at :data:`COUNT_CAP` (docs/decisions-audit.md).
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sunshine.audit.actions import action_label
from sunshine.audit.models import AuditEvent

from .admin_mixins import JurisdictionAdminMixin, ReadOnlyAdminMixin
from .audit_display import actor_name, change_rows, data_rows, local_time, object_label, object_label_html, object_url
from .audit_filters import ActionFilter, ActionKindFilter, DateRangeFilter, DivisionFilter, ObjectKindFilter

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most :data:`COUNT_CAP` rows (``SELECT COUNT(*) FROM (… LIMIT 10001)``), so a county's whole log
    costs what 10,000 rows cost; beyond that the page says 超过 10000 条 and the filters narrow it down."""

    @cached_property
    def count(self):
        found = self.object_list.order_by()[: COUNT_CAP + 1].count()  # unordered: any index may answer
        self.capped = found > COUNT_CAP
        return min(found, COUNT_CAP)

    capped = False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, JurisdictionAdminMixin, admin.ModelAdmin):
    """Inspectors browse history by object, actor, action and date. Nothing here can change it."""

    view_perm = "audit.view"
    jurisdiction_path_field = "division_path"  # the stored path, not a join: the jurisdiction is one index prefix
    change_list_template = "admin/audit/auditevent/change_list.html"
    list_display = ("id", "when", "who", "action_display", "object_link", "division", "reason_short")
    list_display_links = ("id", "when")
    list_filter = (ActionKindFilter, ActionFilter, ObjectKindFilter, DateRangeFilter, DivisionFilter)
    # A prefix of the object's name (a village, a tracking code), answered by the object_repr index; a substring
    # search would read all 561,000 rows (2.3 s).
    search_fields = ("object_repr__startswith",)
    search_help_text = _("按对象名称的开头查找，例如村名“东坪村”或留言编号。")
    list_select_related = ("division", "actor")
    paginator = CappedPaginator
    readonly_fields = (
        "when",
        "who",
        "action_with_code",
        "object_link",
        "division",
        "changes_table",
        "reason",
        "ip",
        "data_table",
    )
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup == "object_id" or super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["count_capped"] = getattr(changelist.paginator, "capped", False)
            response.context_data["count_cap"] = COUNT_CAP
        return response

    @admin.display(description=_("时间"), ordering="id")
    def when(self, obj):
        return local_time(obj.created_at)

    @admin.display(description=_("操作人"))
    def who(self, obj):
        return actor_name(obj)

    @admin.display(description=_("操作"), ordering="action")
    def action_display(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("操作"))
    def action_with_code(self, obj):
        return format_html('{}（<code translate="no">{}</code>）', action_label(obj.action), obj.action)

    @admin.display(description=_("原因"))
    def reason_short(self, obj):
        return (obj.reason[:40] + "…") if len(obj.reason) > 40 else obj.reason

    @admin.display(description=_("变更（前 → 后）"))
    def changes_table(self, obj):
        return render_to_string("admin/audit/_changes.html", {"rows": change_rows(obj), "paired": True})

    @admin.display(description=_("附加数据"))
    def data_table(self, obj):
        return render_to_string("admin/audit/_changes.html", {"rows": data_rows(obj), "paired": False})

    @admin.display(description=_("对象"))
    def object_link(self, obj):
        """The object's name; the pages use :meth:`_object_column`, which also links it for the viewer."""
        return object_label(obj)

    def _object_column(self, request):
        """The object column for this request: it links only where this viewer may open the object."""

        @admin.display(description=_("对象"))
        def object_link(obj):
            url = object_url(request, obj)
            return format_html('<a href="{}">{}</a>', url, object_label_html(obj)) if url else object_label_html(obj)

        return object_link

    def get_list_display(self, request):
        return [self._object_column(request) if name == "object_link" else name for name in self.list_display]

    def get_readonly_fields(self, request, obj=None):
        return [self._object_column(request) if name == "object_link" else name for name in self.readonly_fields]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    def has_view_permission(self, request, obj=None):
        if obj is not None and obj.division_id is None:
            return request.user.is_superuser  # installation-wide events
        return self._can(request, self.view_perm, obj.division if obj is not None else None)
