"""The audit spine: append-only, chained, tampering named by audit_verify."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from sunshine.audit.models import AppendOnlyError, AuditEvent, AuditSeal
from sunshine.audit.services import ChainBroken, audit_record, seal_pending, verify_chain
from villages.models import Role
from villages.services import membership_grant


@pytest.fixture
def events(world, county_admin):
    recorded = [
        audit_record(
            actor=county_admin, action="division.changed", obj=world.v1, changes={"n": [i, i + 1]}, reason=f"第{i}步"
        )
        for i in range(5)
    ]
    return recorded


def test_services_write_events_in_the_same_transaction(world, county_admin):
    from tests.factories import UserFactory

    user = UserFactory(username="newclerk")
    membership_grant(actor=county_admin, user=user, division=world.v1, role=Role.VILLAGE_CLERK)
    event = AuditEvent.objects.get(action="membership.granted")
    assert event.actor == county_admin and event.division_id == world.v1.pk
    assert event.changes == {"user": [None, "newclerk"], "role": [None, "village_clerk"]}

    with pytest.raises(RuntimeError), transaction.atomic():
        membership_grant(
            actor=county_admin, user=UserFactory(username="ghost"), division=world.v1, role="village_clerk"
        )
        raise RuntimeError("the change fails after the event was written")
    assert not AuditEvent.objects.filter(changes__user=[None, "ghost"]).exists()


def test_orm_refuses_to_change_or_delete_events(events):
    event = events[0]
    event.reason = "改过了"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    seal_pending()
    with pytest.raises(AppendOnlyError):
        AuditSeal.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_postgresql_refuses_raw_update_even_to_the_owner(events):
    """The owner (who runs migrations and the suite's flush) may delete; nobody may update, old purge flag or not."""
    seal_pending()
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditseal"):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute("SET LOCAL sunshine.audit_purge = 'on'")
                cursor.execute(f"UPDATE {table} SET id = id")


def test_chain_verifies_and_seals_each_event_once(events):
    assert seal_pending() == 5
    assert seal_pending() == 0
    count, head = verify_chain()
    assert count == 5 and len(head) == 64
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [s.seq for s in seals] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(seals, seals[1:]))


def _raw(sql, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What a database superuser could do: switch ordinary triggers off for the transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_verify_names_the_first_altered_event(events):
    seal_pending()
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["篡改", events[2].pk])
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["篡改", events[3].pk])
    with pytest.raises(ChainBroken, match=f"event #{events[2].pk} .*altered"):
        verify_chain()
    with pytest.raises(CommandError, match=f"event #{events[2].pk}") as refused:
        call_command("audit_verify")
    assert f"event #{events[3].pk}" in str(refused.value)  # every altered event is named, not only the first


def test_verify_names_a_deleted_event(events):
    seal_pending()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(ChainBroken, match=f"event #{events[1].pk} .*deleted"):
        verify_chain()


def test_audit_verify_command_reports_an_intact_chain(events, capsys):
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "sealed 5" in out and "intact: 5 event(s), head #5" in out


def test_inspector_browses_events_in_the_admin_and_cannot_change_them(client, events, inspector, world):
    audit_record(actor=inspector, action="division.created", obj=world.v1, reason="另一件事")
    client.force_login(inspector)
    assert "另一件事" in client.get("/admin/audit/auditevent/").content.decode()
    page = client.get("/admin/audit/auditevent/?action=division.changed")
    assert page.status_code == 200 and page.context["cl"].result_count == 5
    assert '<td class="field-action_display">修改区划</td>' in page.content.decode()  # the label, not the code
    shown = page.content.decode()
    assert all(f"第{i}步" in shown for i in range(5)) and "另一件事" not in shown  # the five events, only they
    detail = client.get(f"/admin/audit/auditevent/{events[0].pk}/change/")
    assert detail.status_code == 200 and "第0步" in detail.content.decode()
    assert client.post(f"/admin/audit/auditevent/{events[0].pk}/change/", {"reason": "x"}).status_code == 403
    assert client.post(f"/admin/audit/auditevent/{events[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403


def test_history_button_opens_the_objects_audit_trail(client, world, inspector, county_admin):
    from villages.services import division_save

    world.v1.name = "甲村（新）"
    division_save(actor=county_admin, division=world.v1)
    audit_record(actor=county_admin, action="membership.changed", obj=world.v2)
    client.force_login(inspector)
    response = client.get(f"/admin/villages/division/{world.v1.pk}/history/")
    actions = {row["event"].action for row in response.context["rows"]}
    assert actions == {"division.changed"}  # the object's own events, not world.v2's


def test_the_action_filter_offers_labels_and_finds_legacy_codes(client, events, inspector, world, county_admin):
    from sunshine.audit.services import build_event

    legacy = build_event(actor=county_admin, action="division.changed", obj=world.v1)
    legacy.action = "disclosure.submit"  # written before the registry existed; build_event now refuses it
    legacy.save()
    client.force_login(inspector)
    page = client.get("/admin/audit/auditevent/")
    html = page.content.decode()
    assert "?action=division.changed" in html and "修改区划" in html
    assert "?action=disclosure.submit" in html and "提交审核（旧代码 disclosure.submit）" in html
    assert client.get("/admin/audit/auditevent/?action=disclosure.submitted").context["cl"].result_count == 1
    assert client.get("/admin/audit/auditevent/?action=disclosure.submit").context["cl"].result_count == 1
    assert client.get("/admin/audit/auditevent/?action=division.changed").context["cl"].result_count == 5
    detail = client.get(f"/admin/audit/auditevent/{legacy.pk}/change/").content.decode()
    assert '提交审核（<code translate="no">disclosure.submit</code>）' in detail
