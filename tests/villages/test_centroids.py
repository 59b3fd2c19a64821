"""Village centroids (lat/long): entered in the admin, seeded for the demo, used to place Open311 reports."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from sunshine.audit.models import AuditEvent
from villages.models import Division, Level
from villages.selectors import distance_km, nearest_village


def test_county_admin_enters_a_village_centroid_in_the_admin(client, world, county_admin):
    client.force_login(county_admin)
    page = client.get(f"/admin/villages/division/{world.v1.pk}/change/").content.decode()
    assert 'name="lat"' in page and 'name="long"' in page
    form = {"name": "甲村", "code": world.v1.code, "level": "village", "parent": world.t1.pk, "sort_order": 0}
    form |= {"lat": "28.845120", "long": "115.553210", "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0}
    response = client.post(f"/admin/villages/division/{world.v1.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.v1.refresh_from_db()
    assert (world.v1.lat, world.v1.long) == (Decimal("28.845120"), Decimal("115.553210"))
    event = AuditEvent.objects.filter(action="division.changed").latest("id")
    assert set(event.changes) == {"lat", "long"}
    half = client.post(f"/admin/villages/division/{world.v1.pk}/change/", form | {"long": ""})
    assert half.status_code == 200 and "经纬度要同时填写" in half.content.decode()


@pytest.mark.parametrize(
    ("lat", "long", "field"),
    [("91", "115", "lat"), ("28", "181", "long"), ("28", None, "long"), (None, "115", "lat")],
)
def test_centroid_must_be_a_whole_wgs84_point(world, lat, long, field):
    world.v1.lat = Decimal(lat) if lat else None
    world.v1.long = Decimal(long) if long else None
    with pytest.raises(ValidationError) as exc:
        world.v1.full_clean()
    assert field in exc.value.message_dict


def test_seed_demo_places_every_demo_village_once_and_keeps_edits(db, capsys):
    call_command("seed_demo")
    villages = Division.objects.filter(level=Level.VILLAGE)
    assert villages.count() == 12 and not villages.filter(lat__isnull=True).exists()
    points = list(villages.values_list("lat", "long"))
    assert len(set(points)) == 12
    assert all(28 < lat < 29.5 and 115 < long < 116 for lat, long in points)  # northern Jiangxi
    # Every village is nearest to itself, and no two are closer than 1 km.
    for village in villages:
        assert nearest_village(village.lat, village.long, max_km=5)[0] == village
    assert min(distance_km(*a, *b) for a in points for b in points if a != b) > 1
    edited = villages.get(name="东坪村")
    edited.lat, edited.long = Decimal("28.900000"), Decimal("115.470000")
    edited.save()
    call_command("seed_demo")
    edited.refresh_from_db()
    assert (edited.lat, edited.long) == (Decimal("28.900000"), Decimal("115.470000"))
    assert sorted(Division.objects.filter(level=Level.VILLAGE).exclude(pk=edited.pk).values_list("lat", "long")) == (
        sorted(p for p in points if p != (Decimal("28.919000"), Decimal("115.468000")))
    )


def test_nearest_village_within_the_distance_only(world):
    world.v1.lat, world.v1.long = Decimal("28.900000"), Decimal("115.500000")
    world.v1.save()
    assert nearest_village(Decimal("28.930000"), Decimal("115.500000"), max_km=5)[0] == world.v1  # 3.3 km
    assert nearest_village(Decimal("28.950000"), Decimal("115.500000"), max_km=5) == (None, None)  # 5.6 km
    assert nearest_village(Decimal("28.930000"), Decimal("115.500000"), max_km=5, within=world.t2) == (None, None)
    assert distance_km(28.9, 115.5, 28.95, 115.5) == pytest.approx(5.56, abs=0.01)
