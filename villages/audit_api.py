"""The staff API over the audit log, scoped by jurisdiction (which is why it lives in ``villages``)."""

import django_filters
from rest_framework import viewsets

from sunshine.audit.models import AuditEvent
from sunshine.audit.serializers import AuditEventSerializer

from .api_permissions import HasRolePermission
from .selectors import scope_for


class AuditEventFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    actor = django_filters.CharFilter(field_name="actor_label")

    class Meta:
        model = AuditEvent
        fields = ("action", "object_id", "division")


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Inspectors: audit events of their jurisdiction, newest first."""

    serializer_class = AuditEventSerializer
    permission_classes = [HasRolePermission]
    required_perm = "audit.view"
    filterset_class = AuditEventFilter

    def get_queryset(self):
        queryset = AuditEvent.objects.select_related("content_type").order_by("-id")
        return scope_for(queryset, self.request.user, self.required_perm, path_field="division_path")
