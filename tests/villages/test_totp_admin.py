"""动态口令设备 in the admin: Chinese columns, county admins only, scoped to their county, a reset is audited."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sunshine.audit.models import AuditEvent
from tests import factories as f
from villages.models import Role

pytestmark = pytest.mark.django_db

LIST = reverse("admin:otp_totp_totpdevice_changelist")


def device(user, name="手机"):
    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


@pytest.fixture
def other_clerk(other_county_inspector):
    other_village = other_county_inspector.memberships.get().division
    return f.staff("clerk_other", Role.VILLAGE_CLERK, other_village)


def test_the_list_shows_chinese_columns_and_no_secret(client, county_admin, clerk_v1):
    mine = device(clerk_v1)
    client.force_login(county_admin)
    page = client.get(LIST).content.decode()
    for column in ("账号", "设备名称", "已确认", "启用时间", "最近使用"):
        assert column in page
    assert "clerk_v1" in page and mine.key not in page and "qrcode" not in page


def test_the_detail_page_is_read_only_with_drift_and_throttling(client, county_admin, clerk_v1):
    mine = device(clerk_v1)
    client.force_login(county_admin)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[mine.pk])).content.decode()
    assert "时钟偏差（步）" in page and "连续失败次数" in page and "最近一次失败" in page
    assert mine.key not in page and 'name="name"' not in page  # nothing editable, the secret never shown


@pytest.mark.parametrize("who", ["clerk_v1", "reviewer_t1", "inspector"])
def test_other_roles_get_no_device_page(client, who, request, clerk_v1):
    device(clerk_v1)
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403


def test_a_county_admin_sees_only_their_county_staff(client, county_admin, clerk_v1, other_clerk):
    device(clerk_v1)
    theirs = device(other_clerk)
    client.force_login(county_admin)
    page = client.get(LIST).content.decode()
    assert "clerk_v1" in page and "clerk_other" not in page
    outside = client.get(reverse("admin:otp_totp_totpdevice_change", args=[theirs.pk]))
    assert outside.status_code == 302  # Django's "does not exist" redirect: outside the county is not there
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[theirs.pk]), {"post": "yes"})
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_a_superuser_sees_every_device(admin_client, clerk_v1, other_clerk):
    device(clerk_v1)
    device(other_clerk)
    page = admin_client.get(LIST).content.decode()
    assert "clerk_v1" in page and "clerk_other" in page


def test_no_device_is_added_here(client, county_admin, admin_client):
    client.force_login(county_admin)
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403


def test_a_reset_deletes_the_device_and_writes_one_event_without_the_key(client, county_admin, clerk_v1):
    mine = device(clerk_v1)
    client.force_login(county_admin)
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[mine.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.filter(pk=mine.pk).exists()
    (event,) = AuditEvent.objects.filter(action="auth.totp_removed")
    assert event.actor_id == county_admin.pk and event.object_repr == "clerk_v1"
    assert event.division_id == clerk_v1.memberships.get().division_id
    assert mine.key not in str(event.data) and mine.key not in (event.reason or "")


def test_a_bulk_reset_writes_one_event_per_device(client, county_admin, clerk_v1, reviewer_t1):
    devices = [device(clerk_v1), device(reviewer_t1)]
    client.force_login(county_admin)
    data = {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"}
    assert client.post(LIST, data).status_code == 302
    assert not TOTPDevice.objects.exists()
    assert sorted(AuditEvent.objects.filter(action="auth.totp_removed").values_list("object_repr", flat=True)) == [
        "clerk_v1",
        "reviewer_t1",
    ]


def test_the_list_costs_the_same_queries_for_one_and_many_devices(client, county_admin, clerk_v1, world):
    device(clerk_v1)
    client.force_login(county_admin)
    counts = []
    for extra in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        counts.append(len(queries))
        for i in range(5):
            device(f.staff(f"clerk_more{extra}{i}", Role.VILLAGE_CLERK, world.v2))
    assert counts[0] == counts[1]
