from django.urls import re_path

from . import open311

FMT = r"\.(?P<fmt>(?i:json|xml))$"

urlpatterns = [
    re_path(r"^discovery" + FMT, open311.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, open311.service_list, name="open311-services"),
    re_path(r"^services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, open311.requests_view, name="open311-requests"),
    re_path(r"^requests/(?P<code>[\w-]+)" + FMT, open311.request_detail, name="open311-request"),
    # Anything else under /open311/v2/ answers in the spec's error format, not with an HTML page.
    re_path(r"^(?P<path>.*)$", open311.unknown, name="open311-unknown"),
]
