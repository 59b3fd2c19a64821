import django_filters
from rest_framework import viewsets

from .api_permissions import HasRolePermission
from .models import Division, Membership
from .selectors import scope_for
from .serializers import DivisionSerializer, MembershipSerializer


class DivisionFilter(django_filters.FilterSet):
    within = django_filters.CharFilter(method="filter_within", label="区划代码：只列出该区划及其下级")

    class Meta:
        model = Division
        fields = ("level", "parent", "code")

    def filter_within(self, queryset, name, value):
        root = Division.objects.filter(code=value).first()
        return queryset.filter(path__startswith=root.path) if root else queryset.none()


class DivisionViewSet(viewsets.ReadOnlyModelViewSet):
    """Public read of the division tree (County → Township → Village → Group)."""

    queryset = Division.objects.select_related("parent").order_by("path")
    serializer_class = DivisionSerializer
    filterset_class = DivisionFilter
    lookup_field = "code"


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    """Staff: the roles held inside your jurisdiction."""

    serializer_class = MembershipSerializer
    permission_classes = [HasRolePermission]
    required_perm = "membership.view"
    filterset_fields = ("role", "division")

    def get_queryset(self):
        queryset = Membership.objects.select_related("user", "division").order_by("id")
        return scope_for(queryset, self.request.user, self.required_perm)
