"""Staff sessions end at browser close and a working day after sign-in, however busy; residents' do not."""

import time

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests import factories as f
from villages import staff_sessions
from villages.models import Role


@pytest.fixture
def clerk(world):
    return f.staff("clerk_day", Role.VILLAGE_CLERK, world.v1)


@pytest.fixture
def clock(monkeypatch):
    """The sessions module's clock, moved forward by tests."""
    now = [time.time()]
    monkeypatch.setattr(staff_sessions.time, "time", lambda: now[0])
    return now


def sign_in(client):
    response = client.post(reverse("admin:login"), {"username": "clerk_day", "password": "pw", "next": "/admin/"})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return response


def test_a_staff_session_cookie_ends_with_the_browser(client, clerk, clock):
    sign_in(client)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""
    assert client.session.get_expire_at_browser_close()


def test_a_staff_session_ends_after_the_working_day_however_busy(client, clerk, clock, settings):
    assert settings.STAFF_SESSION_HOURS == 9
    sign_in(client)
    for hour in range(1, 9):  # busy all day: a request every hour
        clock[0] += 3600
        assert client.get("/admin/").status_code == 200, hour
    clock[0] += 3600 + 60  # 9 h 1 min after sign-in
    response = client.get("/admin/complaints/complaint/")
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert "next=/admin/complaints/complaint/" in response["Location"]
    assert "_auth_user_id" not in client.session
    assert "请重新登录" in client.get(response["Location"]).content.decode()
    clock[0] += 60
    sign_in(client)  # signing in again starts a new day
    assert client.get("/admin/").status_code == 200


def test_the_working_day_is_a_setting(client, clerk, clock, settings):
    settings.STAFF_SESSION_HOURS = 2
    sign_in(client)
    clock[0] += 2 * 3600 + 1
    assert client.get("/admin/").status_code == 302


def test_a_staff_session_without_a_sign_in_time_is_ended(client, clerk):
    sign_in(client)
    session = client.session
    del session[staff_sessions.SIGNED_IN_AT]
    session.save()
    assert client.get("/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_residents_tracking_sessions_keep_the_default(client, world, clock):
    from complaints.categories import seed_categories
    from complaints.models import ComplaintCategory

    seed_categories()
    category = ComplaintCategory.objects.get(service_code="environment")
    data = {"village": world.v1.pk, "category": category.pk, "text": "村口路灯坏了三个月。"}
    response = client.post(reverse("complaints:new"), data)
    assert response.status_code == 302
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE
    clock[0] += 10 * 3600
    assert "查询码" in client.get(response["Location"]).content.decode()  # the resident's page still answers
    assert staff_sessions.SIGNED_IN_AT not in client.session
