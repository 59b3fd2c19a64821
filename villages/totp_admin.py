"""动态口令设备 in the admin: county admins see their county's staff TOTP devices and reset (delete) one.

django-otp's own ``TOTPDeviceAdmin`` shows its model's English field names and help texts (not translatable), the
secret key on the add page and a QR code; it is gated by Django model permissions, so only superusers saw it. This
replaces it: Chinese columns, read-only fields a county admin needs (owner, name, confirmed, last used, drift and
throttling), gated by the role table (``two_factor.reset``) and scoped to staff in the admin's county. The one
change is deletion: the owner enrols a new device at the next sign-in (villages.two_factor), and it is audited as
``auth.totp_removed``. Devices are enrolled only by their owner, never added here.
"""

from django.contrib import admin
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from sunshine.audit.services import audit_record

from .auth_audit import _division
from .permissions import can, divisions_with

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)

PERM = "two_factor.reset"
COLUMNS = ("owner", "device_name", "is_confirmed", "created", "last_used")
STATE = ("drift_steps", "failures", "throttled_since")


@admin.register(TOTPDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    list_display = COLUMNS
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "name")
    search_help_text = _("按账号、姓名或设备名称搜索")
    ordering = ("user__username",)
    actions = ["delete_selected"]
    fields = readonly_fields = COLUMNS + STATE

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return queryset
        # A county admin's staff: members of a division in their reach (as the staff account page scopes them).
        within = Q(pk__in=[])
        for division in divisions_with(request.user, PERM):
            within |= Q(user__memberships__division__path__startswith=division.path)
        return queryset.filter(within).distinct()

    def _allowed(self, request):
        return can(request.user, PERM)

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

    @admin.display(description=_("账号"), ordering="user__username")
    def owner(self, obj):
        return obj.user.get_username()

    @admin.display(description=_("设备名称"), ordering="name")
    def device_name(self, obj):
        return obj.name

    @admin.display(description=_("已确认"), boolean=True, ordering="confirmed")
    def is_confirmed(self, obj):
        return obj.confirmed

    @admin.display(description=_("启用时间"), ordering="created_at")
    def created(self, obj):
        return obj.created_at or "—"

    @admin.display(description=_("最近使用"), ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at or "—"

    @admin.display(description=_("时钟偏差（步）"))
    def drift_steps(self, obj):
        return obj.drift

    @admin.display(description=_("连续失败次数"))
    def failures(self, obj):
        return obj.throttling_failure_count

    @admin.display(description=_("最近一次失败"))
    def throttled_since(self, obj):
        return obj.throttling_failure_timestamp or "—"

    @transaction.atomic
    def delete_model(self, request, obj):
        user = obj.user
        obj.delete()
        audit_record(
            actor=request.user,
            action="auth.totp_removed",
            object_repr=user.get_username(),
            division=_division(user),
            reason=gettext("县管理员重置动态口令设备，下次登录时重新绑定"),
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
