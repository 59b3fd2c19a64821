from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import (
    audit_admin,  # noqa: F401  (registers the audit log's admin page)
    services,
)
from .admin_mixins import AuditHistoryMixin, JurisdictionAdminMixin, scoped_division_choices
from .models import CalendarDay, Division, Membership, StaffRelative, VillageCadre
from .permission_labels import ChinesePermissionsMixin
from .permissions import can, divisions_with


class ServiceWritesMixin:
    """Saving and deleting in this admin go through the app's audited services (``save_with``/``delete_with``),
    never a plain ORM save: one event per change, whoever makes it."""

    def save_with(self, actor, obj):
        raise NotImplementedError

    def delete_with(self, actor, obj):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        self.save_with(request.user, obj)

    def delete_model(self, request, obj):
        self.delete_with(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_with(request.user, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "division"
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Division)
class DivisionAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    jurisdiction_field = ""
    view_perm = "division.view"
    change_perm = add_perm = delete_perm = "division.change"
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    list_select_related = ("parent",)
    fields = ("name", "code", "level", "parent", "sort_order", ("lat", "long"))
    inlines = [MembershipInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = scoped_division_choices(request, "division.change")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.division_save(actor=request.user, division=obj)

    def delete_model(self, request, obj):
        try:
            services.division_delete(actor=request.user, division=obj)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Membership)
class MembershipAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    view_perm = "membership.view"
    change_perm = add_perm = delete_perm = "membership.change"
    list_display = ("user", "division", "role", "created_at")
    list_filter = ("role", "division__level")
    search_fields = ("user__username", "user__first_name", "division__name")
    list_select_related = ("user", "division")
    autocomplete_fields = ("user",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "division":
            kwargs["queryset"] = scoped_division_choices(request, "membership.change")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            services.membership_change(actor=request.user, membership=obj)
        else:
            services.membership_grant(actor=request.user, user=obj.user, division=obj.division, role=obj.role)

    def delete_model(self, request, obj):
        services.membership_revoke(actor=request.user, membership=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.membership_revoke(actor=request.user, membership=obj)


@admin.register(VillageCadre)
class VillageCadreAdmin(ServiceWritesMixin, JurisdictionAdminMixin, admin.ModelAdmin):
    view_perm = "cadre.view"
    change_perm = add_perm = delete_perm = "cadre.change"
    list_display = ("name", "position", "division", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    exclude = ("person_key",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "division":
            kwargs["queryset"] = scoped_division_choices(request, "cadre.change").filter(level="village")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_with(self, actor, obj):
        services.cadre_save(actor=actor, cadre=obj)

    def delete_with(self, actor, obj):
        services.cadre_delete(actor=actor, cadre=obj)


@admin.register(StaffRelative)
class StaffRelativeAdmin(AuditHistoryMixin, ServiceWritesMixin, admin.ModelAdmin):
    list_display = ("user", "relation", "name")
    search_fields = ("user__username", "name")
    exclude = ("person_key",)
    autocomplete_fields = ("user",)

    def _allowed(self, request):
        return can(request.user, "relative.change")

    def has_module_permission(self, request):
        return self._allowed(request)

    has_view_permission = has_change_permission = has_delete_permission = lambda self, request, obj=None: self._allowed(
        request
    )

    def has_add_permission(self, request):
        return self._allowed(request)

    def save_with(self, actor, obj):
        services.relative_save(actor=actor, relative=obj)

    def delete_with(self, actor, obj):
        services.relative_delete(actor=actor, relative=obj)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditHistoryMixin, ServiceWritesMixin, admin.ModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"

    def _allowed(self, request):
        return can(request.user, "calendar.change")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    has_change_permission = has_delete_permission = lambda self, request, obj=None: self._allowed(request)

    def changelist_view(self, request, extra_context=None):
        from villages.workdays import missing_years

        missing = missing_years()
        if missing:
            self.message_user(
                request,
                _("节假日日历缺少 %(years)s 年的数据，办理期限会按周末计算。")
                % {"years": "、".join(map(str, missing))},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return self._allowed(request)

    def save_with(self, actor, obj):
        services.calendar_day_save(actor=actor, day=obj)

    def delete_with(self, actor, obj):
        services.calendar_day_delete(actor=actor, day=obj)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(ChinesePermissionsMixin, AuditHistoryMixin, UserAdmin):
    """County admins manage staff accounts in their county; others see none."""

    list_display = ("username", "first_name", "is_active", "last_login")
    list_filter = ("is_active",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        divisions = divisions_with(request.user, "membership.change")
        if not divisions:
            return qs.none()
        condition = Q(memberships__isnull=True, is_superuser=False)
        for division in divisions:
            condition |= Q(memberships__division__path__startswith=division.path)
        return qs.filter(condition).distinct()

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        if obj is None:
            return self.add_fieldsets
        return (
            (None, {"fields": ("username", "password")}),
            (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
            (_("状态"), {"fields": ("is_active", "is_staff", "last_login", "date_joined")}),
        )

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("last_login", "date_joined")

    def _allowed(self, request):
        return request.user.is_superuser or can(request.user, "membership.change")

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


admin.site.unregister(Group)


@admin.register(Group)
class StaffGroupAdmin(ChinesePermissionsMixin, GroupAdmin):
    """Django's group page (superusers only, by model permissions), its permissions listed in Chinese."""


# Admin pages of their own modules: login locks (django-axes) and TOTP devices for county admins; 我的导出 (exports).
from . import auth_admin, export_admin, totp_admin  # noqa: E402,F401
