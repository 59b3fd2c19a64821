"""``scope_for`` by division ids: the rows of the seat's subtree (groups included), nothing outside, for every role
and for a user with two seats; the scoped query reads the subtree's ids, never joins rows to their division's path."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from villages.models import Division, Membership, Role
from villages.selectors import scope_for

SEATS = {
    Role.VILLAGE_CLERK: "v1",
    Role.TOWNSHIP_REVIEWER: "t1",
    Role.TOWNSHIP_DISCIPLINE: "t2",
    Role.COUNTY_INSPECTOR: "county",
    Role.COUNTY_ADMIN: "county",
}


@pytest.fixture
def seated(world):
    """One membership at every division of the world (甲村's group included) and one in another county."""
    far = f.village(f.township(f.county("别县", code="990200000000"), "别乡", code="990201000000"), "远村")
    for division in [*Division.objects.exclude(pk=far.pk), far]:
        f.staff(f"member_{division.pk}", Role.VILLAGE_CLERK, division)
    return world


def _expected(queryset, *seats):
    return {m.pk for m in queryset if any(m.division.path.startswith(seat.path) for seat in seats)}


@pytest.mark.parametrize("role", sorted(SEATS))
def test_each_role_sees_exactly_its_subtree(seated, role):
    seat = getattr(seated, SEATS[role])
    user = f.staff(f"who_{role}", role, seat)
    everyone = Membership.objects.select_related("division")
    scoped = set(scope_for(Membership.objects.all(), user, "division.view").values_list("pk", flat=True))
    assert scoped == _expected(everyone, seat)
    if role == Role.VILLAGE_CLERK:
        assert Membership.objects.filter(division=seated.g1).get().pk in scoped  # the village's group


def test_two_seats_see_both_subtrees_and_nothing_between(seated):
    user = f.staff("two_seats", Role.VILLAGE_CLERK, seated.v1)
    Membership.objects.create(user=user, division=seated.v3, role=Role.VILLAGE_CLERK)
    scoped = set(scope_for(Membership.objects.all(), user, "division.view").values_list("pk", flat=True))
    assert scoped == _expected(Membership.objects.select_related("division"), seated.v1, seated.v3)
    assert not Membership.objects.filter(pk__in=scoped, division=seated.v2).exists()


def test_the_scoped_rows_are_found_by_the_subtrees_ids_in_one_query(seated, clerk_v1):
    with CaptureQueriesContext(connection) as queries:
        list(scope_for(Membership.objects.all(), clerk_v1, "division.view"))
    sql = queries[-1]["sql"]
    assert '"villages_membership"."division_id" IN (SELECT' in sql
    assert "JOIN" not in sql.split("IN (SELECT")[0]  # the outer query joins no division
