"""Optional two-factor sign-in: off by default; for the listed roles, enrol once, then a code per sign-in."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from sunshine.audit.models import AuditEvent

TWO_FACTOR = "/staff/2fa/"


def code(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client, user):
    client.post(reverse("admin:login"), {"username": user.username, "password": "pw"})
    assert "_auth_user_id" in client.session


def test_off_by_default(client, inspector, settings):
    assert settings.STAFF_2FA_ROLES == []
    sign_in(client, inspector)
    assert client.get("/admin/").status_code == 200
    assert client.get(TWO_FACTOR).status_code == 302


@pytest.fixture
def county_roles(settings):
    settings.STAFF_2FA_ROLES = ["county_inspector", "county_admin"]


def test_a_listed_role_enrols_then_enters_a_code_each_sign_in(client, inspector, county_roles):
    sign_in(client, inspector)
    response = client.get("/admin/complaints/complaint/")
    assert response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)
    page = client.get(response["Location"]).content.decode()
    assert "totp-qr" in page and "<path" in page.split("totp-qr")[1] and "身份验证器" in page  # the QR code
    device = TOTPDevice.objects.get(user=inspector, confirmed=False)

    wrong = client.post(TWO_FACTOR, {"token": "000000" if code(device) != "000000" else "111111"})
    assert "动态口令不对" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # A wrong code throttles the device (django-otp: 1 s, then 2 s, 4 s …): even the right code waits.
    assert "动态口令不对" in client.post(TWO_FACTOR, {"token": code(device)}).content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    device.refresh_from_db()
    done = client.post(TWO_FACTOR, {"token": code(device), "next": "/admin/complaints/complaint/"})
    assert done.status_code == 302 and done["Location"] == "/admin/complaints/complaint/"
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed

    client.post(reverse("admin:logout"))
    sign_in(client, inspector)
    assert client.get("/admin/").status_code == 302
    page = client.get(TWO_FACTOR).content.decode()
    assert "totp-qr" not in page and "6 位数字" in page  # enrolled: only the code is asked
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a new time step (codes are single-use)
    device.refresh_from_db()
    assert client.post(TWO_FACTOR, {"token": code(device)}).status_code == 302
    assert client.get("/admin/").status_code == 200

    events = AuditEvent.objects.filter(action__startswith="auth.totp").order_by("pk")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["auth.totp_failed", "auth.totp_failed", "auth.totp_enrolled", "auth.totp_verified"]


def test_other_roles_are_not_asked(client, clerk_v1, county_roles):
    sign_in(client, clerk_v1)
    assert client.get("/admin/").status_code == 200


def test_unverified_inspector_cannot_open_a_photo_or_the_api(client, inspector, county_roles):
    sign_in(client, inspector)
    assert client.get("/complaints/photo/1/").status_code == 302
    assert client.get("/api/v1/complaints/").status_code == 302


def test_the_setting_is_parsed_strictly(monkeypatch):
    import runpy
    from pathlib import Path

    from django.core.exceptions import ImproperlyConfigured

    settings_file = Path(__file__).resolve().parents[2] / "sunshine" / "settings.py"
    monkeypatch.setenv("STAFF_2FA_ROLES", "county_inspector, county_admin")
    assert runpy.run_path(str(settings_file))["STAFF_2FA_ROLES"] == ["county_inspector", "county_admin"]
    monkeypatch.setenv("STAFF_2FA_ROLES", "county_inspektor")  # a typo must not switch it off silently
    with pytest.raises(ImproperlyConfigured, match="STAFF_2FA_ROLES"):
        runpy.run_path(str(settings_file))
