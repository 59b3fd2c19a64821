"""Staff API: authenticated, scoped, moves through services; public results without identity."""

import pytest
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Status


@pytest.fixture
def api():
    return APIClient()


def test_staff_endpoint_needs_login(api, db):
    assert api.get("/api/v1/staff/complaints/").status_code in (401, 403)


def test_clerk_sees_own_village_only_and_never_identity(api, file_complaint, clerk_v1, world):
    mine = file_complaint("environment", name="钱七", phone="13300133000")
    file_complaint("environment", concerns_cadres=True)
    file_complaint("environment", village=world.v3)
    api.force_authenticate(clerk_v1)
    data = api.get("/api/v1/staff/complaints/").json()
    assert [row["tracking_code"] for row in data["results"]] == [mine.tracking_code]
    assert "13300133000" not in str(data) and "钱七" not in str(data)


def test_moves_through_the_api(api, file_complaint, clerk_v1, reviewer_t1):
    c = file_complaint("environment")
    api.force_authenticate(reviewer_t1)
    assert api.post(f"/api/v1/staff/complaints/{c.pk}/accept/").status_code == 403
    api.force_authenticate(clerk_v1)
    assert api.post(f"/api/v1/staff/complaints/{c.pk}/accept/").json()["status"] == Status.ACCEPTED
    api.post(f"/api/v1/staff/complaints/{c.pk}/start/")
    bad = api.post(f"/api/v1/staff/complaints/{c.pk}/reply/", {"reply": "好了", "outcome": "nope"}, format="json")
    assert bad.status_code == 400
    ok = api.post(f"/api/v1/staff/complaints/{c.pk}/reply/", {"reply": "好了", "outcome": "partly"}, format="json")
    assert ok.json()["status"] == Status.REPLIED
    wrong = api.post(f"/api/v1/staff/complaints/{c.pk}/start/")
    assert wrong.status_code == 400


def test_transfer_via_api(api, file_complaint, clerk_v1, world):
    c = file_complaint("environment")
    api.force_authenticate(clerk_v1)
    response = api.post(
        f"/api/v1/staff/complaints/{c.pk}/transfer/", {"division": world.t1.code, "reason": "需乡镇协调"}, format="json"
    )
    assert response.status_code == 200
    # Now outside the clerk's jurisdiction: 404.
    assert api.get(f"/api/v1/staff/complaints/{c.pk}/").status_code == 404


def test_overdue_filter(api, file_complaint, clerk_v1):
    import datetime

    from django.utils import timezone

    from complaints.models import Complaint

    late = file_complaint("environment")
    file_complaint("environment")
    Complaint.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    api.force_authenticate(clerk_v1)
    rows = api.get("/api/v1/staff/complaints/?overdue=true").json()["results"]
    assert [r["tracking_code"] for r in rows] == [late.tracking_code]


def test_staff_list_query_count_does_not_grow(api, file_complaint, clerk_v1):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    file_complaint("environment")
    api.force_authenticate(clerk_v1)
    api.get("/api/v1/staff/complaints/")  # memberships are cached on the user after the first request
    with CaptureQueriesContext(connection) as one:
        assert api.get("/api/v1/staff/complaints/").status_code == 200
    for _ in range(20):
        file_complaint("environment")
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/v1/staff/complaints/").status_code == 200
    assert len(many) == len(one) <= 4


def test_public_categories_and_results(api, file_complaint, clerk_v1):
    c = file_complaint("environment", name="孙八")
    for move in ("accept", "start"):
        getattr(services, f"complaint_{move}")(complaint=c, actor=clerk_v1)
    services.complaint_reply(complaint=c, actor=clerk_v1, reply="处理好了", outcome="substantiated")
    services.complaint_close(complaint=c, actor=clerk_v1)
    assert any(row["service_code"] == "environment" for row in api.get("/api/v1/complaint-categories/").json())
    data = api.get("/api/v1/complaint-results/").json()
    assert data["results"][0]["reply"] == "处理好了" and "孙八" not in str(data)


def test_api_offers_exactly_the_available_moves(api, file_complaint, clerk_v1, reviewer_t1, inspector):
    c = file_complaint("environment")
    for person, expected in [
        (clerk_v1, ["accept", "reject", "escalate", "transfer", "contact", "publicity"]),
        (reviewer_t1, []),
        (inspector, ["publicity"]),
    ]:
        api.force_authenticate(person)
        row = api.get(f"/api/v1/staff/complaints/{c.pk}/").json()
        assert row["moves"] == expected == [m.name for m in services.available_moves(c, person)]
    api.force_authenticate(clerk_v1)
    api.post(f"/api/v1/staff/complaints/{c.pk}/accept/")
    row = api.get(f"/api/v1/staff/complaints/{c.pk}/").json()
    assert row["moves"] == ["start", "escalate", "transfer", "extend", "publicity"]


def test_every_staff_move_of_the_table_has_a_route(api, file_complaint, clerk_v1):
    from complaints.models import MOVES, MoveActor

    c = file_complaint("environment")
    api.force_authenticate(clerk_v1)
    staff_moves = [m.name for m in MOVES.values() if m.offered and m.actor != MoveActor.FILER]
    assert staff_moves == ["accept", "reject", "start", "reply", "close", "escalate", "transfer", "extend"] + [
        "contact",
        "publicity",
    ]
    for name in staff_moves:
        # Not all are possible now, but every one answers as a move (200 or 400), never 404/405.
        assert api.post(f"/api/v1/staff/complaints/{c.pk}/{name}/", {}, format="json").status_code in (200, 400)
    assert api.post(f"/api/v1/staff/complaints/{c.pk}/rate/", {}, format="json").status_code == 404


def test_contact_and_publicity_through_the_api(api, file_complaint, clerk_v1):
    from sunshine.audit.models import AuditEvent

    c = file_complaint("environment")
    api.force_authenticate(clerk_v1)
    assert api.post(f"/api/v1/staff/complaints/{c.pk}/contact/").status_code == 200
    assert api.post(f"/api/v1/staff/complaints/{c.pk}/contact/").status_code == 400  # recorded once
    body = {"summary": "村口垃圾未清运", "description_public": True}
    data = api.post(f"/api/v1/staff/complaints/{c.pk}/publicity/", body, format="json").json()
    assert (data["summary"], data["description_public"]) == ("村口垃圾未清运", True)
    assert AuditEvent.objects.filter(action="complaint.contacted", object_id=str(c.pk)).count() == 1
    assert AuditEvent.objects.filter(action="complaint.publicity_set", object_id=str(c.pk)).count() == 1
