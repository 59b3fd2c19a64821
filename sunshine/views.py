from django.db import connection
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST


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
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
