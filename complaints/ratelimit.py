"""Rate limits for public intake through Django's cache (Redis in production).

Keys combine phone, session and address: strict per phone and per session,
generous per address (carrier NAT and the township kiosk share addresses), and
kiosk addresses in ``settings.RATELIMIT_KIOSK_ADDRESSES`` are limited by phone only.
"""

from django.conf import settings
from django.core.cache import cache

from sunshine.audit.middleware import client_ip

DEFAULT_LIMITS = {
    # scope: (max hits, window seconds)
    "address": (60, 3600),
    "session": (5, 3600),
    "phone": (5, 86400),
    "track": (30, 3600),
}


def limits():
    return {**DEFAULT_LIMITS, **settings.COMPLAINTS_RATE_LIMITS}


def _hit(scope, ident):
    if not ident:
        return True
    maximum, window = limits()[scope]
    key = f"complaints:rl:{scope}:{ident}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count <= maximum


def allow_intake(request, phone_key=""):
    """Count one submission; False when any of address, session or phone is over its limit."""
    address = client_ip(request)
    kiosk = address in settings.RATELIMIT_KIOSK_ADDRESSES
    if not request.session.session_key:
        request.session.save()
    checks = [("phone", phone_key)]
    if not kiosk:  # everyone at a kiosk shares its browser session and its address
        checks += [("session", request.session.session_key), ("address", address)]
    # Evaluate every key so each is counted, then decide.
    results = [_hit(scope, ident) for scope, ident in checks]
    return all(results)


def allow_tracking(request):
    address = client_ip(request)
    if address in settings.RATELIMIT_KIOSK_ADDRESSES:
        return True
    return _hit("track", address)
