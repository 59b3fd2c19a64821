"""Review where the risk is: a roster's anomaly leads on its approval page, each acknowledged with a note before
the township reviewer (and then the discipline office) may approve it, in every interface."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures import services as s
from disclosures.demo import demo_id
from disclosures.models import Category, LeadAcknowledgement, RevisionState
from sunshine.audit.models import AuditEvent
from sunshine.identity import person_key
from tests.disclosures.helpers import IDS, acknowledge_leads, draft_roster, entry, published_roster
from villages.models import StaffRelative, VillageCadre

LIST = "/admin/disclosures/disclosure/"


def change_url(disclosure):
    return f"{LIST}{disclosure.pk}/change/"


@pytest.fixture
def risky(world, categories, crew, clerk_v3):
    """甲村's submitted 低保 notice: 张三 also on 丙村's, 李四 reviewer_t1's registered mother, 王五 甲村's head,
    赵六 above the category's range; 孙八 has nothing against him."""
    clerk, reviewer, _discipline = crew
    dibao = categories["dibao"]
    disclosure = draft_roster(
        clerk,
        world.v1,
        dibao,
        rows=[
            entry("张三", 500, id_number=IDS[0]),
            entry("李四", 400, id_number=IDS[1]),
            entry("王五", 450, id_number=IDS[2]),
            entry("赵六", 1500, id_number=IDS[3]),
            entry("孙八", 300, id_number=IDS[4]),
        ],
    )
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    other = draft_roster(clerk_v3, world.v3, dibao, rows=[entry("张三", 500, id_number=IDS[0])])
    s.disclosure_submit(disclosure=other, actor=clerk_v3)
    StaffRelative.objects.create(user=reviewer, name="李四", person_key=person_key(IDS[1]), relation="母亲")
    VillageCadre.objects.create(division=world.v1, name="王五", position="村主任", person_key=person_key(IDS[2]))
    Category.objects.filter(pk=dibao.pk).update(amount_min=Decimal("100"), amount_max=Decimal("1000"))
    disclosure.refresh_from_db()
    return disclosure


def working(disclosure):
    disclosure.refresh_from_db()
    revision = s.working_revision(disclosure)
    revision.disclosure = disclosure
    return revision


def test_each_kind_of_lead_is_found_for_the_revision_under_review(risky):
    leads = s.revision_leads(working(risky))
    found = {(lead.kind, lead.subject.split("（")[0]) for lead in leads}
    assert found == {("cross_village", "张三"), ("relative", "李四"), ("cadre", "王五"), ("out_of_range", "赵六")}
    texts = {lead.kind: lead.text for lead in leads}
    assert "二乡 丙村" in texts["cross_village"] and "reviewer_t1" in texts["relative"] and "母亲" in texts["relative"]
    assert "村主任" in texts["cadre"] and "1500" in texts["out_of_range"] and "1000" in texts["out_of_range"]
    assert all(IDS[n] not in lead.subject + lead.text for lead in leads for n in range(5))  # masked IDs only


def test_a_payout_under_review_is_reconciled_against_its_notice(world, categories, crew):
    clerk, reviewer, discipline = crew
    dibao = categories["dibao"]
    pre = published_roster(
        clerk, reviewer, discipline, world.v1, dibao, period="2026-09",
        rows=[entry("孙八", 300, id_number=demo_id(1)), entry("吴十", 300, id_number=demo_id(3))],
    )  # fmt: skip
    post = draft_roster(
        clerk, world.v1, dibao, period="2026-09", phase="post", pre=pre,
        rows=[entry("孙八", 300, id_number=demo_id(1)), entry("周九", 300, id_number=demo_id(2))],
    )  # fmt: skip
    s.disclosure_submit(disclosure=post, actor=clerk)
    leads = s.revision_leads(working(post))
    assert {(lead.kind, lead.subject.split("（")[0]) for lead in leads} == {
        ("reconciliation", "周九"),  # paid, never announced
        ("reconciliation", "吴十"),  # announced, not paid
    }


def test_approval_is_refused_until_each_lead_is_acknowledged(risky, crew):
    _clerk, reviewer, discipline = crew
    revision = working(risky)
    assert "approve_township" not in [m.name for m in s.available_moves(risky, reviewer)]
    with pytest.raises(ValidationError) as refused:
        s.disclosure_approve_township(disclosure=risky, actor=reviewer)
    assert "4 条异常线索未核实" in refused.value.messages[0] and "李四" in refused.value.messages[0]
    assert working(risky).state == RevisionState.SUBMITTED
    leads = s.revision_leads(revision)
    for lead in leads[:-1]:
        s.lead_acknowledge(actor=reviewer, revision=revision, lead_key=lead.key, note="已入户核实")
    with pytest.raises(ValidationError, match="1 条异常线索"):
        s.disclosure_approve_township(disclosure=risky, actor=reviewer)
    s.lead_acknowledge(actor=reviewer, revision=revision, lead_key=leads[-1].key, note="已核实")
    assert "approve_township" in [m.name for m in s.available_moves(risky, reviewer)]
    s.disclosure_approve_township(disclosure=risky, actor=reviewer)
    # The discipline office acknowledges for its own step; the reviewer's notes do not count for it.
    assert "approve_discipline" not in [m.name for m in s.available_moves(risky, discipline)]
    with pytest.raises(ValidationError, match="4 条异常线索"):
        s.disclosure_approve_discipline(disclosure=risky, actor=discipline)
    acknowledge_leads(risky, discipline)
    s.disclosure_approve_discipline(disclosure=risky, actor=discipline)
    assert working(risky).state == RevisionState.DISCIPLINE_APPROVED
    assert LeadAcknowledgement.objects.filter(move="approve_discipline").count() == 4


def test_an_acknowledgement_is_audited_without_the_id_and_its_note_is_masked(risky, crew):
    _clerk, reviewer, _discipline = crew
    revision = working(risky)
    lead = next(x for x in s.revision_leads(revision) if x.kind == "relative")
    s.lead_acknowledge(actor=reviewer, revision=revision, lead_key=lead.key, note=f"本人回避，身份证 {IDS[1]} 已核")
    event = AuditEvent.objects.get(action="revision.lead_acknowledged")
    assert (event.data["kind"], event.data["step"]) == ("relative", "approve_township")
    assert event.actor_id == reviewer.pk and "李四" in event.data["lead"]
    blob = f"{event.data}{event.reason}{event.changes}{LeadAcknowledgement.objects.get().note}"
    assert IDS[1] not in blob and person_key(IDS[1]) not in blob and "本人回避" in event.reason


def test_bad_acknowledgements_change_nothing(risky, crew, discipline_t2, inspector):
    clerk, reviewer, discipline = crew
    revision = working(risky)
    lead = s.revision_leads(revision)[0]
    with pytest.raises(ValidationError, match="请填写核实说明"):
        s.lead_acknowledge(actor=reviewer, revision=revision, lead_key=lead.key, note="  ")
    with pytest.raises(ValidationError, match="已不存在"):
        s.lead_acknowledge(actor=reviewer, revision=revision, lead_key="nope", note="x")
    for outsider in (clerk, discipline, discipline_t2, inspector):  # not whose approval is waiting
        with pytest.raises(PermissionDenied):
            s.lead_acknowledge(actor=outsider, revision=revision, lead_key=lead.key, note="x")
    s.lead_acknowledge(actor=reviewer, revision=revision, lead_key=lead.key, note="已核实")
    with pytest.raises(ValidationError, match="已由"):
        s.lead_acknowledge(actor=reviewer, revision=revision, lead_key=lead.key, note="再次")
    assert LeadAcknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="revision.lead_acknowledged").count() == 1


def test_the_approval_page_shows_the_leads_to_reviewers_only_and_takes_the_notes(client, risky, crew):
    clerk, reviewer, _discipline = crew
    client.force_login(clerk)
    assert "异常线索" not in client.get(change_url(risky)).content.decode()  # they name staff and other villages
    client.force_login(reviewer)
    html = client.get(change_url(risky) + "?_changelist_filters=status%3Dsubmitted").content.decode()
    assert "须逐条核实以下线索" in html and "李四" in html and "reviewer_t1" in html and "二乡 丙村" in html
    assert 'value="act_approve_township"' not in html and 'value="act_return"' in html
    assert f'action="{LIST}?status=submitted"' in html  # a move keeps the list's filters
    lead = s.revision_leads(working(risky))[0]
    url = f"{LIST}{risky.pk}/acknowledge-lead/"
    blank = client.post(url, {"lead": lead.key, "note": ""}, follow=True)
    assert "请填写核实说明" in blank.content.decode() and not LeadAcknowledgement.objects.exists()
    done = client.post(url, {"lead": lead.key, "note": "已核实", "next": change_url(risky) + "?x=1"})
    assert done.status_code == 302 and done["Location"] == change_url(risky) + "?x=1"
    assert LeadAcknowledgement.objects.get().note == "已核实"
    assert "还有 3 条未核实" in client.get(change_url(risky)).content.decode()
    elsewhere = client.post(url, {"lead": lead.key, "note": "x", "next": "https://evil.example/"})
    assert elsewhere["Location"] == change_url(risky)  # never redirects off the page


def test_the_bulk_action_refuses_with_the_open_leads_and_keeps_the_filter(client, risky, crew):
    _clerk, reviewer, _discipline = crew
    client.force_login(reviewer)
    response = client.post(
        f"{LIST}?status=submitted",
        {"action": "act_approve_township", "_selected_action": [risky.pk], "index": 0},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == f"{LIST}?status=submitted"
    assert "4 条异常线索未核实" in html and working(risky).state == RevisionState.SUBMITTED


def test_the_api_offers_and_refuses_the_approval_alike_in_flat_queries(client, risky, crew, world, categories):
    clerk, reviewer, _discipline = crew
    client.force_login(reviewer)
    url = "/api/v1/staff/disclosures/"
    row = next(r for r in client.get(url).json()["results"] if r["id"] == risky.pk)
    assert "approve-township" not in row["moves"] and "return" in row["moves"]
    refused = client.post(f"{url}{risky.pk}/approve-township/", {"reason": ""}, content_type="application/json")
    assert refused.status_code == 400 and "异常线索" in str(refused.json())
    acknowledge_leads(risky, reviewer)
    row = next(r for r in client.get(url).json()["results"] if r["id"] == risky.pk)
    assert "approve-township" in row["moves"]
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for period in ("2026-07", "2026-08", "2026-09"):  # more rosters under review, each with a lead
        more = draft_roster(clerk, world.v1, categories["dibao"], period=period, rows=[entry("赵六", 1500)])
        s.disclosure_submit(disclosure=more, actor=clerk)
    with CaptureQueriesContext(connection) as many:
        rows = client.get(url).json()["results"]
    assert len(rows) == 4 and len(many) == len(few)
    assert all("approve-township" not in r["moves"] for r in rows if r["id"] != risky.pk and r["status"] == "submitted")


@pytest.mark.parametrize("chain", ["reviewer_discipline", "reviewer_only"])
def test_leads_of_a_reviewer_only_chain_are_cleared_once(chain, risky, crew):
    _clerk, reviewer, _discipline = crew
    Category.objects.filter(pk=risky.category_id).update(review_chain=chain)
    risky.refresh_from_db()
    acknowledge_leads(risky, reviewer)
    s.disclosure_approve_township(disclosure=risky, actor=reviewer)
    revision = working(risky)
    waiting = s.pending_review_move(revision)
    assert (waiting.name if waiting else None) == ("approve_discipline" if chain == "reviewer_discipline" else None)


def test_only_a_village_roster_in_review_has_a_panel(client, world, categories, crew):
    clerk, reviewer, _discipline = crew
    draft = draft_roster(clerk, world.v1, categories["dibao"], rows=[entry("赵六", 1500, id_number=IDS[3])])
    client.force_login(reviewer)
    assert 'id="leads"' not in client.get(change_url(draft)).content.decode()  # still the clerk's draft
