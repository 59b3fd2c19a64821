from django.http import HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import health


@require_POST
def kiosk_toggle(request):
    """Large-text mode for the township touch terminal (and anyone who needs it); no JavaScript."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.COOKIES.get("kiosk") == "1":
        response.delete_cookie("kiosk")
    else:
        response.set_cookie("kiosk", "1", max_age=60 * 60 * 24 * 365, samesite="Lax")
    return response


@never_cache
def healthz(request):
    """200 when the database, the cache and storage all answer; 503 naming the ones that do not, within 3 s.

    For monitoring: {"status": "ok" | "unavailable", "failing": [...], "checks": {name: {...}}}.
    """
    checks = health.run_checks()
    failing = sorted(name for name, result in checks.items() if not result["ok"])
    body = {"status": "unavailable" if failing else "ok", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)


def not_found(request, exception):
    """handler404: under /api/ a URL no route matches (``/api/v1/disclosures/0.5/``) answers in JSON like
    every other API error, as the OpenAPI schema declares; elsewhere templates/404.html, in Chinese."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "找不到。"}, status=404)
    return defaults.page_not_found(request, exception)
