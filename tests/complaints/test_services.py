"""Every transition × role, the move table and its one path, the close rule, extension, rating reopening, outbox."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from complaints import services
from complaints.models import MOVES as MOVE_TABLE
from complaints.models import Complaint, Outbox, Status
from sunshine.audit.models import AuditEvent
from villages.models import Level, Role

PEOPLE = ["clerk_v1", "clerk_v3", "reviewer_t1", "discipline_t1", "reviewer_t2", "inspector", "county_admin"]


def to_state(c, actor, state):
    if state in (Status.ACCEPTED, Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED):
        c = services.complaint_accept(complaint=c, actor=actor)
    if state in (Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED):
        c = services.complaint_start(complaint=c, actor=actor)
    if state in (Status.REPLIED, Status.CLOSED):
        c = services.complaint_reply(complaint=c, actor=actor, reply="已清理。", outcome="substantiated")
    if state == Status.CLOSED:
        c = services.complaint_close(complaint=c, actor=actor)
    return c


# move → (the state it starts from, the service, the state it ends in)
MOVES = {
    "accept": (Status.SUBMITTED, lambda c, a: services.complaint_accept(complaint=c, actor=a), Status.ACCEPTED),
    "reject": (
        Status.SUBMITTED,
        lambda c, a: services.complaint_reject(complaint=c, actor=a, reason="重复"),
        Status.REJECTED,
    ),
    "start": (Status.ACCEPTED, lambda c, a: services.complaint_start(complaint=c, actor=a), Status.IN_PROGRESS),
    "reply": (
        Status.IN_PROGRESS,
        lambda c, a: services.complaint_reply(complaint=c, actor=a, reply="已处理", outcome="partly"),
        Status.REPLIED,
    ),
    "close": (Status.REPLIED, lambda c, a: services.complaint_close(complaint=c, actor=a), Status.CLOSED),
}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("move", list(MOVES))
def test_transition_by_role(move, person, request, file_complaint, clerk_v1):
    """Only the handling clerk of 甲村 may move a village-level complaint about 甲村."""
    actor = request.getfixturevalue(person)
    start, do, end = MOVES[move]
    c = to_state(file_complaint("environment"), clerk_v1, start)
    if person == "clerk_v1":
        earlier = list(AuditEvent.objects.values_list("pk", flat=True))  # the filing and the moves to ``start``
        c = do(c, actor)
        assert c.status == end
        written = AuditEvent.objects.filter(object_id=str(c.pk)).exclude(pk__in=earlier)
        assert list(written.values_list("action", flat=True)) == [MOVE_TABLE[move].action]
    else:
        with pytest.raises(PermissionDenied):
            do(c, actor)
        assert Complaint.objects.get(pk=c.pk).status == start


STATES = [Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED, Status.REJECTED]


@pytest.mark.parametrize(
    ("move", "state"), [(move, state) for move in MOVES for state in STATES if state != MOVES[move][0]]
)
def test_moves_not_in_the_table_are_refused(move, state, file_complaint, clerk_v1):
    start, do, end = MOVES[move]
    c = file_complaint("environment")
    c = (
        services.complaint_reject(complaint=c, actor=clerk_v1, reason="x")
        if state == Status.REJECTED
        else to_state(c, clerk_v1, state)
    )
    with pytest.raises(ValidationError):
        do(c, clerk_v1)
    assert Complaint.objects.get(pk=c.pk).status == state


def test_reject_needs_a_reason_and_reply_needs_text_and_outcome(file_complaint, clerk_v1):
    c = file_complaint("environment")
    with pytest.raises(ValidationError):
        services.complaint_reject(complaint=c, actor=clerk_v1, reason=" ")
    c = to_state(c, clerk_v1, Status.IN_PROGRESS)
    with pytest.raises(ValidationError) as err:
        services.complaint_reply(complaint=c, actor=clerk_v1, reply="", outcome="nonsense")
    assert set(err.value.message_dict) == {"reply", "outcome"}
    assert Complaint.objects.get(pk=c.pk).status == Status.IN_PROGRESS


def test_cannot_close_without_reply_and_outcome(file_complaint, clerk_v1):
    c = to_state(file_complaint("environment"), clerk_v1, Status.REPLIED)
    Complaint.objects.filter(pk=c.pk).update(outcome="")
    with pytest.raises(ValidationError):
        services.complaint_close(complaint=c, actor=clerk_v1)


def test_township_handlers_by_role(file_complaint, reviewer_t1, discipline_t1):
    plain = file_complaint("subsidy")
    with pytest.raises(PermissionDenied):
        services.complaint_accept(complaint=plain, actor=discipline_t1)
    services.complaint_accept(complaint=plain, actor=reviewer_t1)
    cadre = file_complaint("subsidy", concerns_cadres=True)
    with pytest.raises(PermissionDenied):
        services.complaint_accept(complaint=cadre, actor=reviewer_t1)
    services.complaint_accept(complaint=cadre, actor=discipline_t1)


def test_county_inspector_acts_at_county_level(file_complaint, inspector):
    c = file_complaint("conduct", concerns_township_staff=True)
    assert to_state(c, inspector, Status.CLOSED).status == Status.CLOSED


def test_transfer_with_reason(file_complaint, world, clerk_v1, clerk_v3):
    c = file_complaint("environment")
    with pytest.raises(ValidationError):
        services.complaint_transfer(complaint=c, actor=clerk_v1, division=world.v3, reason="")
    c = services.complaint_transfer(complaint=c, actor=clerk_v1, division=world.v3, reason="其实是丙村的事")
    assert (c.division, c.handler_role, c.status) == (world.v3, Role.VILLAGE_CLERK, Status.SUBMITTED)
    assert services.can_handle(clerk_v3, c) and not services.can_handle(clerk_v1, c)
    event = AuditEvent.objects.get(action="complaint.transferred")
    assert event.reason == "其实是丙村的事" and event.changes["division"] == [world.v1.pk, world.v3.pk]


def test_extension_once_with_reason(file_complaint, clerk_v1):
    c = to_state(file_complaint("environment"), clerk_v1, Status.IN_PROGRESS)
    due = c.due_at
    with pytest.raises(ValidationError):
        services.complaint_extend(complaint=c, actor=clerk_v1, reason="")
    c = services.complaint_extend(complaint=c, actor=clerk_v1, reason="需要丈量土地")
    assert c.due_at >= due + datetime.timedelta(days=30)
    with pytest.raises(ValidationError):
        services.complaint_extend(complaint=c, actor=clerk_v1, reason="再延")


def test_unsatisfied_reopens_one_level_up_once_per_level_up_to_county(
    file_complaint, world, clerk_v1, reviewer_t1, inspector
):
    c = to_state(file_complaint("environment"), clerk_v1, Status.REPLIED)
    c = services.complaint_rate(complaint=c, rating="unsatisfied", comment="没清干净")
    assert (c.status, c.division, c.level, c.is_review) == (Status.IN_PROGRESS, world.t1, Level.TOWNSHIP, True)
    with pytest.raises(PermissionDenied):
        services.complaint_reply(complaint=c, actor=clerk_v1, reply="x", outcome="unfounded")
    c = services.complaint_reply(complaint=c, actor=reviewer_t1, reply="乡里复查：已清运。", outcome="substantiated")
    c = services.complaint_close(complaint=c, actor=reviewer_t1)
    c = services.complaint_rate(complaint=c, rating="unsatisfied")
    assert (c.status, c.division, c.handler_role) == (Status.IN_PROGRESS, world.county, Role.COUNTY_INSPECTOR)
    c = services.complaint_reply(complaint=c, actor=inspector, reply="县里复核。", outcome="partly")
    c = services.complaint_rate(complaint=c, rating="unsatisfied")
    assert (c.status, c.level, c.rating) == (Status.REPLIED, Level.COUNTY, "unsatisfied")  # nowhere higher
    with pytest.raises(ValidationError):
        services.complaint_rate(complaint=c, rating="satisfied")  # once per reply


def test_rating_before_reply_is_refused(file_complaint):
    c = file_complaint("environment")
    with pytest.raises(ValidationError):
        services.complaint_rate(complaint=c, rating="satisfied")


def test_satisfied_rating_keeps_state(file_complaint, clerk_v1):
    c = to_state(file_complaint("environment"), clerk_v1, Status.REPLIED)
    c = services.complaint_rate(complaint=c, rating="satisfied")
    assert (c.status, c.level) == (Status.REPLIED, Level.VILLAGE)


def test_outbox_written_with_the_change(file_complaint, clerk_v1, settings):
    from complaints.notifications import MemorySmsBackend, deliver_outbox

    settings.COMPLAINTS_SMS_BACKEND = "complaints.notifications.MemorySmsBackend"
    MemorySmsBackend.outbox = []
    clerk_v1.email = "clerk@example.org"
    clerk_v1.save()
    c = file_complaint("environment", phone="13900001111", notify=True)
    assert Outbox.objects.filter(complaint=c, recipient_label="clerk_v1").count() == 1
    to_state(c, clerk_v1, Status.REPLIED)
    sms = Outbox.objects.get(complaint=c, channel="sms")
    assert "13900001111" not in sms.recipient + sms.recipient_label + sms.body
    assert "sent" in deliver_outbox()
    assert MemorySmsBackend.outbox[0][0] == "13900001111"
    from django.core import mail

    assert mail.outbox[0].to == ["clerk@example.org"]
    assert "0 sent" in deliver_outbox()  # idempotent


def test_failed_services_change_nothing(file_complaint, clerk_v1):
    c = file_complaint("environment")
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        services.complaint_close(complaint=c, actor=clerk_v1)
    assert AuditEvent.objects.count() == before and Complaint.objects.get(pk=c.pk).status == Status.SUBMITTED


def test_accept_records_on_time(file_complaint, clerk_v1):
    c = file_complaint("environment")
    late = c.due_at + datetime.timedelta(minutes=1)
    c = services.complaint_accept(complaint=c, actor=clerk_v1, now=late)
    assert c.accepted_on_time is False
    assert c.due_at > timezone.now()


# ---------------------------------------------------------------- the move table and the one path


def test_every_move_has_a_handler_and_a_registered_audit_code():
    from sunshine.audit.actions import ACTIONS

    assert all(move.handler is not None for move in MOVE_TABLE.values())
    assert {move.action for move in MOVE_TABLE.values()} <= set(ACTIONS)
    keep_state = {name for name, move in MOVE_TABLE.items() if move.target is None}
    assert keep_state == {"escalate", "transfer", "extend", "contact", "publicity", "rate"}


def test_an_unknown_move_is_refused(file_complaint, clerk_v1):
    with pytest.raises(ValueError):
        services.transition(file_complaint("environment"), "approve", clerk_v1)


def names(moves):
    return [move.name for move in moves]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (Status.SUBMITTED, ["accept", "reject", "escalate", "transfer", "contact", "publicity"]),
        # accepting records the first contact, so 记录首次联系 is no longer offered
        (Status.ACCEPTED, ["start", "escalate", "transfer", "extend", "publicity"]),
        (Status.IN_PROGRESS, ["reply", "escalate", "transfer", "extend", "publicity"]),
        (Status.REPLIED, ["close", "publicity"]),
        (Status.CLOSED, ["publicity"]),
    ],
)
def test_available_moves_for_the_handler_follow_the_table(state, expected, file_complaint, clerk_v1):
    c = to_state(file_complaint("environment"), clerk_v1, state)
    assert names(services.available_moves(c, clerk_v1)) == expected


def test_available_moves_by_person(file_complaint, clerk_v1, reviewer_t1, inspector):
    c = file_complaint("environment")
    assert names(services.available_moves(c, reviewer_t1)) == []  # sees it (scope), does not handle it
    assert names(services.available_moves(c, inspector)) == ["publicity"]  # may reveal, so may set publicity
    assert names(services.available_moves(c, None)) == []  # the filer rates only after the reply
    c = services.complaint_reject(complaint=c, actor=clerk_v1, reason="重复")
    assert names(services.available_moves(c, clerk_v1)) == ["publicity"]


def test_available_moves_respect_the_preconditions(file_complaint, clerk_v1, inspector):
    county_level = file_complaint("conduct", concerns_township_staff=True)
    assert "escalate" not in names(services.available_moves(county_level, inspector))  # nowhere higher
    c = to_state(file_complaint("environment"), clerk_v1, Status.IN_PROGRESS)
    c = services.complaint_extend(complaint=c, actor=clerk_v1, reason="需要丈量土地")
    assert "extend" not in names(services.available_moves(c, clerk_v1))  # once only
    c = to_state(file_complaint("environment"), clerk_v1, Status.REPLIED)
    assert names(services.available_moves(c, None)) == ["rate"]
    c = services.complaint_rate(complaint=c, rating="satisfied")
    assert names(services.available_moves(c, None)) == []  # once per reply


@pytest.mark.parametrize(
    ("move", "kwargs"),
    [
        ("escalate", {"reason": "案情复杂"}),
        ("transfer", {"reason": "其实是丙村的事"}),
        ("extend", {"reason": "需要丈量土地"}),
        ("contact", {}),
        ("publicity", {"summary": "村口垃圾", "description_public": True}),
    ],
)
def test_moves_that_keep_the_state_write_one_event_each(move, kwargs, file_complaint, world, clerk_v1):
    c = file_complaint("environment")
    if move == "extend":
        c = services.complaint_accept(complaint=c, actor=clerk_v1)
    if move == "transfer":
        kwargs = {**kwargs, "division": world.v3}
    status = c.status
    c = services.transition(c, move, clerk_v1, **kwargs)
    assert Complaint.objects.get(pk=c.pk).status == status
    events = AuditEvent.objects.filter(action=MOVE_TABLE[move].action, object_id=str(c.pk))
    assert events.count() == 1
    assert set(events.get().changes) <= set(MOVE_TABLE[move].fields)


def test_reopen_is_taken_only_through_the_filers_rating(file_complaint, clerk_v1):
    c = to_state(file_complaint("environment"), clerk_v1, Status.REPLIED)
    with pytest.raises(ValueError):
        services.transition(c, "reopen", None)
    assert Complaint.objects.get(pk=c.pk).status == Status.REPLIED
