"""Jurisdiction scoping shared by every ModelAdmin.

Permissions come from ``villages.permissions`` (role table), never from
Django's per-model permissions, so one table decides everywhere. It lives in
``villages`` because jurisdiction is this app's business; the other apps import it.
"""

from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponseRedirect
from django.urls import reverse

from .permissions import can
from .selectors import divisions_visible_to, scope_for


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

    def history_view(self, request, object_id, extra_context=None):
        """The admin's "history" button opens this object's audit events instead of Django's LogEntry."""
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        query = urlencode({"content_type__id__exact": ContentType.objects.get_for_model(obj).pk, "object_id": obj.pk})
        return HttpResponseRedirect(f"{reverse('admin:audit_auditevent_changelist')}?{query}")


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def scoped_division_choices(request, perm):
    return divisions_visible_to(request.user, perm)
