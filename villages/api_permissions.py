"""DRF glue for the role table: staff endpoints scope querysets with ``scope_for``."""

from rest_framework.permissions import BasePermission

from .permissions import can


class HasRolePermission(BasePermission):
    """Grants access when the user holds ``view.required_perm`` somewhere; objects are scoped by the queryset."""

    def has_permission(self, request, view):
        return can(request.user, view.required_perm)
