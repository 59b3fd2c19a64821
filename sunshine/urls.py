from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import outages, views

admin.site.site_header = "阳光村务管理后台"
admin.site.site_title = "阳光村务管理后台"
admin.site.index_title = "工作台"
admin.site.empty_value_display = "—"

REDOC_CSP = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("kiosk/", views.kiosk_toggle, name="kiosk-toggle"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script served as a file (?script), not inline: no widening of the CSP needed.
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Redoc writes its styles into <style> elements and renders in a blob: worker: allowed on this page only.
    path("api/v1/redoc/", REDOC_CSP(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("api/v1/", include("villages.api_urls")),
    path("api/v1/", include("disclosures.api_urls")),
    path("api/v1/", include("disclosures.import_api_urls")),
    path("api/v1/", include("complaints.api_urls")),
    path("api/v1/", include("portal.api_urls")),
    path("open311/v2/", include("complaints.open311_urls")),
    path("audit/", include("sunshine.audit.urls")),
    path("complaints/", include("complaints.urls")),
    path("", include("disclosures.urls")),
    path("", include("villages.urls")),
    path("", include("portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Database trouble anywhere in a request (view or middleware) → 503 服务暂时不可用; anything else → Chinese 500.
handler500 = outages.server_error
# Under /api/ a URL that matches no route answers in JSON (as the schema declares); elsewhere Django's page.
handler404 = views.not_found
