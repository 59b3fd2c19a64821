"""The permission matrix: every role × own/other jurisdiction × view/change, through admin and API."""

import pytest

from sunshine.audit.services import audit_record
from tests import factories as f
from villages.models import Division, Membership, Role
from villages.permissions import PERMISSIONS, can

ROLES = [Role.VILLAGE_CLERK, Role.TOWNSHIP_REVIEWER, Role.TOWNSHIP_DISCIPLINE, Role.COUNTY_INSPECTOR, Role.COUNTY_ADMIN]


@pytest.fixture
def places(world):
    """Each role's own seat, an object inside it (甲村) and one outside it."""
    other_county = f.county("别县", code="990200000000")
    other_township = f.township(other_county, "别乡", code="990201000000")
    far_village = f.village(other_township, "远村", code="990201001000")
    seat = {
        Role.VILLAGE_CLERK: (world.v1, world.v3),
        Role.TOWNSHIP_REVIEWER: (world.t1, world.v3),
        Role.TOWNSHIP_DISCIPLINE: (world.t1, world.v3),
        Role.COUNTY_INSPECTOR: (world.county, far_village),
        Role.COUNTY_ADMIN: (world.county, far_village),
    }
    return world, seat, far_village


def _actor(role, seat):
    return f.staff(f"actor_{role}", role, seat[role][0])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("perm", sorted(PERMISSIONS))
def test_can_follows_the_table_inside_and_outside_the_jurisdiction(places, role, perm):
    world, seat, _ = places
    user = _actor(role, seat)
    own, other = world.v1, seat[role][1]
    granted = role in PERMISSIONS[perm]
    assert can(user, perm, own) is granted
    assert can(user, perm, other) is False


def test_anonymous_and_inactive_users_can_nothing(world, clerk_v1, django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not can(AnonymousUser(), "division.view", world.v1)
    clerk_v1.is_active = False
    assert not can(clerk_v1, "division.view", world.v1)


def test_unknown_permission_is_an_error_not_a_silent_no(clerk_v1):
    with pytest.raises(KeyError):
        can(clerk_v1, "disclosure.frobnicate")


@pytest.mark.parametrize("role", ROLES)
def test_admin_division_view_and_change(client, places, role):
    world, seat, _ = places
    user = _actor(role, seat)
    client.force_login(user)
    own, other = world.v1, seat[role][1]

    assert client.get(f"/admin/villages/division/{own.pk}/change/").status_code == 200
    response = client.get(f"/admin/villages/division/{other.pk}/change/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    changelist = client.get("/admin/villages/division/").content.decode()
    assert own.name in changelist and other.name not in changelist

    form = {"name": "改名村", "code": own.code, "level": own.level, "parent": own.parent_id, "sort_order": 0}
    form |= {"memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0}
    response = client.post(f"/admin/villages/division/{own.pk}/change/", form)
    own.refresh_from_db()
    if role == Role.COUNTY_ADMIN:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert own.name == "改名村"
    else:
        assert response.status_code == 403
        assert own.name == "甲村"
    response = client.post(f"/admin/villages/division/{other.pk}/change/", form | {"code": other.code})
    other.refresh_from_db()
    # Without change rights anywhere the admin refuses first (403); with them, the object "does not exist".
    assert response.status_code == (302 if role == Role.COUNTY_ADMIN else 403)
    assert other.name != "改名村"


@pytest.mark.parametrize("role", ROLES)
def test_admin_membership_view(client, places, role):
    world, seat, far_village = places
    user = _actor(role, seat)
    inside = Membership.objects.create(
        user=f.UserFactory(username="someone"), division=world.v1, role=Role.VILLAGE_CLERK
    )
    outside = (
        Membership.objects.create(user=f.UserFactory(username="far"), division=seat[role][1], role=Role.VILLAGE_CLERK)
        if seat[role][1].level == "village"
        else None
    )
    client.force_login(user)
    response = client.get(f"/admin/villages/membership/{inside.pk}/change/")
    if role in PERMISSIONS["membership.view"]:
        assert response.status_code == 200
        assert client.get(f"/admin/villages/membership/{outside.pk}/change/").status_code == 302
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_api_staff_memberships_are_scoped(client, places, role):
    world, seat, _ = places
    user = _actor(role, seat)
    inside = Membership.objects.create(
        user=f.UserFactory(username="someone"), division=world.v1, role=Role.VILLAGE_CLERK
    )
    outside = Membership.objects.create(
        user=f.UserFactory(username="far"), division=seat[role][1], role=Role.VILLAGE_CLERK
    )
    client.force_login(user)
    own = client.get(f"/api/v1/staff/memberships/{inside.pk}/")
    other = client.get(f"/api/v1/staff/memberships/{outside.pk}/")
    if role in PERMISSIONS["membership.view"]:
        assert own.status_code == 200 and own.json()["username"] == "someone"
        assert other.status_code == 404
        listed = {row["id"] for row in client.get("/api/v1/staff/memberships/").json()["results"]}
        assert inside.pk in listed and outside.pk not in listed
    else:
        assert own.status_code == 403 and other.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_api_and_admin_audit_events_are_scoped(client, places, role):
    world, seat, _ = places
    user = _actor(role, seat)
    inside = audit_record(actor=user, action="division.changed", obj=world.v1)
    outside = audit_record(actor=user, action="division.changed", obj=seat[role][1])
    client.force_login(user)
    api_own = client.get(f"/api/v1/staff/audit-events/{inside.pk}/")
    api_other = client.get(f"/api/v1/staff/audit-events/{outside.pk}/")
    admin_own = client.get(f"/admin/audit/auditevent/{inside.pk}/change/")
    admin_other = client.get(f"/admin/audit/auditevent/{outside.pk}/change/")
    if role in PERMISSIONS["audit.view"]:
        assert api_own.status_code == 200 and api_other.status_code == 404
        assert admin_own.status_code == 200 and admin_other.status_code == 302
    else:
        assert api_own.status_code == 403 and api_other.status_code == 403
        assert admin_own.status_code == 403


def test_staff_api_requires_login(client, world):
    assert client.get("/api/v1/staff/memberships/").status_code in (401, 403)


def test_public_division_api_lists_the_tree(client, world):
    rows = client.get("/api/v1/divisions/?within=990101000000").json()["results"]
    assert {r["name"] for r in rows} == {"一乡", "甲村", "乙村", "一组"}
    assert client.get("/api/v1/divisions/990102001000/").json()["name"] == "丙村"
    assert client.get("/api/v1/divisions/999999999999/").status_code == 404


def test_division_paths_follow_a_move(county_admin, world):
    from villages.services import division_save

    world.v2.parent = world.t2
    division_save(actor=county_admin, division=world.v2)
    assert Division.objects.get(pk=world.v2.pk).path.startswith(world.t2.path)


def test_division_move_carries_its_subtree(county_admin, world):
    from villages.services import division_save

    world.v1.parent = world.t2
    division_save(actor=county_admin, division=world.v1)
    group = Division.objects.get(pk=world.g1.pk)
    assert group.path == f"{world.t2.path}{world.v1.pk}/{world.g1.pk}/"
    assert Division.objects.get(pk=world.v2.pk).path == f"{world.t1.path}{world.v2.pk}/"
