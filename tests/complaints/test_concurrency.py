"""Many staff moving one complaint at once, with the deadline tick running: no deadlock, no lost update.

Each thread has its own connection and all start together at a barrier. A move either succeeds or
is refused (the state or the handler changed under it); nothing else may happen, and the audit
trail must tell the same story as the row: one event per successful move, each division change
starting where the previous one ended.
"""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from complaints import services
from complaints.models import Complaint
from sunshine.audit.models import AuditEvent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

ROUNDS = 3


def run_together(calls):
    """Run every ``(name, call)`` in its own thread, started at one barrier. Returns (outcomes, errors)."""
    barrier = threading.Barrier(len(calls))
    outcomes, errors = [], []

    def run(name, call):
        try:
            barrier.wait()
            call()
            outcomes.append((name, "done"))
        except (ValidationError, PermissionDenied):
            outcomes.append((name, "refused"))
        except Exception as exc:  # a deadlock, an integrity error: what this test exists to catch
            errors.append((name, repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def moves_on(c, world, clerk_v1):
    def move(name, **data):
        return lambda: services.transition(Complaint(pk=c.pk), name, clerk_v1, **data)

    calls = []
    for i in range(4):
        calls.append(("accept", move("accept")))
        calls.append(("start", move("start")))
        calls.append(("escalate", move("escalate", reason=f"案情复杂 {i}")))
        calls.append(("transfer", move("transfer", division=world.v2, reason=f"乙村的事 {i}")))
        calls.append(("reply", move("reply", reply="已处理。", outcome="substantiated")))
    later = timezone.now() + datetime.timedelta(days=40)  # overdue: the tick escalates it unless a move holds it
    calls.append(("tick", lambda: services.complaints_tick(now=later)))
    return calls


ACTION = {
    "accept": "complaint.accepted",
    "start": "complaint.started",
    "escalate": "complaint.escalated",
    "transfer": "complaint.transferred",
    "reply": "complaint.replied",
}


@pytest.mark.django_db(transaction=True)
def test_twenty_moves_and_a_tick_on_one_complaint(transactional_db, world, cat, clerk_v1):
    for _round in range(ROUNDS):
        c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="村口垃圾没人清。")
        outcomes, errors = run_together(moves_on(c, world, clerk_v1))
        assert errors == []
        assert len(outcomes) == 21
        events = list(
            AuditEvent.objects.filter(object_id=str(c.pk)).exclude(action="complaint.submitted").order_by("id")
        )
        done = [name for name, result in outcomes if result == "done" and name != "tick"]
        # One event per successful move (the tick adds its own escalation events, at most one here).
        manual = [e for e in events if e.actor_label != "system"]
        assert sorted(e.action for e in manual) == sorted(ACTION[name] for name in done)
        c.refresh_from_db()
        escalations = [e for e in events if e.action == "complaint.escalated"]
        assert c.escalation_count == len(escalations)
        # The division changes chain: each starts where the previous one ended, the last is the row's.
        division = world.v1.pk
        for event in events:
            if "division" in event.changes:
                assert event.changes["division"][0] == division
                division = event.changes["division"][1]
        assert c.division_id == division
