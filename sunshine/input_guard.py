"""Refuse input no page can store or look up: a NUL byte in the path, query string, form fields, uploaded
or a JSON body answers 400 before any view or database query runs.

PostgreSQL cannot hold NUL in text, so without this a ``?q=%00`` turned into a 500 deep inside a query.
The answer fits the caller: the Open311 error array (JSON or XML, as the path asks), the API's
``{"detail": ...}`` JSON, or the Chinese 400 page. The Open311 shape is written here, not imported from
``complaints.open311``: this layer may not import the apps above it (tests/test_layers.py).
"""

import json
from urllib.parse import unquote_to_bytes
from xml.etree import ElementTree as ET

from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.response import SimpleTemplateResponse
from django.utils.translation import gettext as _

NUL = "\x00"
OPEN311_PREFIX = "/open311/"
API_PREFIX = "/api/"


def _has_nul(request):
    if NUL in request.path_info or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        return b"\\u0000" in request.body or b"\x00" in request.body
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # Uploaded file names need no check: Django drops non-printable characters from them.
        fields = [*request.POST.keys(), *request.FILES.keys()]
        fields += [value for _name, values in request.POST.lists() for value in values]
        return any(NUL in text for text in fields)
    return False


def open311_error(path, description, status=400):
    rows = [{"code": status, "description": description}]
    if path.lower().endswith(".xml"):
        top = ET.Element("errors")
        node = ET.SubElement(top, "error")
        ET.SubElement(node, "code").text = str(status)
        ET.SubElement(node, "description").text = description
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
        response = HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    else:
        body = json.dumps(rows, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8", status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def bad_request(request, message):
    """The 400 answer in the caller's own format."""
    path = request.path_info.replace(NUL, "")
    if path.startswith(OPEN311_PREFIX):
        return open311_error(path, message)
    if path.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=400, json_dumps_params={"ensure_ascii": False})
    response = SimpleTemplateResponse("400.html", {"message": message}, status=400)
    return response.render()


class RejectInvalidInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            refused = _has_nul(request)
        except MultiPartParserError:
            return bad_request(request, _("上传的表单数据不完整或格式有误，请重新提交。"))
        if refused:
            return bad_request(request, _("请求中含有无效字符（空字符），无法处理。"))
        return self.get_response(request)
