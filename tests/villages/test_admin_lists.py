"""Cadres, staff relatives and the holiday calendar are edited in the admin through audited services."""

import datetime as dt

from sunshine.audit.models import AuditEvent
from villages.models import CalendarDay, StaffRelative, VillageCadre


def _events(code):
    return list(AuditEvent.objects.filter(action=code).order_by("id"))


def test_a_reviewer_adds_and_edits_a_cadre_of_their_township_with_one_event_each(client, world, reviewer_t1):
    client.force_login(reviewer_t1)
    response = client.post(
        "/admin/villages/villagecadre/add/",
        {"division": world.v1.pk, "name": "王支书", "position": "村支书", "is_active": "on"},
    )
    assert response.status_code == 302
    cadre = VillageCadre.objects.get(name="王支书")
    (created,) = _events("cadre.created")
    assert created.actor_id == reviewer_t1.pk and created.division_id == world.v1.pk
    assert created.changes["position"] == [None, "村支书"]

    client.post(
        f"/admin/villages/villagecadre/{cadre.pk}/change/",
        {"division": world.v1.pk, "name": "王支书", "position": "村主任"},
    )
    (changed,) = _events("cadre.changed")
    assert changed.changes == {"position": ["村支书", "村主任"], "is_active": [True, False]}

    client.post(f"/admin/villages/villagecadre/{cadre.pk}/delete/", {"post": "yes"})
    assert not VillageCadre.objects.filter(pk=cadre.pk).exists()
    assert len(_events("cadre.deleted")) == 1


def test_a_reviewer_cannot_add_a_cadre_in_another_township(client, world, reviewer_t1):
    client.force_login(reviewer_t1)
    response = client.post(
        "/admin/villages/villagecadre/add/", {"division": world.v3.pk, "name": "李某", "position": "村支书"}
    )
    assert response.status_code == 200  # the form refuses a village outside the township
    assert not VillageCadre.objects.exists() and not _events("cadre.created")


def test_a_saved_cadre_without_changes_writes_no_event(client, world, reviewer_t1):
    cadre = VillageCadre.objects.create(division=world.v1, name="王支书", position="村支书")
    client.force_login(reviewer_t1)
    client.post(
        f"/admin/villages/villagecadre/{cadre.pk}/change/",
        {"division": world.v1.pk, "name": "王支书", "position": "村支书", "is_active": "on"},
    )
    assert not _events("cadre.changed")


def test_the_county_admin_registers_a_staff_relative_audited(client, world, county_admin, clerk_v1):
    client.force_login(county_admin)
    client.post("/admin/villages/staffrelative/add/", {"user": clerk_v1.pk, "name": "张父", "relation": "父亲"})
    relative = StaffRelative.objects.get()
    (event,) = _events("relative.created")
    assert event.changes["relation"] == [None, "父亲"] and event.object_id == str(relative.pk)


def test_the_county_admin_marks_a_make_up_working_day_audited(client, world, county_admin):
    client.force_login(county_admin)
    client.post("/admin/villages/calendarday/add/", {"date": "2027-02-06", "is_workday": "on", "note": "调休上班"})
    day = CalendarDay.objects.get(date=dt.date(2027, 2, 6))
    assert day.is_workday
    (event,) = _events("calendar_day.created")
    assert event.changes["note"] == [None, "调休上班"]


def test_a_clerk_cannot_edit_the_calendar(client, world, clerk_v1):
    client.force_login(clerk_v1)
    response = client.post("/admin/villages/calendarday/add/", {"date": "2027-02-06", "is_workday": "on"})
    assert response.status_code == 403
    assert not CalendarDay.objects.exists() and not _events("calendar_day.created")
