"""Login locks in the admin: county admins see who is locked out and lift a lock (audited).

django-axes registers its own ``AccessAttempt`` admin for superusers only (Django model permissions);
this replaces it with one gated by the role table (``login_lock.reset``), read-only except for
deletion, which lifts the lock and writes ``auth.unlocked``. The request data axes keeps is not shown.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record

from .auth_audit import UNKNOWN_ACCOUNT, _account, _division
from .permissions import can

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginLockAdmin(AccessAttemptAdmin):
    actions = ["delete_selected"]
    fieldsets = ((None, {"fields": ("username", "ip_address", "attempt_time", "failures_since_start")}),)

    def _allowed(self, request):
        return can(request.user, "login_lock.reset")

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @transaction.atomic
    def delete_model(self, request, obj):
        user = _account(obj.username)
        obj.delete()
        audit_record(
            actor=request.user,
            action="auth.unlocked",
            object_repr=user.get_username() if user else UNKNOWN_ACCOUNT,
            division=_division(user) if user else None,
            reason=_("县管理员解除登录锁定"),
            data={"ip": obj.ip_address},
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
