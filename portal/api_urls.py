from django.urls import path

from .api import LookupView

urlpatterns = [path("lookup/", LookupView.as_view(), name="api-lookup")]
