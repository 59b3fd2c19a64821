"""Staff sign-in in the audit log: every success, every failure and every lockout (django-axes).

Receivers of Django's ``user_logged_in``/``user_login_failed`` and axes' ``user_locked_out``
signals, connected in ``VillagesConfig.ready``. The typed user name is never stored unless it names
an existing account (a password typed into the user name field must not reach the log); the event
is filed under the account's highest division, so the county's inspectors see it, and carries the
client address the audit middleware recorded. A refused attempt during a lockout is one
``auth.login_failed`` event marked ``locked``; ``auth.locked_out`` is written once, when the lock starts.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.shortcuts import render
from django.utils.translation import gettext as _

from sunshine.audit.services import audit_record

from .models import Membership

UNKNOWN_ACCOUNT = "（不存在的账号）"


def _account(username):
    """The existing account ``username`` names, or None (its text is then dropped)."""
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: str(username)[:150]}).first()


def _division(user):
    membership = Membership.objects.filter(user=user).select_related("division").order_by("division__path").first()
    return membership.division if membership else None


def _record(action, user, **kwargs):
    if user is None:
        audit_record(actor=UNKNOWN_ACCOUNT, action=action, **kwargs)
    else:
        audit_record(actor=user, action=action, obj=user, division=_division(user), **kwargs)


def _username(credentials):
    model = get_user_model()
    return (credentials or {}).get(model.USERNAME_FIELD) or (credentials or {}).get("username")


def on_logged_in(sender, request, user, **kwargs):
    _record("auth.login_succeeded", user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Refused by axes without checking the password: its backend set the flag before any failure was counted.
    locked = bool(getattr(request, "axes_locked_out", False))
    refused = locked and getattr(request, "axes_failures_since_start", None) is None
    _record("auth.login_failed", _account(_username(credentials)), data={"locked": refused})


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    if request is not None and getattr(request, "axes_failures_since_start", None) is None:
        return  # an attempt while already locked: recorded as a refused auth.login_failed
    _record("auth.locked_out", _account(username), reason=_("连续登录失败次数达到上限"))


def lockout_response(request, original_response=None, credentials=None):
    """What a locked account+address gets instead of the login page: 429 and a Chinese explanation."""
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),  # the admin's header and site name
        "title": _("登录已暂停"),
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "minutes": settings.LOGIN_COOLOFF_MINUTES,
    }
    return render(request, "admin/login_locked.html", context, status=429)


def connect():
    from axes.signals import user_locked_out

    user_logged_in.connect(on_logged_in, dispatch_uid="villages.auth_audit.logged_in")
    user_login_failed.connect(on_login_failed, dispatch_uid="villages.auth_audit.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="villages.auth_audit.locked_out")
