"""The deadline tick: escalation one level, idempotence, alerts, and two ticks at once on PostgreSQL."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, Outbox, Status
from sunshine.audit.models import AuditEvent
from villages.models import Level, Role
from villages.workdays import seed_calendar


def later(days):
    return timezone.now() + datetime.timedelta(days=days)


def test_overdue_acceptance_escalates_one_level_and_notifies(file_complaint, world, reviewer_t1):
    c = file_complaint("environment")
    result = services.complaints_tick(now=later(40))
    assert "1 escalated" in result
    c.refresh_from_db()
    assert (c.division, c.level, c.handler_role, c.status) == (
        world.t1,
        Level.TOWNSHIP,
        Role.TOWNSHIP_REVIEWER,
        Status.SUBMITTED,
    )
    assert c.escalation_count == 1 and c.due_at > later(40)
    event = AuditEvent.objects.get(action="complaint.escalated", object_id=str(c.pk))
    assert event.actor_label == "system" and event.division_id == world.t1.pk
    assert Outbox.objects.filter(recipient_label="reviewer_t1", subject="逾期留言提醒").exists()


def test_tick_twice_escalates_once(file_complaint):
    c = file_complaint("environment")
    now = later(40)
    services.complaints_tick(now=now)
    assert "0 escalated" in services.complaints_tick(now=now)
    c.refresh_from_db()
    assert c.escalation_count == 1
    assert AuditEvent.objects.filter(action="complaint.escalated").count() == 1


def test_escalation_walks_up_to_the_county_then_alerts_once(file_complaint, world, inspector):
    c = file_complaint("environment", concerns_cadres=True)  # starts at township discipline
    services.complaints_tick(now=later(40))
    c.refresh_from_db()
    assert (c.division, c.handler_role) == (world.county, Role.COUNTY_INSPECTOR)
    result = services.complaints_tick(now=later(80))
    assert "0 escalated, 1 overdue at county" in result
    assert "0 overdue at county" in services.complaints_tick(now=later(81))
    assert Outbox.objects.filter(recipient_label="inspector").count() == 2  # escalation + overdue


def test_village_escalation_of_cadre_complaint_goes_to_discipline(world, cat, clerk_v1):
    """A plain complaint escalated from the village goes to the reviewer; a cadre one (impossible at village) is not."""
    c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="路灯坏了")
    services.complaint_accept(complaint=c, actor=clerk_v1)
    services.complaints_tick(now=later(100))
    c.refresh_from_db()
    assert (c.level, c.handler_role, c.status) == (Level.TOWNSHIP, Role.TOWNSHIP_REVIEWER, Status.ACCEPTED)


def test_replied_and_closed_are_not_escalated(file_complaint, clerk_v1):
    replied, closed = file_complaint("environment"), file_complaint("environment")
    for c in (replied, closed):
        services.complaint_accept(complaint=c, actor=clerk_v1)
        services.complaint_start(complaint=c, actor=clerk_v1)
        services.complaint_reply(complaint=c, actor=clerk_v1, reply="好", outcome="substantiated")
    services.complaint_close(complaint=closed, actor=clerk_v1)
    assert "0 escalated" in services.complaints_tick(now=later(400))
    assert {c.level for c in Complaint.objects.filter(pk__in=[replied.pk, closed.pk])} == {Level.VILLAGE}


def test_deadline_across_national_day_holiday(world, cat, clerk_v1):
    """Acceptance 15 calendar days from 2026-09-17 lands on 10-02 (国庆) → due at the end of 10-08."""
    seed_calendar()
    filed = timezone.make_aware(datetime.datetime(2026, 9, 17, 10, 0))
    c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x", now=filed)
    assert timezone.localdate(c.due_at - datetime.timedelta(seconds=1)) == datetime.date(2026, 10, 8)
    assert "0 escalated" in services.complaints_tick(now=timezone.make_aware(datetime.datetime(2026, 10, 8, 23, 0)))
    assert "1 escalated" in services.complaints_tick(now=timezone.make_aware(datetime.datetime(2026, 10, 9, 0, 1)))


def test_working_day_stage_across_makeup_day(world, cat, county_admin):
    """A county counting acceptance in working days: the make-up Saturday 2026-10-10 counts."""
    from complaints.models import CountyClock

    seed_calendar()
    CountyClock.objects.create(county=world.county, acceptance_days=5, acceptance_unit="working")
    filed = timezone.make_aware(datetime.datetime(2026, 9, 29, 9, 0))
    c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x", now=filed)
    assert timezone.localdate(c.due_at - datetime.timedelta(seconds=1)) == datetime.date(2026, 10, 12)


def test_first_contact_target_alerts_once(world, cat, clerk_v1):
    from complaints.models import CountyClock

    CountyClock.objects.create(county=world.county, first_contact_hours=24)
    c, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x")
    assert c.first_contact_due_at is not None
    soon = timezone.now() + datetime.timedelta(hours=25)
    assert "1 first-contact alerts" in services.complaints_tick(now=soon)
    assert "0 first-contact alerts" in services.complaints_tick(now=soon)


def test_tick_query_count_does_not_grow(world, cat, django_assert_max_num_queries, django_assert_num_queries):
    for _ in range(2):
        services.complaint_submit(category=cat["environment"], village=world.v1, text="x")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        services.complaints_tick(now=later(40))
    for _ in range(40):
        services.complaint_submit(category=cat["environment"], village=world.v2, text="x")
    with CaptureQueriesContext(connection) as many:
        services.complaints_tick(now=later(40))
    # SQLite groups updates per (division, deadline): one group in both runs here.
    assert len(many) <= len(one) + 1


def test_management_command(file_complaint, capsys):
    from django.core.management import call_command

    file_complaint("environment")
    call_command("complaints_tick")
    assert "complaints:" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and advisory locks need PostgreSQL")
def test_two_ticks_at_once_escalate_each_item_once(transactional_db, world, cat):
    category = cat["environment"]
    for _ in range(30):
        services.complaint_submit(category=category, village=world.v1, text="x")
    now = later(40)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(services.complaints_tick(now=now))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == sorted(
        [
            "complaints: 30 escalated, 0 overdue at county, 0 first-contact alerts",
            "complaints: 0 escalated, 0 overdue at county, 0 first-contact alerts",
        ]
    )
    assert set(Complaint.objects.values_list("escalation_count", flat=True)) == {1}
    assert AuditEvent.objects.filter(action="complaint.escalated").count() == 30


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the single-statement path exists on PostgreSQL only")
def test_sql_and_python_paths_agree(world, cat, settings, clerk_v1):
    def run(python):
        settings.COMPLAINTS_TICK_PYTHON = python
        plain, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x")
        cadre, _ = services.complaint_submit(
            category=cat["environment"], village=world.v1, text="x", concerns_cadres=True
        )
        accepted, _ = services.complaint_submit(category=cat["environment"], village=world.v2, text="x")
        services.complaint_accept(complaint=accepted, actor=f.staff(f"c{python}", Role.VILLAGE_CLERK, world.v2))
        result = services.complaints_tick(now=later(100))
        shapes = []
        for c in (plain, cadre, accepted):
            c.refresh_from_db()
            e = AuditEvent.objects.get(action="complaint.escalated", object_id=str(c.pk))
            shapes.append(
                (
                    c.level,
                    c.handler_role,
                    c.due_at,
                    c.escalation_count,
                    e.actor_label,
                    e.object_repr == c.tracking_code,
                    e.division_id == c.division_id,
                    e.reason,
                    e.data,
                    sorted(e.changes),
                    e.changes["level"],
                )
            )
        return result, shapes

    from tests import factories as f

    assert run(True) == run(False)


@pytest.mark.parametrize(
    "python",
    [
        True,
        pytest.param(
            False,
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path exists on PostgreSQL only"),
            ],
        ),
    ],
)
def test_both_paths_read_the_level_table(python, monkeypatch, world, cat, settings):
    """Change the level/role table and both the Python and the SQL escalation follow it."""
    from complaints import routing

    monkeypatch.setitem(routing.LEVEL_ROLE, Level.TOWNSHIP, Role.TOWNSHIP_DISCIPLINE)
    monkeypatch.setitem(routing.CADRE_ROLE, Level.COUNTY, Role.COUNTY_ADMIN)
    settings.COMPLAINTS_TICK_PYTHON = python
    plain, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x")
    cadre, _ = services.complaint_submit(category=cat["environment"], village=world.v1, text="x", concerns_cadres=True)
    assert "2 escalated" in services.complaints_tick(now=later(40))
    plain.refresh_from_db()
    cadre.refresh_from_db()
    assert (plain.level, plain.handler_role) == (Level.TOWNSHIP, Role.TOWNSHIP_DISCIPLINE)
    assert (cadre.level, cadre.handler_role) == (Level.COUNTY, Role.COUNTY_ADMIN)
    event = AuditEvent.objects.get(action="complaint.escalated", object_id=str(cadre.pk))
    assert event.changes["handler_role"] == [Role.TOWNSHIP_DISCIPLINE, Role.COUNTY_ADMIN]


def test_escalation_sql_is_generated_from_the_level_table():
    from complaints import routing
    from complaints.tick import escalate_sql

    sql = escalate_sql("(1)")
    top, level_case, role_case = routing.escalation_cases_sql("c")
    assert level_case in sql and role_case in sql and f"c.level <> {top}" in sql
    for below, above in zip(routing.LEVEL_ORDER, routing.LEVEL_ORDER[1:], strict=False):
        assert f"WHEN '{below}' THEN '{above}'" in level_case
        assert f"WHEN c.level = '{below}' THEN '{routing.LEVEL_ROLE[above]}'" in role_case
    assert "WHEN c.level = 'village' AND c.concerns_cadres THEN 'township_discipline'" in role_case
    with pytest.raises(ValueError):
        routing.sql_word("x'; DROP TABLE complaints_complaint; --")
