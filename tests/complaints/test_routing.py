"""Routing and the visibility matrix: who sees and who handles each kind of complaint."""

import pytest

from complaints import selectors, services
from villages.models import Level, Role


def visible(user, complaint):
    return selectors.complaints_visible_to(user).filter(pk=complaint.pk).exists()


def test_village_category_starts_at_the_village_clerk(file_complaint, world):
    c = file_complaint("environment")
    assert (c.division, c.level, c.handler_role) == (world.v1, Level.VILLAGE, Role.VILLAGE_CLERK)


def test_township_category_starts_at_the_township_reviewer(file_complaint, world):
    c = file_complaint("subsidy")
    assert (c.division, c.handler_role) == (world.t1, Role.TOWNSHIP_REVIEWER)


def test_cadre_complaint_goes_to_township_discipline(file_complaint, world):
    c = file_complaint("environment", concerns_cadres=True)
    assert (c.division, c.handler_role) == (world.t1, Role.TOWNSHIP_DISCIPLINE)


def test_naming_a_listed_cadre_counts_as_concerning_cadres(file_complaint, world, cadre_v1):
    c = file_complaint("environment", named_cadre=cadre_v1)
    assert c.concerns_cadres and c.handler_role == Role.TOWNSHIP_DISCIPLINE


def test_township_staff_complaint_goes_to_the_county(file_complaint, world):
    c = file_complaint("conduct", concerns_township_staff=True)
    assert (c.division, c.handler_role) == (world.county, Role.COUNTY_INSPECTOR)


@pytest.mark.parametrize(
    "kind, expected",
    [
        # (clerk_v1, clerk_v3, reviewer_t1, discipline_t1, reviewer_t2, inspector)
        ("plain", (True, False, True, True, False, True)),
        ("cadres", (False, False, True, True, False, True)),
        ("township_staff", (False, False, False, False, False, True)),
    ],
)
def test_visibility_matrix(
    kind, expected, file_complaint, clerk_v1, clerk_v3, reviewer_t1, discipline_t1, reviewer_t2, inspector
):
    c = file_complaint(
        "environment", concerns_cadres=kind == "cadres", concerns_township_staff=kind == "township_staff"
    )
    people = (clerk_v1, clerk_v3, reviewer_t1, discipline_t1, reviewer_t2, inspector)
    assert tuple(visible(p, c) for p in people) == expected


def test_clerk_never_sees_complaint_about_their_cadres_even_after_escalation(
    file_complaint, clerk_v1, discipline_t1, cadre_v1
):
    c = file_complaint("environment", named_cadre=cadre_v1)
    services.complaint_accept(complaint=c, actor=discipline_t1)
    services.complaint_escalate(complaint=c, actor=discipline_t1, reason="案情复杂")
    assert not visible(clerk_v1, c)
    assert not any(x.pk == c.pk for x in selectors.staff_queue(clerk_v1))


def test_cadre_complaint_cannot_be_transferred_to_a_village(file_complaint, world, discipline_t1):
    from django.core.exceptions import ValidationError

    c = file_complaint("environment", concerns_cadres=True)
    with pytest.raises(ValidationError):
        services.complaint_transfer(complaint=c, actor=discipline_t1, division=world.v1, reason="村里办")


def test_identity_only_for_the_handling_staff(file_complaint, clerk_v1, reviewer_t1, inspector):
    from django.core.exceptions import PermissionDenied

    c = file_complaint("environment", name="李四", phone="13800138000")
    assert services.complaint_identity(complaint=c, actor=clerk_v1)["phone"] == "13800138000"
    for person in (reviewer_t1, inspector):
        with pytest.raises(PermissionDenied):
            services.complaint_identity(complaint=c, actor=person)


def test_inspector_reveal_is_logged_with_reason(file_complaint, inspector, reviewer_t1):
    from django.core.exceptions import PermissionDenied, ValidationError

    from sunshine.audit.models import AuditEvent

    c = file_complaint("environment", name="李四", phone="13800138000")
    with pytest.raises(ValidationError):
        services.complaint_reveal_identity(complaint=c, actor=inspector, reason="")
    with pytest.raises(PermissionDenied):
        services.complaint_reveal_identity(complaint=c, actor=reviewer_t1, reason="想看")
    identity = services.complaint_reveal_identity(complaint=c, actor=inspector, reason="核查举报线索")
    assert identity["name"] == "李四"
    event = AuditEvent.objects.get(action="complaint.identity_revealed")
    assert event.reason == "核查举报线索" and "13800138000" not in str(event.changes) + str(event.data)


def test_objection_routes_to_township_reviewer_never_the_clerk(world, cat, clerk_v1, reviewer_t1):
    from disclosures.models import Category, Disclosure, Kind, Phase

    category = Category.objects.create(slug="dibao", name="低保", kind=Kind.ROSTER, cadence="monthly", objection_days=7)
    disclosure = Disclosure.objects.create(division=world.v1, category=category, period="2026-11", phase=Phase.PRE)
    c, _ = services.complaint_submit(
        category=cat["objection"], village=world.v1, text="张三家有车", disclosure=disclosure
    )
    assert (c.division, c.handler_role) == (world.t1, Role.TOWNSHIP_REVIEWER)
    assert not services.can_handle(clerk_v1, c)
    assert selectors.unresolved_objection_disclosure_ids([disclosure.pk]) == {disclosure.pk}
    services.complaint_reject(complaint=c, actor=reviewer_t1, reason="不属于公示异议")
    assert selectors.unresolved_objection_disclosure_ids([disclosure.pk]) == set()
