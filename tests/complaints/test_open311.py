"""Open311 GeoReport v2: every endpoint in JSON and XML, errors in the spec's format, checked against the schemas."""

import datetime
import json
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.utils import timezone
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from complaints import services
from complaints.api_keys import issue_key
from complaints.models import Complaint

SCHEMAS = Path(__file__).parent / "open311_schemas"


def schema_validator(name):
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4))
        for path in SCHEMAS.glob("*.json")
        if path.name != "swagger.json"
    ]
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft4Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())


def validate(name, data):
    errors = list(schema_validator(name).iter_errors(data))
    assert not errors, [e.message for e in errors]


@pytest.fixture
def api_key(db):
    return issue_key(name="12345热线", actor=None)[1]


def test_discovery(client, db):
    data = client.get("/open311/v2/discovery.json").json()
    assert data["endpoints"][0]["url"] == "http://testserver/open311/v2"  # where the client reached us
    assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = ET.fromstring(client.get("/open311/v2/discovery.xml").content)
    assert root.tag == "discovery" and root.find("endpoints/endpoint/formats/format") is not None


def test_services_match_schema(client, cat):
    data = client.get("/open311/v2/services.json").json()
    validate("services.json", data)
    assert {"environment", "objection"} <= {s["service_code"] for s in data}
    assert all(isinstance(s["service_code"], str) for s in data)
    root = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert root.tag == "services" and root.find("service/service_code").text


def test_service_definition(client, cat):
    data = client.get("/open311/v2/services/environment.json").json()
    validate("service-definition.json", data)
    root = ET.fromstring(client.get("/open311/v2/services/environment.xml").content)
    assert root.find("attributes/attribute/code").text == "concerns_cadres"
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_post_requires_api_key_and_files_a_complaint(client, world, cat, api_key):
    body = {
        "service_code": "environment",
        "address_id": world.v1.code,
        "description": "河道有死鱼",
        "phone": "13600136000",
    }
    denied = client.post("/open311/v2/requests.json", body)
    assert denied.status_code == 403 and set(denied.json()[0]) == {"code", "description"}
    response = client.post("/open311/v2/requests.json", {**body, "api_key": api_key})
    assert response.status_code == 200
    [created] = response.json()
    assert isinstance(created["service_request_id"], str)
    c = Complaint.objects.get(tracking_code=created["service_request_id"])
    assert (c.channel, c.village, c.notify_filer) == ("open311", world.v1, True)
    xml = client.post("/open311/v2/requests.xml", {**body, "api_key": api_key})
    assert ET.fromstring(xml.content).find("request/service_request_id").text


def test_post_errors_in_spec_format(client, world, cat, api_key):
    bad_village = client.post(
        "/open311/v2/requests.json",
        {"api_key": api_key, "service_code": "environment", "address_id": "1", "description": "x"},
    )
    assert bad_village.status_code == 400 and "address_id" in bad_village.json()[0]["description"]
    empty = client.post(
        "/open311/v2/requests.xml",
        {"api_key": api_key, "service_code": "environment", "address_id": world.v1.code, "description": ""},
    )
    root = ET.fromstring(empty.content)
    assert empty.status_code == 400 and root.tag == "errors" and root.find("error/code").text == "400"
    assert not Complaint.objects.exists()


def test_cadre_attribute_routes_to_discipline(client, world, cat, api_key):
    client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "environment",
            "address_id": world.v1.code,
            "description": "x",
            "attribute[concerns_cadres]": "true",
        },
    )
    assert Complaint.objects.get().handler_role == "township_discipline"


def test_get_requests_public_fields_only(client, world, cat, clerk_v1):
    c, _ = services.complaint_submit(
        category=cat["environment"], village=world.v1, text="不公开的内容", name="赵六", phone="13500135000"
    )
    data = client.get("/open311/v2/requests.json").json()
    validate("requests.json", data)
    [row] = data
    assert row["service_request_id"] == c.tracking_code and row["status"] == "open" and row["description"] is None
    assert "赵六" not in json.dumps(data, ensure_ascii=False) and "13500135000" not in json.dumps(data)
    services.complaint_set_public(complaint=c, actor=clerk_v1, summary="", description_public=True)
    services.complaint_accept(complaint=c, actor=clerk_v1)
    services.complaint_start(complaint=c, actor=clerk_v1)
    services.complaint_reply(complaint=c, actor=clerk_v1, reply="已处理完毕", outcome="substantiated")
    services.complaint_close(complaint=c, actor=clerk_v1)
    [row] = client.get("/open311/v2/requests.json?status=closed").json()
    assert (row["status"], row["status_notes"], row["description"]) == ("closed", "已处理完毕", "不公开的内容")
    validate("request.json", row)
    assert client.get("/open311/v2/requests.json?status=open").json() == []
    [one] = client.get(f"/open311/v2/requests/{c.tracking_code}.json").json()
    validate("request.json", one)
    root = ET.fromstring(client.get(f"/open311/v2/requests/{c.tracking_code}.xml").content)
    assert root.tag == "service_requests" and root.find("request/status").text == "closed"
    missing = client.get("/open311/v2/requests/ZZZZ.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_get_requests_bad_date(client, db):
    response = client.get("/open311/v2/requests.json?start_date=yesterday")
    assert response.status_code == 400 and "start_date" in response.json()[0]["description"]


def test_open311_key_command(db, capsys):
    from django.core.management import call_command

    from complaints.api_keys import check_key

    call_command("open311_key", "乡镇热线")
    raw = capsys.readouterr().out.strip()
    assert check_key(raw) is not None and check_key(raw + "x") is None


# ---------------------------------------------------------------- conformance: shapes, formats, locations

FORMATS = ["json", "xml"]
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}


def swagger_definition(name):
    """A definition from the vendored swagger.json (the POST answer has no schema file of its own)."""
    swagger = json.loads((SCHEMAS / "swagger.json").read_text())
    schema = {"type": "array", "minItems": 1, "items": {"$ref": f"#/definitions/{name}"}}
    return {**schema, "definitions": swagger["definitions"]}


def xml_rows(response, root, item):
    """An XML list answer as the JSON the spec maps it to (empty elements → None), checking the envelope."""
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    top = ET.fromstring(response.content)
    assert top.tag == root and all(child.tag == item for child in top)
    return [{child.tag: child.text for child in row} for row in top]


def same_as_json(xml_row, json_row):
    """XML carries the JSON's values as text: None ↔ empty element, booleans as true/false."""
    assert set(xml_row) == set(json_row)
    for key, value in json_row.items():
        expected = None if value is None else ("true" if value is True else "false" if value is False else str(value))
        assert xml_row[key] == expected, key


def errors_of(response, fmt, status):
    """The spec's error answer: the HTTP status, the content type, and ``[(code, description)]``."""
    assert response.status_code == status, response.content.decode()[:500]
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        data = response.json()
    else:
        data = [{**row, "code": int(row["code"])} for row in xml_rows(response, "errors", "error")]
    jsonschema.validate(data, ERRORS_SCHEMA)
    assert all(row["code"] == status for row in data)
    return [row["description"] for row in data]


def get(client, path, fmt, **params):
    return client.get(f"/open311/v2/{path}.{fmt}", params)


def post(client, fmt, **data):
    return client.post(f"/open311/v2/requests.{fmt}", data)


def created(response, fmt):
    """The POST answer: one request with a service_request_id (validated against swagger's RequestResponse)."""
    assert response.status_code == 200, response.content.decode()[:500]
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    rows = response.json() if fmt == "json" else xml_rows(response, "service_requests", "request")
    jsonschema.validate(rows, swagger_definition("RequestResponse"))
    [row] = rows
    return Complaint.objects.get(tracking_code=row["service_request_id"])


@pytest.fixture
def located(world):
    """Centroids: 甲村 and 乙村 about 3 km apart in 一乡, 丙村 some 30 km away in 二乡."""
    for village, (lat, long) in (
        (world.v1, ("28.900000", "115.500000")),
        (world.v2, ("28.900000", "115.530000")),
        (world.v3, ("29.150000", "115.600000")),
    ):
        village.lat, village.long = Decimal(lat), Decimal(long)
        village.save()
    return world


@pytest.fixture
def body(cat, api_key):
    return {"api_key": api_key, "service_code": "environment", "description": "村口垃圾没人清运"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_endpoint_answers_in_its_format_with_utf8_content_type(client, world, cat, file_complaint, fmt):
    c = file_complaint()
    for path in ("discovery", "services", "services/environment", "requests", f"requests/{c.tracking_code}"):
        response = get(client, path, fmt)
        assert response.status_code == 200 and response["Content-Type"] == CONTENT_TYPES[fmt], path
        if fmt == "xml":
            assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
            ET.fromstring(response.content)
        else:
            json.loads(response.content.decode("utf-8"))
    upper = client.get(f"/open311/v2/services.{fmt.upper()}")
    assert upper.status_code == 200 and upper["Content-Type"] == CONTENT_TYPES[fmt]


def test_discovery_lists_both_formats_and_this_endpoint(client, db):
    data = client.get("/open311/v2/discovery.json").json()
    [endpoint] = data["endpoints"]
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert {"changeset", "contact", "key_service"} <= set(data)
    root = ET.fromstring(client.get("/open311/v2/discovery.xml").content)
    assert {f.text for f in root.findall("endpoints/endpoint/formats/format")} == {"text/xml", "application/json"}
    assert root.find("endpoints/endpoint/url").text == "http://testserver/open311/v2"


def test_services_and_definition_xml_carry_the_json_values(client, cat):
    services_json = client.get("/open311/v2/services.json").json()
    validate("services.json", services_json)
    for xml_row, json_row in zip(
        xml_rows(client.get("/open311/v2/services.xml"), "services", "service"), services_json, strict=True
    ):
        same_as_json(xml_row, json_row)
    definition = client.get("/open311/v2/services/environment.json").json()
    validate("service-definition.json", definition)
    root = ET.fromstring(client.get("/open311/v2/services/environment.xml").content)
    assert root.tag == "service_definition" and root.find("service_code").text == "environment"
    attributes = root.findall("attributes/attribute")
    assert [a.find("code").text for a in attributes] == [a["code"] for a in definition["attributes"]]
    assert [a.find("order").text for a in attributes] == ["1", "2"]
    assert {v.find("key").text for v in attributes[0].findall("values/value")} == {"true", "false"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_code_and_request_id_are_404(client, cat, fmt):
    [description] = errors_of(get(client, "services/nope", fmt), fmt, 404)
    assert "service_code" in description and "nope" in description
    [description] = errors_of(get(client, "requests/ZZZZ9999", fmt), fmt, 404)
    assert "service_request_id" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_by_address_id(world, body, fmt):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # API clients send no CSRF token
    c = created(post(client, fmt, **body, address_id=world.v2.code), fmt)
    assert (c.village, c.channel, c.lat, c.long) == (world.v2, "open311", None, None)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_by_lat_long_files_under_the_nearest_village_and_keeps_the_point_private(client, located, body, fmt):
    # About 1 km east of 乙村's centroid, 2 km from 甲村's.
    c = created(post(client, fmt, **body, lat="28.9012345", long="115.5405"), fmt)
    assert c.village == located.v2
    assert (c.lat, c.long) == (Decimal("28.901235"), Decimal("115.540500"))  # stored, 6 places
    for out in FORMATS:
        for path in ("requests", f"requests/{c.tracking_code}"):
            response = get(client, path, out)
            text = response.content.decode()
            assert "28.90" not in text and "115.54" not in text
            if out == "json":
                [row] = response.json()
                validate("request.json", row)
                assert (row["lat"], row["long"], row["address_id"]) == (None, None, located.v2.code)
            else:
                [row] = xml_rows(response, "service_requests", "request")
                assert (row["lat"], row["long"], row["address_id"]) == (None, None, located.v2.code)


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_lat_long_with_no_village_near_is_400_with_what_to_send(client, located, body, fmt, settings):
    far = {"lat": "29.000000", "long": "115.500000"}  # 11 km north of 甲村
    [description] = errors_of(post(client, fmt, **body, **far), fmt, 400)
    assert "lat/long" in description and "5 公里" in description
    assert "address_id" in description and "address_string" in description
    assert not Complaint.objects.exists()
    settings.OPEN311_MAX_DISTANCE_KM = 15
    assert created(post(client, fmt, **body, **far), fmt).village == located.v1


def test_lat_long_without_any_village_centroid_is_400(client, world, body):
    [description] = errors_of(post(client, "json", **body, lat="28.9", long="115.5"), "json", 400)
    assert "lat/long" in description


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("coordinates", "named"),
    [
        ({"lat": "28.9"}, "lat 和 long"),
        ({"long": "115.5"}, "lat 和 long"),
        ({"lat": "north", "long": "115.5"}, "lat 应是"),
        ({"lat": "95", "long": "115.5"}, "lat 应是"),
        ({"lat": "28.9", "long": "NaN"}, "long 应是"),
        ({"lat": "28.9", "long": "-181"}, "long 应是"),
    ],
)
def test_half_or_malformed_coordinates_are_400(client, located, body, fmt, coordinates, named):
    # Even with a good address_id: a malformed parameter is the client's error.
    descriptions = errors_of(post(client, fmt, **body, address_id=located.v1.code, **coordinates), fmt, 400)
    assert any(named in d for d in descriptions), descriptions
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    "address_string",
    [
        "一乡 乙村",
        "一乡乙村",
        "乙村",
        "测试县一乡乙村村委会门口",
        "乙村，一乡，测试县",
        "ＸＸ路 990101002000",  # the division code inside free text (full-width letters are fine)
    ],
)
def test_post_by_address_string(client, world, body, address_string):
    assert created(post(client, "json", **body, address_string=address_string), "json").village == world.v2


def test_address_string_prefers_the_longer_name_and_the_named_township(client, world, body):
    from tests import factories as f

    east = f.village(world.t2, "东村", code="990102002000")
    new_east = f.village(world.t2, "新东村", code="990102003000")
    assert created(post(client, "json", **body, address_string="新东村"), "json").village == new_east
    assert created(post(client, "json", **body, address_string="二乡 东村"), "json").village == east


@pytest.mark.parametrize("fmt", FORMATS)
def test_ambiguous_address_string_is_400_naming_the_choices(client, world, body, fmt):
    from tests import factories as f

    other = f.village(world.t2, "甲村", code="990102009000")
    [description] = errors_of(post(client, fmt, **body, address_string="甲村"), fmt, 400)
    assert "address_string" in description and "2 个村" in description
    assert world.v1.code in description and other.code in description and "乡镇名" in description
    assert not Complaint.objects.exists()
    assert created(post(client, fmt, **body, address_string="二乡 甲村"), fmt).village == other
    assert created(post(client, fmt, **body, address_string="一乡甲村"), fmt).village == world.v1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("address_string", "says"),
    [
        ("北京路 88 号", "找不到"),
        ("一乡", "只写到了乡镇"),
        ("二乡 乙村", "二乡 下没有名为 乙村"),
        ("990101009999", "不是本系统中村的"),
        ("990101000000", "不是本系统中村的"),  # 一乡's own code is not a village
    ],
)
def test_unknown_address_string_is_400_with_what_to_send(client, world, body, fmt, address_string, says):
    [description] = errors_of(post(client, fmt, **body, address_string=address_string), fmt, 400)
    assert says in description and "address_string" in description
    assert not Complaint.objects.exists()


def test_location_precedence_address_id_then_lat_long_then_address_string(client, located, body):
    near_v2 = {"lat": "28.900500", "long": "115.529000"}
    c = created(post(client, "json", **body, address_id=located.v1.code, **near_v2, address_string="丙村"), "json")
    assert c.village == located.v1 and c.lat == Decimal("28.900500")  # the point is kept even so
    c = created(post(client, "json", **body, **near_v2, address_string="丙村"), "json")
    assert c.village == located.v2
    # A location that finds nothing gives way to the next one given.
    c = created(post(client, "json", **body, address_id="545483", **near_v2), "json")
    assert c.village == located.v2
    c = created(post(client, "json", **body, lat="10", long="100", address_string="丙村"), "json")
    assert c.village == located.v3


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_location_or_none_found_is_400_naming_each_input(client, world, body, fmt):
    [description] = errors_of(post(client, fmt, **body, address_id="", lat="", long=""), fmt, 400)
    assert all(name in description for name in ("address_id", "lat", "long", "address_string"))
    descriptions = errors_of(post(client, fmt, **body, address_id="1", address_string="北京路"), fmt, 400)
    assert len(descriptions) == 2
    assert descriptions[0].startswith("address_id") and descriptions[1].startswith("address_string")


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_accepts_and_ignores_the_other_spec_arguments(client, world, body, fmt):
    c = created(
        post(
            client,
            fmt,
            **body,
            address_id=world.v1.code,
            jurisdiction_id="sunshine.example.gov.cn",
            media_url="http://example.org/photo.jpg",
            device_id="tt222111",
            account_id="123456",
            first_name="三",
            last_name="张",
            email="zhang@example.org",
            phone="13800138000",
        ),
        fmt,
    )
    assert not c.photos.exists() and c.notify_filer and not c.anonymous
    response = post(client, fmt, **body, address_id=world.v1.code)
    text = response.content.decode()
    assert "account_id" not in text and "token" not in text  # realtime: id now, no token, no accounts


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_json_body_and_query_string_api_key(client, world, body, fmt):
    response = client.post(
        f"/open311/v2/requests.{fmt}?api_key={body['api_key']}",
        {
            "service_code": "environment",
            "address_id": world.v1.code,
            "description": "路灯坏了",
            "attribute": {"concerns_cadres": True},
        },
        content_type="application/json",
    )
    assert created(response, fmt).handler_role == "township_discipline"


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_errors(client, world, body, fmt):
    at = {"address_id": world.v1.code}
    [d] = errors_of(post(client, fmt, **{**body, "api_key": "wrong"}, **at), fmt, 403)
    assert "api_key" in d
    [d] = errors_of(post(client, fmt, **{k: v for k, v in body.items() if k != "api_key"}, **at), fmt, 403)
    assert "api_key" in d
    [d] = errors_of(post(client, fmt, **{**body, "service_code": ""}, **at), fmt, 400)
    assert "service_code" in d
    [d] = errors_of(post(client, fmt, **{**body, "service_code": "nope"}, **at), fmt, 404)
    assert "service_code" in d and "nope" in d
    [d] = errors_of(post(client, fmt, **{**body, "description": "  "}, **at), fmt, 400)
    assert d.startswith("description")
    [d] = errors_of(post(client, fmt, **{**body, "description": "长" * 4001}, **at), fmt, 400)
    assert d.startswith("description") and "4000" in d
    [d] = errors_of(post(client, fmt, **body, **at, email="not-an-email"), fmt, 400)
    assert "email" in d
    [d] = errors_of(post(client, fmt, **body, **at, **{"attribute[concerns_cadres]": "maybe"}), fmt, 400)
    assert "attribute[concerns_cadres]" in d
    assert not Complaint.objects.exists()
    # 4,000 characters is the limit, not over it; browsers' CRLF line breaks count once.
    assert created(post(client, fmt, **{**body, "description": "长" * 3999 + "\r\n"}, **at), fmt)
    assert created(post(client, fmt, **{**body, "description": "一\r\n" * 2000}, **at), fmt).text.count("\n") == 1999


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_id(client, world, cat, file_complaint, fmt):
    from tests import factories as f

    ours = file_complaint()
    other_county = f.county("别县", code="990200000000")
    elsewhere = file_complaint(village=f.village(f.township(other_county, "别乡"), "别村"))

    def ids(**params):
        response = get(client, "requests", fmt, **params)
        assert response.status_code == 200
        rows = response.json() if fmt == "json" else xml_rows(response, "service_requests", "request")
        return {row["service_request_id"] for row in rows}

    everything = {ours.tracking_code, elsewhere.tracking_code}
    assert ids() == ids(jurisdiction_id="") == ids(jurisdiction_id="sunshine.example.gov.cn") == everything
    assert ids(jurisdiction_id=world.county.code) == {ours.tracking_code}
    assert ids(jurisdiction_id=other_county.code) == {elsewhere.tracking_code}
    for path in ("services", "services/environment", "requests", f"requests/{ours.tracking_code}"):
        [description] = errors_of(get(client, path, fmt, jurisdiction_id="990900000000"), fmt, 404)
        assert "jurisdiction_id" in description
    assert get(client, f"requests/{ours.tracking_code}", fmt, jurisdiction_id=other_county.code).status_code == 404


def test_jurisdiction_limits_where_an_address_string_is_looked_for(client, world, body):
    from tests import factories as f

    other_county = f.county("别县", code="990200000000")
    twin = f.village(f.township(other_county, "别乡"), "甲村", code="990201001000")
    assert errors_of(post(client, "json", **body, address_string="甲村"), "json", 400)
    response = post(client, "json", **body, address_string="甲村", jurisdiction_id=world.county.code)
    assert created(response, "json").village == world.v1
    response = post(client, "json", **body, address_string="甲村", jurisdiction_id=other_county.code)
    assert created(response, "json").village == twin
    errors_of(post(client, "json", **body, address_id=world.v1.code, jurisdiction_id="990900000000"), "json", 404)


def _closed(file_complaint, clerk, **kw):
    c = file_complaint(**kw)
    services.complaint_accept(complaint=c, actor=clerk)
    services.complaint_start(complaint=c, actor=clerk)
    services.complaint_reply(complaint=c, actor=clerk, reply="已处理", outcome="substantiated")
    services.complaint_close(complaint=c, actor=clerk)
    return c


@pytest.mark.parametrize("fmt", FORMATS)
def test_status_filter_is_comma_delimited_or_repeated(client, world, cat, clerk_v1, file_complaint, fmt):
    file_complaint()
    _closed(file_complaint, clerk_v1)

    def statuses(query):
        response = client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 200, response.content.decode()
        rows = response.json() if fmt == "json" else xml_rows(response, "service_requests", "request")
        if fmt == "json":
            validate("requests.json", rows)
        return sorted(row["status"] for row in rows)

    both = ["closed", "open"]
    assert statuses("status=open") == ["open"] and statuses("status=closed") == ["closed"]
    assert statuses("status=open,closed") == statuses("status=open&status=closed") == both
    assert statuses("status=open%2Cclosed") == statuses("status=") == statuses("") == both
    for bad in ("status=pending", "status=open,pending"):
        [description] = errors_of(client.get(f"/open311/v2/requests.{fmt}?{bad}"), fmt, 400)
        assert "status" in description and "open" in description and "closed" in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_code_and_request_id_lists(client, world, cat, file_complaint, fmt):
    a, b = file_complaint("environment"), file_complaint("conduct")
    c = file_complaint("environment", village=world.v3)

    def ids(query):
        response = client.get(f"/open311/v2/requests.{fmt}?{query}")
        rows = response.json() if fmt == "json" else xml_rows(response, "service_requests", "request")
        return {row["service_request_id"] for row in rows}

    assert ids("service_code=environment") == {a.tracking_code, c.tracking_code}
    assert ids("service_code=environment,conduct") == ids("service_code=environment&service_code=conduct")
    assert ids("service_code=nope") == set()
    assert ids(f"service_request_id={a.tracking_code},{b.tracking_code.lower()}") == {a.tracking_code, b.tracking_code}
    # service_request_id overrides the other arguments (here a status and a window that exclude them).
    query = f"service_request_id={a.tracking_code}&status=closed&start_date=2020-01-01T00:00:00Z"
    assert ids(query) == {a.tracking_code}


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_default_to_the_last_90_days_newest_first_at_most_1000(client, world, cat, file_complaint, fmt):
    from complaints import open311

    now = timezone.now()
    recent = file_complaint(now=now - datetime.timedelta(days=10))
    older = file_complaint(now=now - datetime.timedelta(days=89))
    file_complaint(now=now - datetime.timedelta(days=91))

    def ids(query=""):
        response = client.get(f"/open311/v2/requests.{fmt}?{query}")
        assert response.status_code == 200, response.content.decode()
        rows = response.json() if fmt == "json" else xml_rows(response, "service_requests", "request")
        return [row["service_request_id"] for row in rows]

    assert ids() == [recent.tracking_code, older.tracking_code]
    assert open311.MAX_RESULTS == 1000
    open311.MAX_RESULTS = 1
    try:
        assert ids() == [recent.tracking_code]
    finally:
        open311.MAX_RESULTS = 1000


@pytest.mark.parametrize("fmt", FORMATS)
def test_date_arguments(client, world, cat, file_complaint, fmt):
    when = timezone.make_aware(datetime.datetime(2026, 10, 1, 9, 30))
    c = file_complaint(now=when)

    def ids(**params):
        response = get(client, "requests", fmt, **params)
        assert response.status_code == 200, response.content.decode()
        rows = response.json() if fmt == "json" else xml_rows(response, "service_requests", "request")
        return [row["service_request_id"] for row in rows]

    assert ids(start_date="2026-10-01T00:00:00Z", end_date="2026-10-02T00:00:00Z") == [c.tracking_code]
    assert ids(start_date="2026-10-01T09:00:00+08:00", end_date="2026-10-01T10:00:00+08:00") == [c.tracking_code]
    assert ids(start_date="2026-10-01T09:31:00+08:00", end_date="2026-10-01T10:00:00+08:00") == []
    # An unencoded '+' arrives as a space; a bare date is that whole day; one date alone is a 90-day window.
    response = client.get(f"/open311/v2/requests.{fmt}?start_date=2026-10-01T09:00:00+08:00")
    assert response.status_code == 200 and c.tracking_code in response.content.decode()
    assert ids(start_date="2026-10-01", end_date="2026-10-01") == [c.tracking_code]
    assert ids(start_date="2026-07-05T00:00:00+08:00") == [c.tracking_code]
    assert ids(start_date="2026-06-01T00:00:00+08:00") == []
    assert ids(end_date="2026-12-29T00:00:00+08:00") == [c.tracking_code]
    assert ids(start_date="2026-09-01", end_date="2026-11-30") == [c.tracking_code]  # 90 days, end day included
    for params, says in (
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-10-02T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "不能晚于"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "90 天"),
    ):
        [description] = errors_of(get(client, "requests", fmt, **params), fmt, 400)
        assert says in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_text_masks_contact_details_and_stays_valid_xml(client, world, cat, clerk_v1, file_complaint, fmt):
    c = file_complaint(text="路灯坏了\x0b，请回电 138 0013 8000 或 0791-83456789，邮箱 li@example.org，2026-11-23 起")
    services.complaint_set_public(complaint=c, actor=clerk_v1, summary="", description_public=True)
    response = get(client, f"requests/{c.tracking_code}", fmt)
    text = response.content.decode()
    for secret in ("8000", "83456789", "li@example.org", "\x0b"):
        assert secret not in text
    assert "2026-11-23 起" in text
    if fmt == "xml":
        [row] = xml_rows(response, "service_requests", "request")
        assert row["description"].startswith("路灯坏了")


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_urls_and_methods_answer_in_the_spec_format(db, fmt):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # API clients send no CSRF token
    [d] = errors_of(client.get(f"/open311/v2/tokens/123456.{fmt}"), fmt, 404)
    assert "tokens/123456" in d
    [d] = errors_of(client.get(f"/open311/v2/nothing.{fmt}"), fmt, 404)
    response = client.delete(f"/open311/v2/requests.{fmt}")
    errors_of(response, fmt, 405)
    assert response["Allow"] == "GET, POST, HEAD"
    response = client.post(f"/open311/v2/services.{fmt}")
    errors_of(response, fmt, 405)
    assert response["Allow"] == "GET, HEAD"
    assert client.head(f"/open311/v2/services.{fmt}").status_code == 200


@pytest.mark.parametrize("path", ["services", "services.html", "requests/ABC.csv", "discovery.", "requests/"])
def test_missing_or_unsupported_format_is_a_bad_url_answered_in_xml(client, db, path):
    [description] = errors_of(client.get(f"/open311/v2/{path}"), "xml", 400)
    assert ".json" in description and ".xml" in description


@pytest.mark.parametrize(
    "path", ["/open311/v2/discovery.json", "/open311/v2/services.xml", "/open311/v2/requests.json"]
)
def test_browser_clients_on_other_sites_may_read_the_public_answers(client, cat, path):
    assert client.get(path)["Access-Control-Allow-Origin"] == "*"
