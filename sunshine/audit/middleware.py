import ipaddress

from django.conf import settings

from .context import current_ip


def _address(text):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, proxies):
    return address is not None and any(address in network for network in proxies)


def client_ip(request):
    """The client address.

    REMOTE_ADDR, unless the direct peer is a trusted proxy (``settings.SUNSHINE_TRUSTED_PROXIES``):
    then the rightmost X-Forwarded-For address that is not itself a trusted proxy. Anything to the
    left of that is written by the client and never believed.
    """
    peer = request.META.get("REMOTE_ADDR") or None
    proxies = settings.SUNSHINE_TRUSTED_PROXIES
    if not proxies or not _trusted(_address(peer or ""), proxies):
        return peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # a malformed hop: stop at the last proxy we trust
        if not _trusted(address, proxies):
            return str(address)
    return peer


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
