"""The project's URLs plus the import API, until the lead adds its include line to sunshine/urls.py."""

from django.urls import include, path

from sunshine.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/", include("disclosures.import_api_urls")), *project_urlpatterns]
