"""查看身份 at every level: the filer's name and phone reach nobody's page without a reason and an audit event,
whether the complaint sits with the village, the township or (escalated) the county inspector.

A matrix of level (where the complaint sits) × person: nobody sees the identity on the change page; the handler
at that level and the county's inspectors are offered the reveal and get the identity with one event naming the
reason; everyone else is refused and nothing is logged."""

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Complaint
from sunshine.audit.models import AuditEvent
from tests import factories as f
from villages.models import Level, Role

NAME, PHONE = "钱小梅", "13955556666"


def _people(world):
    return {
        "clerk_v1": f.staff("clerk_v1", Role.VILLAGE_CLERK, world.v1),
        "clerk_v2": f.staff("clerk_v2", Role.VILLAGE_CLERK, world.v2),
        "reviewer_t1": f.staff("reviewer_t1", Role.TOWNSHIP_REVIEWER, world.t1),
        "discipline_t1": f.staff("discipline_t1", Role.TOWNSHIP_DISCIPLINE, world.t1),
        "inspector": f.staff("inspector", Role.COUNTY_INSPECTOR, world.county),
        "county_admin": f.staff("county_admin", Role.COUNTY_ADMIN, world.county),
        "other_inspector": f.staff("inspector_x", Role.COUNTY_INSPECTOR, f.county("别县", code="990200000000")),
    }


def _complaint_at(level, world, cat, people):
    """甲村's complaint, escalated by its handlers up to ``level``."""
    complaint, _secret = services.complaint_submit(
        category=cat["environment"], village=world.v1, text="村口垃圾堆了半个月没人清理。", name=NAME, phone=PHONE
    )
    if level in (Level.TOWNSHIP, Level.COUNTY):
        services.complaint_escalate(complaint=complaint, actor=people["clerk_v1"], reason="村里无力处理")
    if level == Level.COUNTY:
        services.complaint_escalate(complaint=complaint, actor=people["reviewer_t1"], reason="涉及多村")
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.level == level
    return complaint


# level → who may reveal there (the handler at that level, and the county's inspectors)
REVEALERS = {
    Level.VILLAGE: {"clerk_v1", "inspector"},
    Level.TOWNSHIP: {"reviewer_t1", "inspector"},
    Level.COUNTY: {"inspector"},  # the inspector handles it now, and still reveals with a reason
}
PEOPLE = ["clerk_v1", "clerk_v2", "reviewer_t1", "discipline_t1", "inspector", "county_admin", "other_inspector"]


@pytest.mark.parametrize("level", [Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY])
@pytest.mark.parametrize("who", PEOPLE)
def test_identity_only_through_the_logged_reveal(client, world, cat, level, who):
    people = _people(world)
    complaint = _complaint_at(level, world, cat, people)
    client.force_login(people[who])
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk]))
    html = page.content.decode()
    assert NAME not in html and PHONE not in html
    may = who in REVEALERS[level]
    reveal_url = reverse("admin:complaints_complaint_reveal", args=[complaint.pk])
    assert (reveal_url in html) is may
    before = AuditEvent.objects.filter(action="complaint.identity_revealed").count()
    blank = client.post(reveal_url, {"reason": ""})
    assert PHONE not in blank.content.decode()
    response = client.post(reveal_url, {"reason": "核实留言情况"})
    events = AuditEvent.objects.filter(action="complaint.identity_revealed")
    if may:
        assert response.status_code == 200 and PHONE in response.content.decode() and NAME in response.content.decode()
        event = events.get()
        assert (event.actor_id, event.reason) == (people[who].pk, "核实留言情况")
        assert PHONE not in f"{event.data}{event.changes}" and NAME not in f"{event.data}{event.changes}"
    else:
        assert response.status_code in (403, 404) and PHONE not in response.content.decode()
        assert events.count() == before == 0
