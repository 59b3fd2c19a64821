"""Jurisdiction scoping shared by every ModelAdmin.

Permissions come from ``villages.permissions`` (role table), never from
Django's per-model permissions, so one table decides everywhere.
"""

from django.contrib import admin

from villages.permissions import can
from villages.selectors import scope_for


class JurisdictionAdminMixin:
    """Scope the changelist and every object view to the user's divisions.

    Objects outside the jurisdiction are absent from the queryset, so the admin
    answers with its own "does not exist" redirect, never with their data.
    """

    jurisdiction_field = "division"
    view_perm = None
    change_perm = None
    add_perm = None
    delete_perm = None

    def get_queryset(self, request):
        return scope_for(super().get_queryset(request), request.user, self.view_perm, self.jurisdiction_field)

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
    from villages.models import Division
    from villages.selectors import scope_for as _scope

    return _scope(Division.objects.all(), request.user, perm, field="")


admin.site.empty_value_display = "—"
