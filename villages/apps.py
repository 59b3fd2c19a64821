from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("区划与人员")

    def ready(self):
        from . import auth_audit, staff_sessions

        auth_audit.connect()
        staff_sessions.connect()
