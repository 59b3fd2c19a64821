"""The handlers' queue: overdue first, then by deadline, answered and closed last; whatever the model's default
ordering says; in flat queries; times to the minute in the county's zone; the filters kept after a move."""

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, Outcome

LIST = "/admin/complaints/complaint/"


def _due(complaint, days):
    Complaint.objects.filter(pk=complaint.pk).update(due_at=timezone.now() + dt.timedelta(days=days))
    return complaint


def _codes(html):
    return re.findall(r'<th class="field-tracking_code"><a href="[^"]+">([A-Z0-9]{8})</a>', html)


def _queue(file_complaint, clerk_v1):
    """Five complaints of 甲村 whose deadlines would mislead a sort by deadline alone."""
    closed = file_complaint()
    for move, data in (("accept", {}), ("start", {}), ("reply", {"reply": "已清理", "outcome": Outcome.SUBSTANTIATED})):
        services.transition(closed, move, clerk_v1, **data)
    services.transition(closed, "close", clerk_v1)
    replied = file_complaint()
    for move, data in (("accept", {}), ("start", {}), ("reply", {"reply": "已清理", "outcome": Outcome.SUBSTANTIATED})):
        services.transition(replied, move, clerk_v1, **data)
    later, soon, overdue = file_complaint(), file_complaint(), file_complaint()
    # The answered ones carry the earliest deadlines: the model's default ordering (due_at) would put them first.
    _due(closed, -30), _due(replied, -20), _due(later, 9), _due(soon, 2), _due(overdue, -1)
    return [overdue, soon, later, replied, closed]


def test_overdue_first_then_by_deadline_answered_and_closed_last(client, file_complaint, clerk_v1):
    expected = [c.tracking_code for c in _queue(file_complaint, clerk_v1)]
    client.force_login(clerk_v1)
    html = client.get(LIST).content.decode()
    codes = _codes(html)
    assert codes[:3] == expected[:3] and set(codes[3:]) == set(expected[3:])
    assert html.index("已逾期") < html.index(expected[1])  # the overdue one is flagged, at the top


def test_the_queue_lists_in_flat_queries(client, file_complaint, clerk_v1):
    client.force_login(clerk_v1)
    file_complaint()
    client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    _queue(file_complaint, clerk_v1)
    with CaptureQueriesContext(connection) as six:
        html = client.get(LIST).content.decode()
    assert len(_codes(html)) == 6 and len(six) == len(one)


def test_times_on_the_queue_are_local_to_the_minute(client, file_complaint, clerk_v1):
    complaint = file_complaint()
    at = dt.datetime(2026, 12, 1, 1, 2, 3, 456789, tzinfo=dt.UTC)  # 09:02 in Asia/Shanghai
    Complaint.objects.filter(pk=complaint.pk).update(submitted_at=at)
    client.force_login(clerk_v1)
    html = client.get(LIST).content.decode()
    assert "2026-12-01 09:02" in html and "456789" not in html and "01:02" not in html


def test_a_move_from_a_filtered_queue_lands_back_on_it(client, file_complaint, clerk_v1):
    complaint = file_complaint()
    client.force_login(clerk_v1)
    kept = "status=submitted&q=" + complaint.tracking_code
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]), {"_changelist_filters": kept})
    move_url = reverse("admin:complaints_complaint_move", args=[complaint.pk, "accept"])
    assert f"{move_url}?_changelist_filters=status%3Dsubmitted%26q%3D{complaint.tracking_code}" in page.content.decode()
    response = client.post(move_url + "?_changelist_filters=" + kept.replace("=", "%3D").replace("&", "%26"))
    assert response.status_code == 302 and response["Location"] == f"{LIST}?{kept}"
    assert Complaint.objects.get(pk=complaint.pk).status == "accepted"
