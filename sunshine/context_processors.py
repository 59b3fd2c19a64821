from django.conf import settings


def site(request):
    return {"SITE_NAME": settings.SITE_NAME, "KIOSK": request.COOKIES.get("kiosk") == "1"}
