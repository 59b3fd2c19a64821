"""Django's permissions in Chinese on the staff account and group pages.

A ``Permission``'s name is stored English text written at migrate time ("Can add access attempt"), so no catalogue
translates it. The default add/change/delete/view permissions are rebuilt here from their codename and their
model's verbose names, read when the page renders, so they follow the active language like every other label.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

# The action part of a default permission's codename → its Chinese verb.
ACTIONS = {
    "add": _("可新增"),
    "change": _("可修改"),
    "delete": _("可删除"),
    "view": _("可查看"),
}


def permission_label(permission):
    """ "可新增 登录尝试（登录锁定）" for ``axes.add_accessattempt``; a custom permission keeps its own name."""
    action, _sep, model_name = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if action not in ACTIONS or model is None or model._meta.model_name != model_name:
        return permission.name
    return _("%(action)s %(model)s（%(app)s）") % {
        "action": ACTIONS[action],
        "model": model._meta.verbose_name,
        "app": model._meta.app_config.verbose_name,
    }


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class ChinesePermissionsMixin:
    """For a ModelAdmin with a ``permissions``/``user_permissions`` many-to-many (GroupAdmin, UserAdmin)."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is None or db_field.name not in ("permissions", "user_permissions"):
            return field
        return PermissionChoiceField(
            queryset=field.queryset.select_related("content_type"),
            required=field.required,
            widget=field.widget,
            label=field.label,
            help_text=field.help_text,
        )
