"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), JSON and XML.

Services are ``ComplaintCategory`` rows; ``service_request_id`` is the tracking code; a
report's location is ``address_id`` (the village's 12-digit division code), ``lat``/``long``
(nearest village centroid) or ``address_string`` (village name, optionally with the township),
resolved by ``villages.selectors.resolve_location``. GET shows public fields only: the
description once staff mark it publishable, the public reply once closed, never identity,
the reported coordinates or media. POST needs an ``api_key`` issued by staff.

Protocol only here: parameters are parsed, errors rendered in the spec's format
(``[{"code": 400, "description": "…"}]`` with the same HTTP status); the rules live in
``complaints.services``, ``complaints.selectors`` and ``villages.selectors``.
"""

import datetime
import functools
import json
import re
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from sunshine.masking import mask_free_text
from villages.models import Division, Level
from villages.selectors import resolve_location

from . import services
from .api_keys import check_key
from .models import Channel, ComplaintCategory, Status
from .selectors import CLOSED_STATES, open311_requests

SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-23T00:00:00+08:00"
MAX_RESULTS = 1000  # "first 1000 requests returned"
MAX_SPAN = datetime.timedelta(days=90)  # "may not span more than 90 days"
FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
STATUSES = ("open", "closed")
ATTRIBUTES = [
    ("concerns_cadres", "反映的是村干部（由乡镇纪委办理，本村干部看不到）"),
    ("concerns_township_staff", "反映的是乡镇干部（由县里办理）"),
]
TRUE_VALUES = {"true", "1", "yes", "on"}
FALSE_VALUES = {"false", "0", "no", "off"}
# complaint_submit's field names → the Open311 parameter a client sent.
PARAMETERS = {"text": "description", "village": "address_id", "photos": "media_url"}
# Characters XML 1.0 cannot carry (control characters a filer's device may have sent).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A '+' of a time-zone offset that arrived unencoded in a query string turns into a space.
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLUS_AS_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


class Open311Error(Exception):
    def __init__(self, status, *descriptions):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


def _iso(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# ---------------------------------------------------------------- rendering


def _xml_text(value):
    return _NOT_XML.sub("", str(value))


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
                ET.SubElement(node, child_tag).text = _xml_text(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            _xml_value(node, k, v)
    elif value is not None:
        node.text = _xml_text(value)


def _xml_dict(parent, tag, data):
    node = ET.SubElement(parent, tag)
    for key, value in data.items():
        _xml_value(node, key, value)
    return node


def render(fmt, data, root=None, item=None, status=200):
    """JSON as the spec's examples (arrays for lists), or XML with the declaration and ``root``/``item`` tags."""
    if fmt == "xml":
        top = ET.Element(root)
        if isinstance(data, list):
            for row in data:
                _xml_dict(top, item, row)
        else:
            for key, value in data.items():
                _xml_value(top, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt], status=status)
    # Public data: browser-based Open311 clients (maps, dashboards) on other sites may read it.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def errors(fmt, status, descriptions):
    """The spec's error array: one ``{code, description}`` per problem, HTTP status = code."""
    rows = [{"code": status, "description": str(d)} for d in descriptions]
    return render(fmt, rows, "errors", "error", status=status)


def error(fmt, code, description):
    return errors(fmt, code, [description])


def _validation_messages(exc):
    """Messages of a ValidationError, each naming the Open311 parameter it is about."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    messages = []
    for field, field_errors in exc.message_dict.items():
        for message in field_errors:
            param = PARAMETERS.get(field)
            messages.append(f"{param}：{message}" if param and not message.startswith(param) else message)
    return messages


# ---------------------------------------------------------------- plumbing


def _params(request):
    """GET: the query string. POST: the query string overlaid with the form body (or a JSON object body)."""
    if request.method != "POST":
        return request.GET
    params = MultiValueDict()
    for key, values in request.GET.lists():
        params.setlist(key, values)
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise Open311Error(400, _("请求体不是合法的 JSON；请按规范用 application/x-www-form-urlencoded 发送。"))
        if not isinstance(body, dict):
            raise Open311Error(400, _("请求体应是 JSON 对象；请按规范用 application/x-www-form-urlencoded 发送。"))
        for key, value in body.items():
            if key == "attribute" and isinstance(value, dict):
                for code, v in value.items():
                    params.setlist(f"attribute[{code}]", [str(v)])
            elif value is not None:
                params.setlist(key, [str(x) for x in value] if isinstance(value, list) else [str(value)])
    else:
        for key, values in request.POST.lists():
            params.setlist(key, values)
    return params


def _param(params, name):
    """A single parameter, stripped; empty counts as not sent ("Optional Arguments" in the spec)."""
    return (params.get(name) or "").strip()


def _list_param(params, name):
    """A parameter that may be comma-delimited and/or given several times."""
    return [part.strip() for value in params.getlist(name) for part in value.split(",") if part.strip()]


def _jurisdiction(params):
    """The county a ``jurisdiction_id`` names, or None (the whole installation).

    A 12-digit code must be a county here (else 404, as the spec says); any other value, such as
    the site's domain that many clients send by default, is accepted and ignored.
    """
    value = _param(params, "jurisdiction_id")
    if not (len(value) == 12 and value.isdigit()):
        return None
    county = Division.objects.filter(code=value, level=Level.COUNTY).first()
    if county is None:
        raise Open311Error(
            404,
            _("jurisdiction_id %(value)s 不是本系统的县级区划代码；请发送县的 12 位代码，或不发送 jurisdiction_id。")
            % {"value": value},
        )
    return county


def open311(*methods):
    """Format, method and error handling shared by every endpoint (errors always in the spec's format)."""
    allowed = [*methods, "HEAD"] if "GET" in methods else list(methods)

    def decorate(view):
        @csrf_exempt  # key-authenticated API, no cookies: CSRF would answer API clients with an HTML 403
        @functools.wraps(view)
        def wrapper(request, *args, fmt, **kwargs):
            fmt = fmt.lower()
            if request.method not in allowed:
                response = error(fmt, 405, _("这个地址不支持 %(method)s 请求。") % {"method": request.method})
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return errors(fmt, exc.status, exc.descriptions)
            except ValidationError as exc:
                return errors(fmt, 400, _validation_messages(exc))

        return wrapper

    return decorate


# ---------------------------------------------------------------- views


@open311("GET")
def discovery(request, fmt):
    data = {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": "县管理员在后台“Open311 密钥”中签发，或运行 python manage.py open311_key 名称",
        "endpoints": [
            {
                "specification": SPEC,
                # The address the client reached us at (a county may serve several host names).
                "url": request.build_absolute_uri("/open311/v2"),
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
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


def _category(code):
    category = ComplaintCategory.objects.filter(service_code=code, is_active=True).first()
    if category is None:
        raise Open311Error(
            404, _("service_code %(code)s 不存在；可用的代码见 services.json 或 services.xml。") % {"code": code}
        )
    return category


@open311("GET")
def service_list(request, fmt):
    _jurisdiction(request.GET)
    rows = [_service(c) for c in ComplaintCategory.objects.filter(is_active=True)]
    return render(fmt, rows, "services", "service")


@open311("GET")
def service_definition(request, code, fmt):
    _jurisdiction(request.GET)
    category = _category(code)
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
    notes = None
    if c.status == Status.CLOSED:
        notes = c.reply
    elif c.status == Status.REJECTED:
        notes = c.reject_reason
    return {
        "service_request_id": c.tracking_code,
        "status": "closed" if c.status in CLOSED_STATES else "open",
        "status_notes": mask_free_text(notes) or None,
        "service_name": c.category.name,
        "service_code": c.category.service_code,
        "description": mask_free_text(c.text if c.description_public else c.summary) or None,
        "agency_responsible": c.division.name,
        "service_notice": c.get_status_display(),
        "requested_datetime": _iso(c.submitted_at),
        "updated_datetime": _iso(c.closed_at or c.rejected_at or c.updated_at),
        "expected_datetime": _iso(c.due_at),
        "address": f"{c.township.name} {c.village.name}",
        "address_id": c.village.code,
        "zipcode": None,
        # The reported point is stored for staff but never published: it can identify the reporter.
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _parse_date(value, name, end_of_day=False):
    """A W3C date-time (``2026-11-23T08:00:00+08:00``, ``…Z``); a bare date means that day (local time)."""
    try:
        if _DATE_ONLY.match(value):
            day = parse_date(value)
            parsed = datetime.datetime.combine(day, datetime.time.max if end_of_day else datetime.time.min)
        else:
            parsed = parse_datetime(_PLUS_AS_SPACE.sub(r"\1+\2", value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(
            _("%(name)s 应是 W3C 日期时间，例如 2026-11-23T08:00:00+08:00 或 2026-11-23T00:00:00Z。") % {"name": name}
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _date_range(params):
    """``(start, end)``: the last 90 days by default; one date alone opens a 90-day window from it."""
    start_raw, end_raw = _param(params, "start_date"), _param(params, "end_date")
    start = _parse_date(start_raw, "start_date") if start_raw else None
    end = _parse_date(end_raw, "end_date", end_of_day=True) if end_raw else None
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if start > end:
        raise ValidationError(_("start_date 不能晚于 end_date。"))
    # A bare end date counts its whole day: 2026-09-01 to 2026-11-30 is 90 days apart.
    slack = datetime.timedelta(days=1) if _DATE_ONLY.match(end_raw) else datetime.timedelta()
    if end - start > MAX_SPAN + slack:
        raise ValidationError(_("start_date 到 end_date 不能超过 90 天（规范的限制）；请分段查询。"))
    return start, end


@open311("GET", "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    params = request.GET
    county = _jurisdiction(params)
    codes = [c.upper() for c in _list_param(params, "service_request_id")]
    if codes:
        qs = open311_requests(codes=codes, county=county)
    else:
        statuses = {s.lower() for s in _list_param(params, "status")}
        if statuses - set(STATUSES):
            raise ValidationError(
                _("status 只能是 open 或 closed（两者都要可写 open,closed）；收到的是 %(value)s。")
                % {"value": ",".join(_list_param(params, "status"))}
            )
        start, end = _date_range(params)
        qs = open311_requests(
            service_codes=_list_param(params, "service_code"),
            statuses=statuses,
            start=start,
            end=end,
            county=county,
        )
    rows = [public_request(c) for c in qs[:MAX_RESULTS]]
    return render(fmt, rows, "service_requests", "request")


@open311("GET")
def request_detail(request, code, fmt):
    county = _jurisdiction(request.GET)
    c = open311_requests(codes=[code.upper()], county=county).first()
    if c is None:
        raise Open311Error(404, _("service_request_id %(code)s 不存在。") % {"code": code})
    return render(fmt, [public_request(c)], "service_requests", "request")


def _attribute(params, code):
    raw = _param(params, f"attribute[{code}]") or ",".join(_list_param(params, f"attribute[{code}][]"))
    value = raw.lower()
    if not value or value in FALSE_VALUES:
        return False
    if value in TRUE_VALUES:
        return True
    raise ValidationError(
        _("attribute[%(code)s] 只能是 true 或 false（见 services/<service_code> 的定义）；收到的是 %(value)s。")
        % {"code": code, "value": raw}
    )


def _post_request(request, fmt):
    params = _params(request)
    if check_key(_param(params, "api_key")) is None:
        raise Open311Error(
            403,
            _("api_key 缺失或无效，无法提交；请向县管理员申请密钥（后台“Open311 密钥”）。")
            if _param(params, "api_key")
            else _("缺少 api_key，无法提交；请向县管理员申请密钥（后台“Open311 密钥”）。"),
        )
    service_code = _param(params, "service_code")
    if not service_code:
        raise Open311Error(400, _("缺少 service_code；可用的代码见 services.json 或 services.xml。"))
    category = _category(service_code)
    location = resolve_location(
        address_id=_param(params, "address_id"),
        lat=_param(params, "lat"),
        long=_param(params, "long"),
        address_string=_param(params, "address_string"),
        within=_jurisdiction(params),
    )
    email = _param(params, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(_("email 格式不对，例如 name@example.com。"))
    phone = _param(params, "phone")
    name = " ".join(part for part in (_param(params, "last_name"), _param(params, "first_name")) if part)
    # jurisdiction_id, device_id, account_id and media_url are accepted and not kept: media is never fetched.
    complaint, secret = services.complaint_submit(
        category=category,
        village=location.village,
        text=(params.get("description") or "").replace("\r\n", "\n"),
        name=name,
        phone=phone,
        email=email,
        notify=bool(phone or email),
        concerns_cadres=_attribute(params, "concerns_cadres"),
        concerns_township_staff=_attribute(params, "concerns_township_staff"),
        channel=Channel.OPEN311,
        lat=location.lat,
        long=location.long,
    )
    notice = _("已受理登记。查询码 %(code)s，查询密码 %(secret)s（请转告留言人，只返回这一次）。") % {
        "code": complaint.tracking_code,
        "secret": secret,
    }
    # No token (requests are realtime) and no account_id ("may not be returned"; we keep no accounts).
    return render(
        fmt, [{"service_request_id": complaint.tracking_code, "service_notice": notice}], "service_requests", "request"
    )


# ---------------------------------------------------------------- everything else under /open311/v2/

RESOURCES = re.compile(r"^(discovery|services|services/[^/]+|requests|requests/[^/]+)$")


@csrf_exempt
def unknown(request, path):
    """Paths that match no endpoint: a missing or unsupported format is a bad URL (400), the rest 404."""
    last = path.rsplit("/", 1)[-1]
    stem, ext = (path[: path.rfind(".")], last.rsplit(".", 1)[1].lower()) if "." in last else (path, "")
    fmt = ext if ext in FORMATS else "xml"  # XML is the spec's required format
    resource = stem.strip("/")
    if ext not in FORMATS and RESOURCES.match(resource):
        return error(
            fmt,
            400,
            _("请在地址末尾写明格式 .json 或 .xml，例如 /open311/v2/%(resource)s.json。") % {"resource": resource},
        )
    return error(
        fmt,
        404,
        _(
            "没有这个地址：/open311/v2/%(path)s。可用的有 discovery、services、services/<service_code>、"
            "requests、requests/<service_request_id>，后接 .json 或 .xml。"
        )
        % {"path": path},
    )
