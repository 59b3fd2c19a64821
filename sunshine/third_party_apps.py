"""Chinese names for third-party apps whose own AppConfig has none (issue 14: no English label in the admin).

django-axes, django-tasks-db and django-otp's TOTP plugin name neither their app nor (otp_totp) their model
translatably, so the admin showed "Axes", "Otp_Totp → TOTP devices" and "Tasks Database Backend". These configs
replace theirs in INSTALLED_APPS; the app labels (and so tables, migrations, URLs and permissions) stay the same.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPAppConfig
from django_tasks_db.apps import TasksAppConfig as TasksDBAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = _("登录锁定")


class TOTPConfig(TOTPAppConfig):
    verbose_name = _("动态口令")

    def ready(self):
        super().ready()
        meta = self.get_model("TOTPDevice")._meta
        # Display names only: migrations read Meta's original_attrs, which stay as django-otp wrote them, so no
        # migration is asked for in a package we do not own.
        meta.verbose_name = _("动态口令设备")
        meta.verbose_name_plural = _("动态口令设备")


class TasksDBConfig(TasksDBAppConfig):
    verbose_name = _("后台任务库")
