"""Jurisdiction scoping shared by every ModelAdmin.

Permissions come from ``villages.permissions`` (role table), never from
Django's per-model permissions, so one table decides everywhere. It lives in
``villages`` because jurisdiction is this app's business; the other apps import it.
"""

from .permissions import can
from .selectors import divisions_visible_to, scope_for


class AuditHistoryMixin:
    """The admin's "history" button (变更记录) opens the object's audit events, not Django's LogEntry.

    An admin may define ``audit_related(request, obj)`` returning more objects whose events belong on the
    same page (a disclosure's revisions and import jobs). Every registered admin with object pages uses
    this mixin (``tests/villages/test_audit_readable.py`` checks).
    """

    def history_view(self, request, object_id, extra_context=None):
        from .audit_history import object_history_view  # the audit pages import this module

        return object_history_view(self, request, object_id)

    def render_change_form(self, request, context, *args, **kwargs):
        from .audit_history import may_read_history

        context.setdefault("show_audit_history", may_read_history(request.user))
        return super().render_change_form(request, context, *args, **kwargs)


class JurisdictionAdminMixin(AuditHistoryMixin):
    """Scope the changelist and every object view to the user's divisions.

    Objects outside the jurisdiction are absent from the queryset, so the admin
    answers with its own "does not exist" redirect, never with their data.
    """

    jurisdiction_field = "division"
    jurisdiction_path_field = None  # a column holding the division's path on the row itself (audit events)
    view_perm = None
    change_perm = None
    add_perm = None
    delete_perm = None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return scope_for(
            queryset, request.user, self.view_perm, self.jurisdiction_field, path_field=self.jurisdiction_path_field
        )

    def _can(self, request, perm, obj=None):
        return bool(perm) and can(request.user, perm, obj)

    def has_module_permission(self, request):
        return self._can(request, self.view_perm)

    def has_view_permission(self, request, obj=None):
        return self._can(request, self.view_perm, obj) or self.has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._can(request, self.change_perm, obj)

    def has_add_permission(self, request, *args):
        return self._can(request, self.add_perm)

    def has_delete_permission(self, request, obj=None):
        return self._can(request, self.delete_perm, obj)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def scoped_division_choices(request, perm):
    return divisions_visible_to(request.user, perm)
