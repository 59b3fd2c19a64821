"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), JSON and XML.

Services are ``ComplaintCategory`` rows; ``address_id`` is the village's 12-digit
division code; ``service_request_id`` is the tracking code. GET shows public
fields only: the description once staff mark it publishable, the public reply once
closed, never identity or location. POST needs an ``api_key`` issued by staff.
"""

import datetime
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from villages.models import Division, Level

from . import services
from .api_keys import check_key
from .models import Channel, Complaint, ComplaintCategory, Status

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00+08:00"
MAX_RESULTS = 1000
ATTRIBUTES = [
    ("concerns_cadres", "反映的是村干部（由乡镇纪委办理，本村干部看不到）"),
    ("concerns_township_staff", "反映的是乡镇干部（由县里办理）"),
]


def _iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# ---------------------------------------------------------------- rendering


def _xml_value(parent, key, value):
    node = ET.SubElement(parent, key)
    if isinstance(value, bool):
        node.text = "true" if value else "false"
    elif isinstance(value, list):
        child_tag = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}.get(
            key, "item"
        )
        for item in value:
            if isinstance(item, dict):
                _xml_dict(node, child_tag, item)
            else:
                ET.SubElement(node, child_tag).text = str(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v)
    elif value is not None:
        node.text = str(value)


def _xml_dict(parent, tag, data):
    node = ET.SubElement(parent, tag)
    for key, value in data.items():
        _xml_value(node, key, value)
    return node


def render(fmt, data, root=None, item=None, status=200):
    if fmt == "xml":
        if isinstance(data, list):
            top = ET.Element(root)
            for row in data:
                _xml_dict(top, item, row)
        else:
            top = ET.Element(root)
            for key, value in data.items():
                _xml_value(top, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def error(fmt, code, description):
    return render(fmt, [{"code": code, "description": description}], "errors", "error", status=code)


# ---------------------------------------------------------------- views


def discovery(request, fmt):
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", settings.DEFAULT_FROM_EMAIL),
        "key_service": "县管理员在后台“Open311 密钥”中签发，或运行 python manage.py open311_key 名称",
        "endpoints": [
            {
                "specification": SPEC,
                # The address the client reached us at (a county may serve several host names).
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(fmt, data, "discovery")


def _service(category):
    return {
        "service_code": category.service_code,
        "service_name": category.name,
        "description": category.description or None,
        "metadata": True,
        "type": "realtime",
        "keywords": category.keywords or None,
        "group": category.get_owning_level_display(),
    }


def service_list(request, fmt):
    rows = [_service(c) for c in ComplaintCategory.objects.filter(is_active=True)]
    return render(fmt, rows, "services", "service")


def service_definition(request, code, fmt):
    category = ComplaintCategory.objects.filter(service_code=code, is_active=True).first()
    if category is None:
        return error(fmt, 404, f"service_code {code} not found")
    attributes = [
        {
            "variable": True,
            "code": key,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": order,
            "description": label,
            "values": [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}],
        }
        for order, (key, label) in enumerate(ATTRIBUTES, start=1)
    ]
    return render(fmt, {"service_code": category.service_code, "attributes": attributes}, "service_definition")


def public_request(c):
    """The public fields of one complaint; never identity, location or an unpublishable description."""
    closed = c.status in (Status.CLOSED, Status.REJECTED)
    notes = None
    if c.status == Status.CLOSED:
        notes = c.reply
    elif c.status == Status.REJECTED:
        notes = c.reject_reason
    return {
        "service_request_id": c.tracking_code,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": c.category.name,
        "service_code": c.category.service_code,
        "description": c.text if c.description_public else (c.summary or None),
        "agency_responsible": c.division.name,
        "service_notice": c.get_status_display(),
        "requested_datetime": _iso(c.submitted_at),
        "updated_datetime": _iso(c.closed_at or c.rejected_at or c.updated_at),
        "expected_datetime": _iso(c.due_at),
        "address": f"{c.township.name} {c.village.name}",
        "address_id": c.village.code,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _requests_queryset():
    return Complaint.objects.select_related("category", "division", "township", "village").only(
        "tracking_code",
        "status",
        "reply",
        "reject_reason",
        "text",
        "summary",
        "description_public",
        "submitted_at",
        "closed_at",
        "rejected_at",
        "updated_at",
        "due_at",
        "category__name",
        "category__service_code",
        "division__name",
        "township__name",
        "village__name",
        "village__code",
    )


def _parse_date(fmt, value, name):
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValidationError(f"{name} must be a W3C date-time, e.g. 2026-11-23T08:00:00+08:00")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    qs = _requests_queryset()
    params = request.GET
    try:
        if params.get("service_request_id"):
            codes = [c.strip().upper() for c in params["service_request_id"].split(",") if c.strip()]
            qs = qs.filter(tracking_code__in=codes)
        else:
            end = _parse_date(fmt, params["end_date"], "end_date") if params.get("end_date") else timezone.now()
            start = (
                _parse_date(fmt, params["start_date"], "start_date")
                if params.get("start_date")
                else end - datetime.timedelta(days=90)
            )
            qs = qs.filter(submitted_at__gte=start, submitted_at__lte=end)
            if params.get("service_code"):
                qs = qs.filter(category__service_code__in=params["service_code"].split(","))
            status = params.get("status")
            if status == "open":
                qs = qs.exclude(status__in=[Status.CLOSED, Status.REJECTED])
            elif status == "closed":
                qs = qs.filter(status__in=[Status.CLOSED, Status.REJECTED])
            elif status:
                raise ValidationError("status must be open or closed")
    except ValidationError as exc:
        return error(fmt, 400, " ".join(exc.messages))
    rows = [public_request(c) for c in qs.order_by("-submitted_at")[:MAX_RESULTS]]
    return render(fmt, rows, "service_requests", "request")


def request_detail(request, code, fmt):
    c = _requests_queryset().filter(tracking_code=code.upper()).first()
    if c is None:
        return error(fmt, 404, f"service_request_id {code} not found")
    return render(fmt, [public_request(c)], "service_requests", "request")


def _truthy(value):
    return str(value or "").strip().lower() in {"true", "1", "yes", "on"}


def _post_request(request, fmt):
    data = request.POST
    if check_key(data.get("api_key", "")) is None:
        return error(fmt, 403, "api_key is missing or invalid")
    category = ComplaintCategory.objects.filter(service_code=data.get("service_code", ""), is_active=True).first()
    if category is None:
        return error(fmt, 404, "service_code not found")
    code = data.get("address_id", "").strip()
    village = Division.objects.filter(code=code, level=Level.VILLAGE).select_related("parent__parent").first()
    if village is None:
        return error(fmt, 400, "address_id must be the 12-digit division code of a village (统计用区划代码)")
    name = " ".join(part for part in (data.get("last_name", ""), data.get("first_name", "")) if part).strip()
    try:
        complaint, secret = services.complaint_submit(
            category=category,
            village=village,
            text=data.get("description", ""),
            name=name,
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            notify=bool(data.get("phone") or data.get("email")),
            concerns_cadres=_truthy(data.get("attribute[concerns_cadres]")),
            concerns_township_staff=_truthy(data.get("attribute[concerns_township_staff]")),
            channel=Channel.OPEN311,
        )
    except ValidationError as exc:
        return error(fmt, 400, " ".join(exc.messages))
    notice = f"已受理登记。查询码 {complaint.tracking_code}，查询密码 {secret}（请转告留言人，只返回这一次）。"
    return render(
        fmt,
        [{"service_request_id": complaint.tracking_code, "service_notice": notice, "account_id": None}],
        "service_requests",
        "request",
    )
