"""Rate limits for public intake and tracking through Django's cache (Redis in production).

Keys combine phone, session and address: strict per phone and per session,
generous per address (carrier NAT and the township kiosk share addresses), and
kiosk addresses in ``settings.RATELIMIT_KIOSK_ADDRESSES`` are limited by phone only.
The address is ``client_ip``: the real client behind a trusted proxy
(``settings.SUNSHINE_TRUSTED_PROXIES``), never a header a client could write.
Tracking is also limited per tracking code, across addresses, counting wrong secrets only.

A check answers ``Refusal(retry_after)`` (falsy: allowed) so the view can say 429 and when to retry.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from sunshine.audit.middleware import client_ip

DEFAULT_LIMITS = {
    # scope: (max hits, window seconds)
    "address": (60, 3600),
    "session": (5, 3600),
    "phone": (5, 86400),
    "track": (30, 3600),
    "track_code": (10, 3600),  # wrong secrets per tracking code, from any address
    "resend_code": (3, 86400),  # 忘记查询密码: new secrets by SMS per tracking code, from any address
    "resend": (10, 3600),  # and per client address (kiosks exempt)
    "photo_hold": (30, 3600),  # form errors whose photos are kept (complaints.photo_hold), per client address
}


@dataclass(frozen=True)
class Refusal:
    retry_after: int  # seconds


def limits():
    return {**DEFAULT_LIMITS, **settings.COMPLAINTS_RATE_LIMITS}


def _key(scope, ident):
    return f"complaints:rl:{scope}:{ident}"


def _hit(scope, ident):
    """Count one hit; a Refusal when ``ident`` is over its limit, else None."""
    if not ident:
        return None
    maximum, window = limits()[scope]
    key = _key(scope, ident)
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return Refusal(window) if count > maximum else None


def is_kiosk(request):
    return client_ip(request) in settings.RATELIMIT_KIOSK_ADDRESSES


def refuse_intake(request, phone_key=""):
    """Count one submission; a Refusal (else None) when any of address, session or phone is over its limit."""
    address = client_ip(request)
    if not request.session.session_key:
        request.session.save()
    checks = [("phone", phone_key)]
    if not is_kiosk(request):  # everyone at a kiosk shares its browser session and its address
        checks += [("session", request.session.session_key), ("address", address)]
    # Evaluate every key so each is counted, then decide.
    refusals = [refusal for scope, ident in checks if (refusal := _hit(scope, ident))]
    return max(refusals, key=lambda refusal: refusal.retry_after, default=None)


def refuse_tracking(request, code):
    """Count one tracking attempt from this client; a Refusal when the client or the code is over its limit."""
    maximum, window = limits()["track_code"]
    if (cache.get(_key("track_code", code)) or 0) >= maximum:
        return Refusal(window)
    if is_kiosk(request):
        return None
    return _hit("track", client_ip(request))


def refuse_resend(request, code):
    """Count one request for a new secret by SMS; a Refusal when the code or the client is over its limit.

    Every request counts, whether or not the phone matched, so the limit itself tells nothing."""
    checks = [("resend_code", code)]
    if not is_kiosk(request):
        checks.append(("resend", client_ip(request)))
    refusals = [refusal for scope, ident in checks if (refusal := _hit(scope, ident))]
    return max(refusals, key=lambda refusal: refusal.retry_after, default=None)


def refuse_photo_hold(request):
    """Count one form error whose photos would be kept; a Refusal when the client is over its limit."""
    return None if is_kiosk(request) else _hit("photo_hold", client_ip(request))


def tracking_failed(code):
    """Count one wrong secret for ``code`` (whoever sent it)."""
    _hit("track_code", code)
