"""The review chain: every transition × every role × own/other jurisdiction, and immutability."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from disclosures import services as s
from disclosures.models import MOVES, Disclosure, RevisionState, RosterEntry, Status
from sunshine.audit.models import AuditEvent
from tests import factories as f
from tests.disclosures.helpers import (
    IDS,
    approve_and_publish,
    draft_roster,
    entry,
    published_roster,
)
from villages.models import Role

ROLES = {
    # role: (fixture in own jurisdiction of 甲村, fixture outside it)
    "clerk": ("clerk_v1", "clerk_v3"),
    "reviewer": ("reviewer_t1", "reviewer_t2"),
    "discipline": ("discipline_t1", "discipline_t2"),
    "inspector": ("inspector", "other_county_inspector"),
    "county_admin": ("county_admin", "other_county_admin"),
}
ALLOWED = {
    "submit": {"clerk", "reviewer"},
    "approve_township": {"reviewer"},
    "approve_discipline": {"discipline"},
    "publish": {"reviewer", "discipline"},
    "return": {"reviewer", "discipline"},
    "archive": {"reviewer", "county_admin"},
    "take_down": {"inspector", "county_admin"},
}
SERVICE = {
    "submit": s.disclosure_submit,
    "approve_township": s.disclosure_approve_township,
    "approve_discipline": s.disclosure_approve_discipline,
    "publish": s.disclosure_publish,
    "return": s.disclosure_return,
    "archive": s.disclosure_archive,
    "take_down": s.disclosure_take_down,
}
# (disclosure status before, after) for a first publication
EXPECTED = {
    "submit": (Status.DRAFT, Status.SUBMITTED),
    "approve_township": (Status.SUBMITTED, Status.TOWNSHIP_APPROVED),
    "approve_discipline": (Status.TOWNSHIP_APPROVED, Status.DISCIPLINE_APPROVED),
    "publish": (Status.DISCIPLINE_APPROVED, Status.PUBLISHED),
    "return": (Status.SUBMITTED, Status.RETURNED),
    "archive": (Status.PUBLISHED, Status.ARCHIVED),
    "take_down": (Status.PUBLISHED, Status.TAKEN_DOWN),
}


@pytest.fixture
def other_county_admin(db):
    return f.staff("county_admin_other", Role.COUNTY_ADMIN, f.county("外县", code="990300000000"))


def bring_to(status, world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    steps = [
        (Status.SUBMITTED, s.disclosure_submit, clerk),
        (Status.TOWNSHIP_APPROVED, s.disclosure_approve_township, reviewer),
        (Status.DISCIPLINE_APPROVED, s.disclosure_approve_discipline, discipline),
        (Status.PUBLISHED, s.disclosure_publish, discipline),
    ]
    for _target, service, actor in steps:
        if disclosure.status == status:
            break
        service(disclosure=disclosure, actor=actor)
    assert disclosure.status == status
    return disclosure


@pytest.mark.parametrize("own", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("move", list(SERVICE))
def test_transition_matrix(move, role, own, request, world, categories, crew):
    before, after = EXPECTED[move]
    disclosure = bring_to(before, world, categories, crew)
    actor = request.getfixturevalue(ROLES[role][0 if own else 1])
    events_before = AuditEvent.objects.count()
    if own and role in ALLOWED[move]:
        SERVICE[move](disclosure=disclosure, actor=actor, reason="理由")
        disclosure.refresh_from_db()
        assert disclosure.status == after
        event = AuditEvent.objects.order_by("-id").first()
        assert event.action == MOVES[move].audit_action
        assert event.actor_id == actor.pk
        assert event.changes["status"] == [before, after]
    else:
        with pytest.raises(PermissionDenied):
            SERVICE[move](disclosure=disclosure, actor=actor, reason="理由")
        disclosure.refresh_from_db()
        assert disclosure.status == before
        assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("move", list(SERVICE))
def test_moves_refuse_wrong_state(move, world, categories, crew, reviewer_t1, discipline_t1, county_admin, clerk_v1):
    """Each move is allowed only from the states in the transition table."""
    actor = {
        "submit": clerk_v1,
        "approve_township": reviewer_t1,
        "approve_discipline": discipline_t1,
        "publish": discipline_t1,
        "return": reviewer_t1,
        "archive": county_admin,
        "take_down": county_admin,
    }[move]
    allowed_from = EXPECTED[move][0]
    for index, status in enumerate((Status.DRAFT, Status.SUBMITTED, Status.TOWNSHIP_APPROVED, Status.PUBLISHED)):
        if status == allowed_from or (move == "return" and status == Status.TOWNSHIP_APPROVED):
            continue
        disclosure = bring_to(status, world, categories, crew)
        with pytest.raises(ValidationError):
            SERVICE[move](disclosure=disclosure, actor=actor, reason="理由")
        disclosure.refresh_from_db()
        assert disclosure.status == status
        Disclosure.objects.filter(pk=disclosure.pk).update(period=f"1990-{index + 1:02d}")  # free the unique slot


def test_return_needs_reason_and_clerk_can_resubmit(world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = bring_to(Status.TOWNSHIP_APPROVED, world, categories, crew)
    with pytest.raises(ValidationError, match="原因"):
        s.disclosure_return(disclosure=disclosure, actor=discipline, reason=" ")
    s.disclosure_return(disclosure=disclosure, actor=discipline, reason="第3行金额有误")
    assert disclosure.status == Status.RETURNED
    event = AuditEvent.objects.filter(action="disclosure.returned").get()
    assert event.reason == "第3行金额有误"
    revision = s.disclosure_open_draft(
        actor=clerk, division=world.v1, category=categories["dibao"], period="2026-10", phase="pre"
    )
    assert revision.state == RevisionState.RETURNED
    s.revision_replace_entries(actor=clerk, revision=revision, entries=[entry("张三", 480, id_number=IDS[0])])
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    assert disclosure.status == Status.SUBMITTED


def test_reviewer_only_chain_publishes_after_township(world, categories, reviewer_t1, discipline_t1):
    category = categories["tonggao"]
    revision = s.disclosure_open_draft(actor=reviewer_t1, division=world.v1, category=category, period="2026-11-01")
    s.revision_update_content(actor=reviewer_t1, revision=revision, title="停水通知", body="11月3日停水")
    disclosure = revision.disclosure
    s.disclosure_submit(disclosure=disclosure, actor=reviewer_t1)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer_t1)
    with pytest.raises(ValidationError):
        s.disclosure_approve_discipline(disclosure=disclosure, actor=discipline_t1)
    s.disclosure_publish(disclosure=disclosure, actor=reviewer_t1)
    assert disclosure.status == Status.PUBLISHED


def test_township_level_disclosure_uses_the_same_chain(world, categories, reviewer_t1, discipline_t1, clerk_v1):
    with pytest.raises(PermissionDenied):
        draft_roster(clerk_v1, world.t1, categories["linshi"], period="2026-11-02")
    disclosure = draft_roster(reviewer_t1, world.t1, categories["linshi"], period="2026-11-02")
    s.disclosure_submit(disclosure=disclosure, actor=reviewer_t1)
    approve_and_publish(disclosure, reviewer_t1, discipline_t1)
    assert disclosure.status == Status.PUBLISHED


def test_publication_sets_checksum_window_and_current_revision(world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    revision = disclosure.current_revision
    assert revision.state == RevisionState.PUBLISHED
    assert len(revision.checksum) == 64
    assert revision.checksum == s.revision_checksum(revision)
    days = (disclosure.objection_ends_at - disclosure.first_published_at).days
    assert days == 7


def test_published_content_cannot_change_except_by_correction(world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    published = disclosure.current_revision
    with pytest.raises(ValidationError):
        s.revision_replace_entries(actor=clerk, revision=published, entries=[entry("李四", 1)])
    with pytest.raises(ValidationError):
        s.revision_update_content(actor=clerk, revision=published, title="改")
    assert list(published.entries.values_list("name", flat=True)) == ["张三"]

    with pytest.raises(ValidationError, match="原因"):
        s.disclosure_open_correction(actor=clerk, disclosure=disclosure, reason="")
    correction = s.disclosure_open_correction(actor=clerk, disclosure=disclosure, reason="张三金额录入错误")
    assert correction.number == 2
    assert list(correction.entries.values_list("name", flat=True)) == ["张三"]  # starts from the published rows
    s.revision_replace_entries(
        actor=clerk, revision=correction, entries=[entry("张三", 450, id_number=IDS[0]), entry("李四", 300)]
    )
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    assert disclosure.status == Status.PUBLISHED  # stays public while the correction is reviewed
    approve_and_publish(disclosure, reviewer, discipline)
    published.refresh_from_db()
    assert published.state == RevisionState.SUPERSEDED
    assert disclosure.current_revision_id == correction.pk
    assert list(published.entries.values_list("amount", flat=True)) == [500]  # old revision stays readable
    event = AuditEvent.objects.filter(action="disclosure.published").order_by("-id").first()
    assert event.data["diff"] == {
        "added": 1,
        "removed": 0,
        "changed": 1,
        "changed_fields": ["amount"],
        "text_changed": False,
    }
    assert IDS[0] not in str(event.data)


def test_correction_cannot_be_submitted_without_reason(world, categories, crew):
    clerk = crew[0]
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    s.disclosure_open_draft(actor=clerk, division=world.v1, category=categories["dibao"], period="2026-10", phase="pre")
    with pytest.raises(ValidationError, match="更正原因"):
        s.disclosure_submit(disclosure=disclosure, actor=clerk)


def test_bad_period_and_phase_are_explained(world, categories, clerk_v1):
    with pytest.raises(ValidationError, match="格式不对"):
        s.disclosure_open_draft(
            actor=clerk_v1, division=world.v1, category=categories["dibao"], period="10月", phase="pre"
        )
    with pytest.raises(ValidationError, match="阶段"):
        s.disclosure_open_draft(actor=clerk_v1, division=world.v1, category=categories["dibao"], period="2026-10")
    assert not Disclosure.objects.exists()


def test_empty_roster_cannot_be_submitted(world, categories, clerk_v1):
    revision = s.disclosure_open_draft(
        actor=clerk_v1, division=world.v1, category=categories["dibao"], period="2026-10", phase="pre"
    )
    with pytest.raises(ValidationError, match="名单为空"):
        s.disclosure_submit(disclosure=revision.disclosure, actor=clerk_v1)


def test_tick_confirms_after_window_unless_objections(world, categories, crew):
    first = published_roster(*crew, world.v1, categories["dibao"])
    second = published_roster(*crew, world.v1, categories["tekun"])
    later = timezone.now() + dt.timedelta(days=8)

    def tick(now=None):  # complaints answer that ``second`` still has an objection waiting
        return s.disclosures_tick(unresolved_objections=lambda ids: {second.pk} & set(ids), now=now)

    assert "0 confirmed" in tick()
    assert tick(now=later).startswith("1 confirmed, 1 waiting")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.CONFIRMED, Status.PUBLISHED)
    assert tick(now=later).startswith("0 confirmed")  # idempotent
    assert AuditEvent.objects.filter(action="disclosure.confirmed").count() == 1


def test_tick_asks_about_objections_only_for_rosters_whose_window_closed(world, categories, crew):
    closed = published_roster(*crew, world.v1, categories["dibao"])
    asked = []

    def no_objections(ids):
        asked.append(sorted(ids))
        return set()

    s.disclosures_tick(unresolved_objections=no_objections)  # the window is still open: nothing to ask
    s.disclosures_tick(unresolved_objections=no_objections, now=timezone.now() + dt.timedelta(days=8))
    closed.refresh_from_db()
    assert asked == [[closed.pk]] and closed.status == Status.CONFIRMED


def test_tick_needs_to_be_told_who_answers_objections(world):
    with pytest.raises(TypeError, match="unresolved_objections"):
        s.disclosures_tick()


def test_retention_sweep_takes_down_and_anonymizes(world, categories, crew):
    disclosure = published_roster(
        *crew, world.v1, categories["dibao"], rows=[entry("王五", 500, id_number=IDS[1], bank="6222020200001234567")]
    )
    assert s.retention_sweep().startswith("0 ")
    much_later = timezone.now() + dt.timedelta(days=3 * 365 + 1)
    assert s.retention_sweep(now=much_later).startswith("1 ")
    assert s.retention_sweep(now=much_later).startswith("0 ")  # idempotent
    disclosure.refresh_from_db()
    assert disclosure.status == Status.TAKEN_DOWN
    row = RosterEntry.objects.get(revision__disclosure=disclosure)
    assert (row.name, row.person_key, row.id_masked, row.id_encrypted, row.bank_account_encrypted) == (
        "（已隐去）",
        "",
        "",
        "",
        "",
    )
    assert row.amount == 500
    assert AuditEvent.objects.filter(action="disclosure.taken_down", object_id=str(disclosure.pk)).exists()
    assert AuditEvent.objects.filter(action="disclosure.created", object_id=str(disclosure.pk)).exists()


def test_retention_command_dry_run_changes_nothing(world, categories, crew):
    from io import StringIO

    from django.core.management import call_command

    from disclosures.models import Disclosure as D

    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    D.objects.filter(pk=disclosure.pk).update(first_published_at=timezone.now() - dt.timedelta(days=4 * 365))
    out = StringIO()
    call_command("retention_sweep", "--dry-run", stdout=out)
    assert "1 would be taken down" in out.getvalue()
    disclosure.refresh_from_db()
    assert disclosure.status == Status.PUBLISHED
    call_command("retention_sweep", stdout=out)
    disclosure.refresh_from_db()
    assert disclosure.status == Status.TAKEN_DOWN


def test_a_payout_links_to_the_notice_of_its_period(world, categories, crew):
    pre = published_roster(*crew, world.v1, categories["dibao"], period="2026-10", phase="pre")
    post = draft_roster(crew[0], world.v1, categories["dibao"], period="2026-10", phase="post")
    assert post.pre_disclosure_id == pre.pk
    lonely = draft_roster(crew[0], world.v1, categories["tekun"], period="2026-10", phase="post")
    assert lonely.pre_disclosure_id is None


def test_published_rows_refuse_direct_saves(world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    row = disclosure.current_revision.entries.get()
    row.amount = 1
    with pytest.raises(ValidationError, match="更正"):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()
    assert disclosure.current_revision.entries.get().amount == 500


# --- the move table and the one transition path ---------------------------------------------


def test_every_move_is_registered_and_handled():
    from sunshine.audit.actions import ACTIONS

    assert all(m.audit_action in ACTIONS for m in MOVES.values())
    assert {m.handler for m in MOVES.values() if m.handler} == set(s.MOVE_HANDLERS)


def test_available_moves_follow_state_chain_role_and_jurisdiction(world, categories, crew, reviewer_t2):
    clerk, reviewer, discipline = crew
    names = lambda d, user: [m.name for m in s.available_moves(d, user)]  # noqa: E731
    quick = categories["tonggao"]  # reviewer only: no discipline step
    assert quick.review_chain == "reviewer_only"
    revision = s.disclosure_open_draft(actor=clerk, division=world.v1, category=quick, period="2026-11-20")
    s.revision_update_content(actor=clerk, revision=revision, body="通知")
    disclosure = revision.disclosure
    assert names(disclosure, clerk) == ["submit"] and names(revision, reviewer_t2) == []
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    assert names(disclosure, reviewer) == ["approve_township", "return"]
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer)
    assert names(disclosure, reviewer) == ["publish", "return"]  # the chain skips the discipline step
    assert names(disclosure, discipline) == ["publish", "return"]


def test_a_person_cannot_make_the_ticks_move(world, categories, crew, county_admin):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    with pytest.raises(PermissionDenied):
        s.transition(disclosure, "confirm", county_admin)
    disclosure.refresh_from_db()
    assert disclosure.status == Status.PUBLISHED


def test_transition_takes_a_revision_too_and_returns_it(world, categories, crew):
    clerk, _reviewer, _discipline = crew
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    revision = disclosure.revisions.get()
    moved = s.transition(revision, MOVES["submit"], clerk)
    assert (moved.pk, moved.state) == (revision.pk, RevisionState.SUBMITTED)
    event = AuditEvent.objects.get(action="disclosure.submitted")
    assert (event.changes, event.data) == (
        {"revision_state": ["draft", "submitted"], "status": ["draft", "submitted"]},
        {"revision": 1},
    )


# --- edits: versions, writers, categories -------------------------------------------------------


def test_every_content_change_bumps_the_version_and_a_stale_one_is_refused(world, categories, clerk_v1):
    revision = s.disclosure_open_draft(
        actor=clerk_v1, division=world.v1, category=categories["dibao"], period="2026-11", phase="pre"
    )
    assert revision.version == 0
    s.revision_replace_entries(actor=clerk_v1, revision=revision, entries=[entry("张三", 500)], version=0)
    s.revision_update_content(actor=clerk_v1, revision=revision, title="十一月", version=1)
    assert revision.version == 1  # the caller's copy is not refreshed by revision_update_content
    with pytest.raises(ValidationError, match="此名单已被他人修改"):
        s.revision_replace_entries(actor=clerk_v1, revision=revision, entries=[entry("李四", 1)], version=1)
    with pytest.raises(ValidationError, match="此名单已被他人修改"):
        s.revision_save_rows(actor=clerk_v1, revision=revision, version=0, saved=[entry("李四", 1)])
    revision.refresh_from_db()
    assert (revision.version, revision.title, list(revision.entries.values_list("name", flat=True))) == (
        2,
        "十一月",
        ["张三"],
    )


def test_replace_entries_with_a_pluggable_writer(world, categories, clerk_v1):
    revision = s.disclosure_open_draft(
        actor=clerk_v1, division=world.v1, category=categories["dibao"], period="2026-11", phase="pre"
    )
    s.revision_replace_entries(actor=clerk_v1, revision=revision, entries=[entry("旧", 1)])
    seen = []

    def writer(locked, rows):
        seen.append((locked.pk, locked.entries.count()))  # the old rows are gone before the writer runs
        rows = list(rows)
        RosterEntry.objects.bulk_create([RosterEntry(revision=locked, name=n, amount=a) for n, a in rows])
        return len(rows), sum(a for _n, a in rows)

    rows = iter([("张三", 500), ("李四", 250)])
    locked = s.revision_replace_entries(actor=clerk_v1, revision=revision, entries=rows, writer=writer, source={"x": 1})
    assert seen == [(revision.pk, 0)]
    assert (locked.entry_count, locked.amount_total, locked.version) == (2, 750, 2)
    event = AuditEvent.objects.filter(action="revision.entries_replaced").latest("id")
    assert (event.changes["entry_count"], event.data) == ([1, 2], {"x": 1})


def test_category_save_is_audited_and_for_county_admins_only(db, county_admin, reviewer_t1):
    from disclosures.models import Category

    category = Category(slug="jiuye", name="就业补贴", kind="roster", cadence="monthly")
    with pytest.raises(PermissionDenied):
        s.category_save(actor=reviewer_t1, category=category)
    assert not Category.objects.filter(slug="jiuye").exists()
    s.category_save(actor=county_admin, category=category)
    category.objection_days = 5
    s.category_save(actor=county_admin, category=category)
    created, changed = AuditEvent.objects.filter(action__startswith="category.").order_by("id")
    assert (created.action, created.changes["slug"]) == ("category.created", [None, "jiuye"])
    assert (changed.action, changed.changes) == ("category.changed", {"objection_days": [0, 5]})


# --- creation that races ------------------------------------------------------------------------


def test_opening_a_slot_someone_else_just_created_returns_theirs(world, categories, clerk_v1, reviewer_t1):
    """The IntegrityError path of a concurrent creator, played in one thread: the insert loses to the
    unique constraint and the caller gets the existing disclosure (PostgreSQL runs it for real in
    test_concurrency)."""
    mine = s.disclosure_open_draft(
        actor=clerk_v1, division=world.v1, category=categories["dibao"], period="2026-11", phase="pre"
    )
    slot = {"division": world.v1, "category": categories["dibao"], "period": "2026-11", "phase": "pre"}
    theirs = s._create_disclosure(reviewer_t1, slot, title="", pre_disclosure=None)
    assert theirs.pk == mine.disclosure_id
    again = s.disclosure_open_draft(
        actor=reviewer_t1, division=world.v1, category=categories["dibao"], period="2026-11", phase="pre"
    )
    assert again.pk == mine.pk
    assert AuditEvent.objects.filter(action="disclosure.created").count() == 1


def test_the_objection_window_ends_at_the_end_of_a_calendar_day(world, categories, crew, settings):
    """Seven days after a publication at 03:44 the window closes at 23:59:59 local time, not at 03:44."""
    from unittest import mock

    published = timezone.make_aware(dt.datetime(2026, 11, 23, 3, 44))
    with mock.patch("django.utils.timezone.now", return_value=published):
        disclosure = published_roster(*crew, world.v1, categories["dibao"])
    ends = timezone.localtime(disclosure.objection_ends_at)
    assert (ends.date(), ends.time()) == (dt.date(2026, 11, 30), dt.time(23, 59, 59))
    assert str(ends.tzinfo) == settings.TIME_ZONE
    # The tick agrees: still open one second before, confirmed at the last second.
    none = lambda ids: set()  # noqa: E731
    s.disclosures_tick(unresolved_objections=none, now=disclosure.objection_ends_at - dt.timedelta(seconds=1))
    disclosure.refresh_from_db()
    assert disclosure.status == Status.PUBLISHED
    s.disclosures_tick(unresolved_objections=none, now=disclosure.objection_ends_at)
    disclosure.refresh_from_db()
    assert disclosure.status == Status.CONFIRMED
