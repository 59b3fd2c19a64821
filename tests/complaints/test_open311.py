"""Open311 GeoReport v2: every endpoint in JSON and XML, errors in the spec's format, checked against the schemas."""

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
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
