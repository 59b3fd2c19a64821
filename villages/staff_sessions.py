"""Staff sessions end after a working day, whatever their activity, and at browser close.

On sign-in a staff member's session (memberships, ``is_staff`` or superuser) becomes a browser
session (``set_expiry(0)``) stamped with the sign-in time; the middleware ends it once
``STAFF_SESSION_HOURS`` have passed, and ends a staff session that carries no stamp (one opened
before this rule, or by a path that bypassed ``login``). Residents' sessions (anonymous: the tracking
page's) are left as they are.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.db import Error as DatabaseFailure
from django.utils.translation import gettext as _

SIGNED_IN_AT = "staff_signed_in_at"


def is_staff_member(user):
    return bool(user.is_staff or user.is_superuser or user.memberships.exists())


def on_logged_in(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or not is_staff_member(user):
        return
    session.set_expiry(0)  # the cookie ends with the browser
    session[SIGNED_IN_AT] = int(time.time())


def expired(session):
    signed_in_at = session.get(SIGNED_IN_AT)
    return signed_in_at is None or time.time() - signed_in_at > settings.STAFF_SESSION_HOURS * 3600


class StaffSessionMiddleware:
    """Ends a staff session past its working day: logged out, sent to the login page with a notice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        try:
            stale = user is not None and user.is_authenticated and expired(request.session) and is_staff_member(user)
        except DatabaseFailure:  # DatabaseError or InterfaceError
            # The session cannot be read: let the view answer (a resident's complaint form gives their text back
            # with a 503); a view that needs the user fails there as it would have here.
            stale = False
        if stale:
            logout(request)
            hours = settings.STAFF_SESSION_HOURS
            messages.info(request, _("登录已超过 %(hours)d 小时，请重新登录。") % {"hours": hours})
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def connect():
    user_logged_in.connect(on_logged_in, dispatch_uid="villages.staff_sessions.logged_in")
