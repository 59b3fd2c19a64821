"""API: public read with filters and allow-listed rows; staff drafts and transitions, scoped."""

import yaml
from rest_framework.test import APIClient

from disclosures.models import MOVES, Status
from tests.disclosures.helpers import IDS, draft_roster, entry, published_roster


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_public_list_filters_and_entries(world, categories, crew, reviewer_t2, discipline_t2, clerk_v3):
    mine = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    published_roster(clerk_v3, reviewer_t2, discipline_t2, world.v3, categories["tekun"], rows=[entry("李四", 900)])
    draft_roster(crew[0], world.v1, categories["tekun"])  # drafts never appear
    client = api()
    data = client.get("/api/v1/disclosures/").json()
    assert data["count"] == 2
    assert {d["category"] for d in client.get("/api/v1/disclosures/", {"category": "dibao"}).json()["results"]} == {
        "dibao"
    }
    assert client.get("/api/v1/disclosures/", {"township": world.t1.code}).json()["count"] == 1
    assert client.get("/api/v1/disclosures/", {"village": world.v3.code}).json()["count"] == 1
    assert client.get("/api/v1/disclosures/", {"period": "2026-10", "phase": "pre"}).json()["count"] == 2
    assert client.get("/api/v1/disclosures/", {"phase": "post"}).json()["count"] == 0
    detail = client.get(f"/api/v1/disclosures/{mine.pk}/").json()
    assert detail["revision"] == 1 and detail["entry_count"] == 1 and len(detail["checksum"]) == 64
    rows = client.get(detail["entries_url"]).json()
    assert rows["results"] == [
        {"name": "张三", "group": "一组", "household_size": 1, "amount": "500.00", "assistance_class": "A"}
    ]
    assert client.get(detail["entries_url"], {"name": "李"}).json()["count"] == 0


def test_schema_lists_a_route_for_every_move_of_the_table(client, db):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    routed = {m.route for m in MOVES.values() if m.perm is not None}
    assert routed == {"submit", "approve-township", "approve-discipline", "publish", "return", "archive", "take-down"}
    for route in routed:
        assert "post" in paths[f"/api/v1/staff/disclosures/{{id}}/{route}/"], route
    assert "/api/v1/staff/disclosures/{id}/confirm/" not in paths  # the tick's move has no route


def test_moves_answer_403_for_the_wrong_role_and_400_for_the_wrong_state(world, categories, crew, reviewer_t2):
    clerk, reviewer, discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    url = f"/api/v1/staff/disclosures/{disclosure.pk}/"
    assert api(clerk).post(url + "submit/").status_code == 200
    assert api(clerk).post(url + "approve-township/").status_code == 403  # no such role, whatever the state
    assert api(clerk).post(url + "return/", {"reason": ""}, format="json").status_code == 403  # role before reason
    assert api(discipline).post(url + "approve-township/").status_code == 403
    assert api(reviewer).post(url + "publish/").status_code == 400  # the role may publish, not from this state
    assert api(reviewer).post(url + "return/", {"reason": ""}, format="json").status_code == 400
    assert api(reviewer).post(url + "confirm/").status_code == 404
    assert api(reviewer_t2).post(url + "approve-township/").status_code == 404  # outside the jurisdiction
    disclosure.refresh_from_db()
    assert disclosure.status == Status.SUBMITTED


def test_staff_disclosure_lists_the_moves_available_now(world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    url = f"/api/v1/staff/disclosures/{disclosure.pk}/"
    assert api(clerk).get(url).json()["moves"] == ["submit"]
    api(clerk).post(url + "submit/")
    assert api(clerk).get(url).json()["moves"] == []
    assert api(reviewer).get(url).json()["moves"] == ["approve-township", "return"]
    assert api(discipline).get("/api/v1/staff/disclosures/").json()["results"][0]["moves"] == ["return"]


HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def test_schema_is_served(client, db):
    """The OpenAPI document parses and names the public and staff collections of every app."""
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.") and document["info"]["title"]
    assert {
        "/api/v1/disclosures/",
        "/api/v1/disclosures/{id}/entries/",
        "/api/v1/staff/disclosures/",
        "/api/v1/staff/roster-imports/",
        "/api/v1/staff/complaints/",
        "/api/v1/complaint-results/",
        "/api/v1/divisions/",
    } <= set(document["paths"])
    operations = [op for path in document["paths"].values() for method, op in path.items() if method in HTTP_METHODS]
    assert operations and all(op["operationId"] and op["responses"] for op in operations)


def test_staff_draft_entries_and_review_moves(world, categories, crew):
    clerk, reviewer, discipline = crew
    created = api(clerk).post(
        "/api/v1/staff/disclosures/",
        {"division_code": world.v1.code, "category": "dibao", "period": "2026-11", "phase": "pre"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    bad = api(clerk).post(
        f"/api/v1/staff/disclosures/{pk}/entries/",
        [{"name": "张三", "amount": "500", "id_number": "110101199003070012"}],
        format="json",
    )
    assert bad.status_code == 400 and "第 1 行「身份证号」身份证号校验位错误" in bad.content.decode()
    ok = api(clerk).post(
        f"/api/v1/staff/disclosures/{pk}/entries/",
        [{"name": "张三", "amount": "500", "id_number": IDS[0]}],
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["working_revision"]["entry_count"] == 1
    assert IDS[0] not in ok.content.decode()
    assert api(clerk).post(f"/api/v1/staff/disclosures/{pk}/submit/").status_code == 200
    assert api(clerk).post(f"/api/v1/staff/disclosures/{pk}/approve-township/").status_code == 403
    returned = api(reviewer).post(f"/api/v1/staff/disclosures/{pk}/return/", {"reason": ""}, format="json")
    assert returned.status_code == 400 and "原因" in returned.content.decode()
    api(clerk).post(f"/api/v1/staff/disclosures/{pk}/submit/")  # still submitted: refused with a message
    assert api(reviewer).post(f"/api/v1/staff/disclosures/{pk}/approve-township/").json()["status"] == (
        Status.TOWNSHIP_APPROVED
    )
    assert api(discipline).post(f"/api/v1/staff/disclosures/{pk}/approve-discipline/").status_code == 200
    published = api(discipline).post(f"/api/v1/staff/disclosures/{pk}/publish/").json()
    assert published["status"] == Status.PUBLISHED and published["current_revision_number"] == 1


def test_staff_endpoints_are_scoped_and_authenticated(world, categories, crew, clerk_v3, reviewer_t2):
    disclosure = draft_roster(crew[0], world.v1, categories["dibao"])
    assert api().get("/api/v1/staff/disclosures/").status_code in (401, 403)
    assert api(clerk_v3).get("/api/v1/staff/disclosures/").json()["count"] == 0
    assert api(clerk_v3).get(f"/api/v1/staff/disclosures/{disclosure.pk}/").status_code == 404
    assert api(reviewer_t2).post(f"/api/v1/staff/disclosures/{disclosure.pk}/submit/").status_code == 404
    assert api(crew[0]).get(f"/api/v1/staff/disclosures/{disclosure.pk}/").json()["working_revision"]["state"] == (
        "draft"
    )
    other = api(clerk_v3).post(
        "/api/v1/staff/disclosures/",
        {"division_code": world.v1.code, "category": "dibao", "period": "2026-12", "phase": "pre"},
        format="json",
    )
    assert other.status_code == 403


def test_staff_correction_through_the_api(world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    body = {"division_code": world.v1.code, "category": "dibao", "period": "2026-10", "phase": "pre"}
    opened = api(clerk).post("/api/v1/staff/disclosures/", {**body, "reason": "金额有误"}, format="json").json()
    assert opened["working_revision"]["number"] == 2 and opened["working_revision"]["reason"] == "金额有误"
    assert opened["status"] == Status.PUBLISHED
    api(clerk).post(
        f"/api/v1/staff/disclosures/{disclosure.pk}/entries/",
        [{"name": "张三", "amount": "550", "id_number": IDS[0]}],
        format="json",
    )
    for user, move in ((clerk, "submit"), (reviewer, "approve-township"), (discipline, "approve-discipline"),
                       (discipline, "publish")):  # fmt: skip
        assert api(user).post(f"/api/v1/staff/disclosures/{disclosure.pk}/{move}/").status_code == 200
    public = api().get(f"/api/v1/disclosures/{disclosure.pk}/").json()
    assert public["revision"] == 2 and public["is_correction"] and public["correction_reason"] == "金额有误"


def test_every_published_version_stays_readable_through_the_api(world, categories, crew):
    from disclosures import services as s
    from tests.disclosures.helpers import approve_and_publish

    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    revision = s.disclosure_open_correction(actor=clerk, disclosure=disclosure, reason="金额有误")
    s.revision_replace_entries(actor=clerk, revision=revision, entries=[entry("张三", 550)])
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    client = api()
    assert len(client.get(f"/api/v1/disclosures/{disclosure.pk}/revisions/").json()) == 1  # v2 under review
    approve_and_publish(disclosure, reviewer, discipline)
    versions = client.get(f"/api/v1/disclosures/{disclosure.pk}/revisions/").json()
    assert [(v["number"], v["state"], v["reason"]) for v in versions] == [
        (1, "superseded", ""),
        (2, "published", "金额有误"),
    ]
    url = f"/api/v1/disclosures/{disclosure.pk}/entries/"
    assert client.get(url).json()["results"][0]["amount"] == "550.00"
    assert client.get(url, {"revision": 1}).json()["results"][0]["amount"] == "500.00"
    assert client.get(url, {"revision": 9}).status_code == 404
