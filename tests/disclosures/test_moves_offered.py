"""Only the moves a person may take now are offered: over the demo roles × every state of a roster, a move that
``available_moves`` offers is one ``transition`` accepts, and a move it leaves out is refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from disclosures import services as s
from disclosures.models import MOVES, Category
from tests.disclosures.helpers import acknowledge_leads, approve_and_publish, draft_roster, entry

PERSON_MOVES = [m.name for m in MOVES.values() if m.perm is not None]


def _submitted(world, cat, crew, period):
    clerk, _reviewer, _discipline = crew
    d = draft_roster(clerk, world.v1, cat, period=period, rows=[entry("赵六", 1500), entry("孙八", 300)])
    s.disclosure_submit(disclosure=d, actor=clerk)
    return d


def _build(state, world, cat, crew, period):
    """A 甲村 roster in ``state``; its 赵六 is above the category's range (one lead) where it is under review."""
    clerk, reviewer, discipline = crew
    if state == "draft":
        return draft_roster(clerk, world.v1, cat, period=period, rows=[entry("孙八", 300)])
    d = _submitted(world, cat, crew, period)
    if state == "returned":
        s.disclosure_return(disclosure=d, actor=reviewer, reason="补材料")
    if state in ("submitted_acknowledged", "township_approved", "township_approved_acknowledged"):
        acknowledge_leads(d, reviewer)
    if state.startswith("township_approved"):
        s.disclosure_approve_township(disclosure=d, actor=reviewer)
    if state == "township_approved_acknowledged":
        acknowledge_leads(d, discipline)
    if state == "discipline_approved":
        acknowledge_leads(d, reviewer)
        s.disclosure_approve_township(disclosure=d, actor=reviewer)
        acknowledge_leads(d, discipline)
        s.disclosure_approve_discipline(disclosure=d, actor=discipline)
    if state in ("published", "confirmed", "archived", "taken_down", "correction_submitted"):
        approve_and_publish(d, reviewer, discipline)
    if state == "confirmed":
        s.transition(d, "confirm", None, system=True)
    if state == "archived":
        s.disclosure_archive(disclosure=d, actor=reviewer)
    if state == "taken_down":
        s.disclosure_take_down(disclosure=d, actor=_admin(world), reason="误公开")
    if state == "correction_submitted":
        s.disclosure_open_correction(actor=clerk, disclosure=d, reason="更正金额")
        s.disclosure_submit(disclosure=d, actor=clerk)
    d.refresh_from_db()
    return d


def _admin(world):
    from tests import factories as f
    from villages.models import Role

    return f.staff("county_admin_td", Role.COUNTY_ADMIN, world.county)


def _accepted(disclosure, name, user):
    """Would ``transition`` take ``name`` now? Tried in a savepoint that is rolled back either way."""
    try:
        with transaction.atomic():
            s.transition(disclosure, name, user, reason="原因")
            transaction.set_rollback(True)
    except (ValidationError, PermissionDenied):
        return False
    return True


STATES = [
    "draft", "submitted", "submitted_acknowledged", "returned", "township_approved", "township_approved_acknowledged",
    "discipline_approved", "published", "confirmed", "archived", "taken_down", "correction_submitted",
]  # fmt: skip


@pytest.mark.parametrize("state", STATES)
def test_every_offered_move_succeeds_and_no_refused_move_is_offered(
    state, world, categories, crew, reviewer_t2, inspector, county_admin
):
    cat = categories["dibao"]
    Category.objects.filter(pk=cat.pk).update(amount_min=Decimal("100"), amount_max=Decimal("1000"), objection_days=7)
    cat.refresh_from_db()
    disclosure = _build(state, world, cat, crew, "2026-10")
    people = [*crew, reviewer_t2, inspector, county_admin]
    offered_somewhere = set()
    for person in people:
        offered = {m.name for m in s.available_moves(disclosure, person)}
        accepted = {name for name in PERSON_MOVES if _accepted(disclosure, name, person)}
        assert offered == accepted, (state, person.username)
        offered_somewhere |= offered
    if state in ("submitted", "township_approved"):  # the open lead holds the approval back for everyone
        assert not offered_somewhere & {"approve_township", "approve_discipline"}
    if state in ("submitted_acknowledged", "township_approved_acknowledged"):
        assert offered_somewhere & {"approve_township", "approve_discipline"}


def test_the_disclosure_page_buttons_are_the_available_moves(client, world, categories, crew):
    cat = categories["dibao"]
    Category.objects.filter(pk=cat.pk).update(amount_min=Decimal("100"), amount_max=Decimal("1000"))
    cat.refresh_from_db()
    clerk, reviewer, discipline = crew
    disclosure = _build("submitted", world, cat, crew, "2026-10")
    for person in crew:
        client.force_login(person)
        html = client.get(f"/admin/disclosures/disclosure/{disclosure.pk}/change/").content.decode()
        for name in PERSON_MOVES:
            offered = name in {m.name for m in s.available_moves(disclosure, person)}
            assert (f'value="act_{name}"' in html) == offered, (person.username, name)
