"""Admin sign-in: five wrong passwords lock the account from that address (django-axes), the lock is
explained in Chinese, every failure, lockout and login is an audit event, and a county admin can lift it."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from sunshine.audit.models import AuditEvent
from tests import factories as f
from villages.models import Role

LOGIN = "admin:login"
WRONG_IN_PASSWORD_FIELD = "Wrong-But-Secret-77"


@pytest.fixture
def clerk(world):
    return f.staff("clerk_lock", Role.VILLAGE_CLERK, world.v1)


def attempt(client, username, password, address="10.0.0.7"):
    return client.post(
        reverse(LOGIN), {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_five_wrong_passwords_lock_the_sixth_right_one_out(client, clerk, settings):
    assert settings.LOGIN_FAILURE_LIMIT == 5 and settings.LOGIN_COOLOFF_MINUTES == 30
    for _ in range(4):
        response = attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
        assert response.status_code == 200 and "_auth_user_id" not in client.session  # the normal form again
    fifth = attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    assert fifth.status_code == 429
    sixth = attempt(client, "clerk_lock", "pw")  # the right password, now refused
    page = sixth.content.decode()
    assert sixth.status_code == 429 and "_auth_user_id" not in client.session
    assert "登录已暂停" in page and "密码连续错误 5 次" in page and "30 分钟" in page and "阳光村务管理后台" in page
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_failures_and_the_lockout_are_audit_events_without_the_typed_secret(client, clerk, world):
    for _ in range(5):
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    attempt(client, "clerk_lock", "pw")
    failed = events("auth.login_failed")
    assert len(failed) == 6
    assert all(e.actor_id == clerk.pk and e.ip == "10.0.0.7" and e.division_id == world.v1.pk for e in failed)
    assert [e.data["locked"] for e in failed] == [False] * 5 + [True]  # the 6th was refused unchecked
    locked = events("auth.locked_out")
    assert len(locked) == 1 and locked[0].actor_id == clerk.pk and locked[0].ip == "10.0.0.7"
    assert not events("auth.login_succeeded")
    for event in AuditEvent.objects.all():
        assert WRONG_IN_PASSWORD_FIELD not in f"{event.data} {event.reason} {event.object_repr} {event.actor_label}"


def test_unknown_account_names_are_not_stored(client, world):
    attempt(client, WRONG_IN_PASSWORD_FIELD, "whatever")  # a password typed into the user name field
    (event,) = events("auth.login_failed")
    assert event.actor_id is None and WRONG_IN_PASSWORD_FIELD not in f"{event.actor_label} {event.object_repr}"


def test_a_lock_holds_for_that_address_only(client, clerk):
    for _ in range(5):
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD, address="10.0.0.7")
    assert attempt(Client(), "clerk_lock", "pw", address="10.0.0.7").status_code == 429
    elsewhere = Client()
    assert attempt(elsewhere, "clerk_lock", "pw", address="10.0.0.99").status_code == 302
    assert "_auth_user_id" in elsewhere.session


def test_a_login_is_an_audit_event_and_resets_the_count(client, clerk, world):
    for _ in range(4):
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    assert attempt(client, "clerk_lock", "pw").status_code == 302
    (event,) = events("auth.login_succeeded")
    assert event.actor_id == clerk.pk and event.ip == "10.0.0.7" and event.division_id == world.v1.pk
    client.logout()
    for _ in range(4):  # the count started again: four more failures do not lock
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    assert attempt(client, "clerk_lock", "pw").status_code == 302


def test_the_cool_off_ends_the_lock(client, clerk, settings):
    import datetime

    from axes.models import AccessAttempt
    from django.utils import timezone

    for _ in range(5):
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    assert attempt(client, "clerk_lock", "pw").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))
    assert attempt(client, "clerk_lock", "pw").status_code == 302


def test_reset_by_command(client, clerk):
    for _ in range(5):
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    assert attempt(client, "clerk_lock", "pw").status_code == 429
    call_command("axes_reset_username", "clerk_lock")
    assert attempt(client, "clerk_lock", "pw").status_code == 302


def test_a_county_admin_lifts_the_lock_in_the_admin_and_it_is_audited(client, clerk, county_admin, clerk_v3):
    from axes.models import AccessAttempt

    for _ in range(5):
        attempt(client, "clerk_lock", WRONG_IN_PASSWORD_FIELD)
    lock = AccessAttempt.objects.get(username="clerk_lock")
    changelist = reverse("admin:axes_accessattempt_changelist")
    staff = Client()
    staff.force_login(clerk_v3)  # a clerk may not see or lift locks
    assert staff.get(changelist).status_code == 403
    assert staff.post(reverse("admin:axes_accessattempt_delete", args=[lock.pk]), {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=lock.pk).exists()
    staff.force_login(county_admin)
    page = staff.get(changelist).content.decode()
    assert "clerk_lock" in page and "10.0.0.7" in page and WRONG_IN_PASSWORD_FIELD not in page
    assert staff.post(reverse("admin:axes_accessattempt_delete", args=[lock.pk]), {"post": "yes"}).status_code == 302
    (event,) = events("auth.unlocked")
    assert event.actor_id == county_admin.pk and event.object_repr == "clerk_lock"
    assert attempt(client, "clerk_lock", "pw").status_code == 302
