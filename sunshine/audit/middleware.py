from .context import current_ip


def client_ip(request):
    """The client address. Behind a proxy, set REMOTE_ADDR from X-Forwarded-For at the proxy."""
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
