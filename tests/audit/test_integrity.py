"""An audit log no insider can erase or forge: the app role's limits, MACs, keyed seals and published heads."""

import datetime
import io
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sunshine.audit.models import AuditEvent, AuditHead, AuditSeal
from sunshine.audit.services import (
    ForgedEventError,
    audit_chain_report,
    audit_record,
    audit_record_rows,
    seal_pending,
)
from sunshine.audit.signing import event_mac_ok

postgres_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles, grants and triggers are PostgreSQL's"),
]


@pytest.fixture
def events(world, county_admin):
    return [
        audit_record(actor=county_admin, action="division.changed", obj=world.v1, changes={"n": [i, i + 1]})
        for i in range(4)
    ]


@pytest.fixture
def app_role(db):
    """The role the web app connects as, set up by the command the README tells owners to run.

    Named after the test database, so parallel workers and other checkouts on the same server never
    collide; created inside the test's transaction, so it disappears with the rollback.
    """
    role = f"{connection.settings_dict['NAME']}_app"[:63]
    out = io.StringIO()
    call_command("setup_db_roles", role, stdout=out)
    assert "granted only SELECT, INSERT on audit tables" in out.getvalue()
    return role


@contextmanager
def acting_as(role):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')
        try:
            yield cursor
        finally:
            cursor.execute("RESET ROLE")


def _insert_forged_event(cursor, *, mac="", created_at=None):
    """What an insider with a database login can do: INSERT an event by hand (backdated, plausible)."""
    cursor.execute(
        "INSERT INTO audit_auditevent (created_at, actor_label, action, object_id, object_repr, changes, reason, "
        "data, key_id, mac) VALUES (%s, 'system', 'division.changed', '', '甲村', '{}', '补录', '{}', 'dev', %s) "
        "RETURNING id",
        [created_at or timezone.now() - datetime.timedelta(days=400), mac],
    )
    return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "statements",
    [
        ["SET sunshine.audit_purge = 'on'", "DELETE FROM audit_auditevent"],
        ["UPDATE audit_auditevent SET reason = '改过了'"],
        ["DELETE FROM audit_auditevent"],
        ["DELETE FROM audit_auditseal"],
        ["DELETE FROM audit_audithead"],
        ["TRUNCATE audit_auditevent CASCADE"],
        ["TRUNCATE audit_auditseal"],
        ["TRUNCATE audit_audithead"],
        ["ALTER TABLE audit_auditevent DISABLE TRIGGER USER"],
        ["ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"],
        ["SET session_replication_role = replica"],
        ["DROP TRIGGER audit_auditevent_append_only ON audit_auditevent"],
        [
            "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$ BEGIN RETURN OLD; END; $$ "
            "LANGUAGE plpgsql"
        ],
    ],
    ids=lambda statements: statements[-1][:40],
)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles, grants and triggers are PostgreSQL's")
def test_the_app_role_cannot_erase_or_unlock_the_log(events, app_role, statements):
    seal_pending(now=timezone.now())
    before = (AuditEvent.objects.count(), AuditSeal.objects.count(), AuditHead.objects.count())
    with acting_as(app_role) as cursor, pytest.raises(DatabaseError), transaction.atomic():
        for statement in statements:
            cursor.execute(statement)
    assert (AuditEvent.objects.count(), AuditSeal.objects.count(), AuditHead.objects.count()) == before == (4, 4, 1)
    call_command("audit_verify", "--no-seal", stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles, grants and triggers are PostgreSQL's")
def test_the_app_role_still_records_seals_and_publishes(world, county_admin, app_role):
    with acting_as(app_role):
        event = audit_record(actor=county_admin, action="division.changed", obj=world.v1, reason="应用角色写入")
        assert seal_pending(now=timezone.now()) == 1
        assert AuditHead.objects.get().seq == 1
        world.v1.name = "甲村（改）"
        world.v1.save(update_fields=["name"])  # the app keeps full rights on every other table
    assert event_mac_ok(AuditEvent.objects.get(pk=event.pk))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles, grants and triggers are PostgreSQL's")
def test_setup_db_roles_grants_exactly_select_and_insert_on_audit_tables(db, app_role):
    call_command("setup_db_roles", app_role, "--password", "s3cret", stdout=io.StringIO())  # re-runnable
    with connection.cursor() as cursor:
        for table in ("audit_auditevent", "audit_auditseal", "audit_audithead"):
            for privilege, allowed in [
                ("SELECT", True),
                ("INSERT", True),
                ("UPDATE", False),
                ("DELETE", False),
                ("TRUNCATE", False),
                ("TRIGGER", False),
                ("REFERENCES", False),
            ]:
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, table, privilege])
                assert cursor.fetchone()[0] is allowed, (table, privilege)
        cursor.execute("SELECT has_table_privilege(%s, 'complaints_complaint', 'DELETE')", [app_role])
        assert cursor.fetchone()[0] is True
        cursor.execute(
            "SELECT has_sequence_privilege(%s, pg_get_serial_sequence('audit_auditevent', 'id'), 'UPDATE')", [app_role]
        )
        assert cursor.fetchone()[0] is False  # no setval on the audit ids
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = %s", [app_role])
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = %s", [app_role])
        assert cursor.fetchone() == (False, False, False)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles, grants and triggers are PostgreSQL's")
def test_setup_db_roles_refuses_the_owner_itself(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="owner"):
        call_command("setup_db_roles", owner, stdout=io.StringIO())


def _forge_by_hand(app_role=None, **kwargs):
    if app_role:
        with acting_as(app_role) as cursor:
            return _insert_forged_event(cursor, **kwargs)
    with connection.cursor() as cursor:
        return _insert_forged_event(cursor, **kwargs)


@pytest.fixture
def writer_role(request):
    """The app role on PostgreSQL (what an insider with the app's login has); the plain connection on SQLite."""
    return request.getfixturevalue("app_role") if connection.vendor == "postgresql" else None


@pytest.mark.parametrize("mac", ["", "0" * 64], ids=["no MAC", "made-up MAC"])
def test_a_raw_sql_forgery_is_never_sealed_and_audit_verify_names_it(events, writer_role, county_admin, world, mac):
    forged = _forge_by_hand(writer_role, mac=mac)
    later = audit_record(actor=county_admin, action="division.changed", obj=world.v2)
    with pytest.raises(ForgedEventError, match=f"event #{forged} "):
        seal_pending()
    assert AuditSeal.objects.count() == 4  # the genuine events before it, and nothing from the forgery on
    assert not AuditSeal.objects.filter(event_id__in=[forged, later.pk]).exists()
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", stdout=io.StringIO(), stderr=io.StringIO())
    message = str(refused.value)
    assert f"event #{forged} is forged" in message and f"#{later.pk}" in message and "not sealed" in message


def test_a_copied_mac_does_not_make_a_forgery_genuine(events, writer_role):
    forged = _forge_by_hand(writer_role, mac=events[0].mac, created_at=events[0].created_at)
    report = audit_chain_report()
    assert f"event #{forged} is forged (MAC does not verify) and unsealed" in report.problems


def test_a_forged_seal_at_the_head_is_named(events):
    """Plain sha256 links, as before keyed seals, are what someone without the key can compute."""
    import hashlib

    seal_pending()
    extra = AuditEvent.objects.get(pk=audit_record(actor=None, action="division.changed", reason="末尾").pk)
    head = AuditSeal.objects.order_by("-seq").first()
    fake = hashlib.sha256((head.hash + extra.mac).encode()).hexdigest()
    AuditSeal.objects.create(
        event=extra, seq=head.seq + 1, prev_hash=head.hash, hash=fake, sealed_at=timezone.now(), key_id=head.key_id
    )
    with pytest.raises(CommandError, match=f"event #{extra.pk} \\(seal #5\\): seal forged"):
        call_command("audit_verify", "--no-seal", stdout=io.StringIO())


def test_no_seal_is_not_intact_while_events_wait(events):
    with pytest.raises(CommandError, match=f"4 event\\(s\\) not sealed yet: #{events[0].pk}–#{events[3].pk}"):
        call_command("audit_verify", "--no-seal", stdout=io.StringIO())
    call_command("audit_verify", stdout=io.StringIO())
    call_command("audit_verify", "--no-seal", stdout=io.StringIO())


def _raw_as_owner(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _save_heads(client, tmp_path):
    path = tmp_path / "heads.json"
    path.write_bytes(client.get("/audit/heads.json").content)
    return str(path)


def test_a_truncated_chain_fails_against_a_saved_heads_file(client, events, county_admin, world, tmp_path):
    day1 = timezone.now() - datetime.timedelta(days=2)
    seal_pending(now=day1)
    for i in range(3):
        audit_record(actor=county_admin, action="division.changed", obj=world.v1, reason=f"后来{i}")
    seal_pending(now=day1 + datetime.timedelta(days=1))
    saved = _save_heads(client, tmp_path)
    assert [h["seq"] for h in json.loads(Path(saved).read_text())["heads"]] == [7, 4]
    call_command("audit_verify", "--heads", saved, stdout=io.StringIO())

    # The table owner (or whoever stole its login) cuts the last two events, their seals and the newest head.
    cut = list(AuditSeal.objects.filter(seq__gt=5).values_list("event_id", flat=True))
    _raw_as_owner("DELETE FROM audit_audithead WHERE seq > 5")
    _raw_as_owner("DELETE FROM audit_auditseal WHERE seq > 5")
    _raw_as_owner(f"DELETE FROM audit_auditevent WHERE id IN ({', '.join(map(str, cut))})")
    out = io.StringIO()
    call_command("audit_verify", stdout=out)  # the database alone now looks intact …
    assert "intact: 5 event(s)" in out.getvalue()
    with pytest.raises(CommandError, match="head #7 is beyond the chain \\(chain ends at #5\\)"):
        call_command("audit_verify", "--heads", saved, stdout=io.StringIO())  # … the saved copy does not


def test_a_rewritten_past_fails_against_a_saved_heads_file(client, events, tmp_path):
    seal_pending(now=timezone.now() - datetime.timedelta(days=1))
    saved = _save_heads(client, tmp_path)
    _raw_as_owner("DELETE FROM audit_audithead")
    _raw_as_owner("DELETE FROM audit_auditseal")
    _raw_as_owner("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    seal_pending()  # re-chained from scratch without the deleted event: a consistent but shorter story
    with pytest.raises(CommandError, match="head #4 is beyond the chain"):
        call_command("audit_verify", "--heads", saved, stdout=io.StringIO())
    audit_record(actor=None, action="division.changed", reason="补一条凑数")
    seal_pending()
    with pytest.raises(CommandError, match="head #4 differs from the chain"):
        call_command("audit_verify", "--heads", saved, stdout=io.StringIO())


def test_heads_json_lists_published_heads_newest_first(client, events, world, county_admin):
    day1 = timezone.now() - datetime.timedelta(days=3)
    seal_pending(now=day1)
    audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    seal_pending(now=day1 + datetime.timedelta(days=1))
    response = client.get("/audit/heads.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    heads = response.json()["heads"]
    seals = {s.seq: s for s in AuditSeal.objects.all()}
    assert [set(h) for h in heads] == [{"seq", "hash", "at", "key_id"}] * 2
    assert [h["seq"] for h in heads] == [5, 4]
    assert [h["hash"] for h in heads] == [seals[5].hash, seals[4].hash]
    assert datetime.datetime.fromisoformat(heads[0]["at"]) == day1 + datetime.timedelta(days=1)
    assert heads[0]["key_id"] == "dev"
    page = client.get("/audit/heads/")
    assert page.status_code == 200
    assert "审计链公示" in page.content.decode() and seals[5].hash in page.content.decode()


def test_sealing_publishes_one_head_per_day(events, county_admin, world):
    morning = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 0))
    assert seal_pending(now=morning) == 4
    audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    assert seal_pending(now=morning + datetime.timedelta(hours=5)) == 1
    assert list(AuditHead.objects.values_list("seq", flat=True)) == [4]  # one that day
    assert seal_pending(now=morning + datetime.timedelta(days=1)) == 0
    assert list(AuditHead.objects.values_list("seq", flat=True)) == [5, 4]  # the next day, even with nothing new


def test_tick_publishes_todays_head(events):
    call_command("tick", stdout=io.StringIO())
    call_command("tick", stdout=io.StringIO())
    head = AuditHead.objects.get()
    assert head.seq == 4 and timezone.localdate(head.at) == timezone.localdate()


def test_rotated_keys_still_verify_and_a_dropped_key_is_named(events, settings):
    seal_pending()
    settings.AUDIT_HMAC_KEYS = {"2": "a-newer-key", "dev": "dev-only-audit-hmac-key"}
    newer = audit_record(actor=None, action="division.changed", reason="新密钥")
    assert newer.key_id == "2"
    seal_pending()
    call_command("audit_verify", "--no-seal", stdout=io.StringIO())
    settings.AUDIT_HMAC_KEYS = {"2": "a-newer-key"}
    problems = audit_chain_report().problems
    assert f"event #{events[0].pk} (seal #1) was altered after it was sealed (MAC does not verify)" in problems
    assert f"seal #1 (event #{events[0].pk}) uses unknown key id 'dev'" in problems


def test_the_fast_bulk_path_signs_rows_as_the_model_path_does(db, world):
    now = timezone.now()
    rows = [
        {
            "created_at": now,
            "actor_id": None,
            "actor_label": "system",
            "action": "complaint.escalated",
            "content_type_id": None,
            "object_id": str(i),
            "object_repr": f"C{i:05d}",
            "division_id": world.t1.pk,
            "changes": {"level": ["village", "township"], "division": [world.v1.pk, world.t1.pk]},
            "reason": "逾期未办，自动上报上一级",
            "ip": "::ffff:10.0.0.1" if i == 0 else None,
            "data": {"stage": "acceptance", "automatic": True},
        }
        for i in range(3)
    ]
    assert audit_record_rows(rows) == 3
    assert all(event_mac_ok(event) for event in AuditEvent.objects.all())
    assert seal_pending() == 3
    call_command("audit_verify", "--no-seal", stdout=io.StringIO())


@pytest.mark.parametrize("python_path", [False, True], ids=["sql path", "portable path"])
def test_the_deadline_ticks_escalation_events_are_signed(world, settings, python_path):
    """The complaint tick writes 1 event per item in bulk (COPY on PostgreSQL); each must seal and verify."""
    from complaints import services as complaints
    from complaints.categories import seed_categories
    from complaints.models import ComplaintCategory

    seed_categories()
    settings.COMPLAINTS_TICK_PYTHON = python_path
    category = ComplaintCategory.objects.get(service_code="environment")
    for _ in range(3):
        complaints.complaint_submit(category=category, village=world.v1, text="路灯坏了")
    assert "3 escalated" in complaints.complaints_tick(now=timezone.now() + datetime.timedelta(days=40))
    escalated = AuditEvent.objects.filter(action="complaint.escalated")
    assert escalated.count() == 3 and all(event_mac_ok(event) for event in escalated)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit chain intact" in out.getvalue()


def test_the_bulletin_pdf_prints_the_chain_head_current_when_rendered(
    client, world, clerk_v1, reviewer_t1, discipline_t1, run_tasks
):
    from disclosures.categories import seed_categories as seed_disclosure_categories
    from disclosures.models import Category
    from disclosures.views import disclosure_url
    from tests.crawl import pdf_text
    from tests.disclosures.helpers import entry, published_roster

    seed_disclosure_categories()
    dibao = Category.objects.get(slug="dibao")
    disclosure = published_roster(clerk_v1, reviewer_t1, discipline_t1, world.v1, dibao, rows=[entry("张三", 500)])
    seal_pending()
    head = AuditSeal.objects.order_by("-seq").first()
    run_tasks()  # the worker renders the bulletin after publication
    response = client.get(disclosure_url(disclosure, "bulletin", number=1))
    content = pdf_text(b"".join(response.streaming_content)).replace("\n", "")
    assert f"审计链头：#{head.seq} {head.hash}" in content


def test_the_bulk_signer_and_the_model_path_sign_the_same_text(settings):
    """Tricky values: unicode, nested and unsorted keys, 1 next to True, a float, an IPv4-mapped IPv6 address."""
    import datetime as dt
    import ipaddress

    from sunshine.audit.signing import SIGNED_FIELDS, BulkSigner, canonical_fields, canonical_json, mac_of

    moment = dt.datetime(2026, 12, 5, 8, 30, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = [
        {
            "created_at": moment,
            "actor_id": 1 if flag else None,
            "actor_label": '张三"引号"',
            "action": "complaint.escalated",
            "content_type_id": 7,
            "object_id": "42",
            "object_repr": "<b>x</b>",
            "division_id": None,
            "changes": {"z": [1, True], "a": {"y": 0.5, "b": "乙"}},
            "reason": "换行\n制表\t",
            "ip": "::ffff:10.0.0.1" if flag else "10.0.0.2",
            "data": {"automatic": flag, "stage": 1},
        }
        for flag in (True, False)
    ]
    signer = BulkSigner()
    for row in rows:
        signer.sign(row)
        values = {name: row[name] for name in SIGNED_FIELDS}
        text = canonical_fields(**values)
        assert row["mac"] == mac_of(signer.key, text)
        utc = "2026-12-05T00:30:01.123456+00:00"
        plain = {**values, "created_at": utc, "ip": str(ipaddress.ip_address(row["ip"]))}
        assert text == canonical_json(plain)  # the joined fragments are exactly the canonical JSON object
    assert rows[0]["mac"] != rows[1]["mac"]


def test_the_owner_removes_a_forgery_with_a_sealed_record_and_sealing_resumes(events, county_admin, world):
    forged = _forge_by_hand(mac="f" * 64)
    audit_record(actor=county_admin, action="division.changed", obj=world.v2)
    with pytest.raises(CommandError, match="genuine"):
        call_command("audit_remove_forged", str(events[0].pk), "--reason", "工单 1", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit_remove_forged", str(forged), "--reason", "工单 2：内部人员伪造", stdout=out)
    assert f"removed forged event #{forged}" in out.getvalue() and "sealed 6 event(s)" in out.getvalue()
    record = AuditEvent.objects.get(action="audit.forgery_removed")
    assert record.reason == "工单 2：内部人员伪造" and record.data["event_id"] == forged and record.seal.seq == 6
    call_command("audit_verify", "--no-seal", stdout=io.StringIO())
    with pytest.raises(CommandError, match="sealed events are never removed"):
        call_command("audit_remove_forged", str(events[1].pk), "--reason", "x", stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles, grants and triggers are PostgreSQL's")
def test_the_app_role_cannot_remove_even_a_forgery(events, app_role):
    forged = _forge_by_hand(app_role, mac="")
    with acting_as(app_role), pytest.raises(CommandError, match="only the audit tables' owner"):
        call_command("audit_remove_forged", str(forged), "--reason", "x", stdout=io.StringIO())
    assert AuditEvent.objects.filter(pk=forged).exists()


def test_a_removed_seal_is_named_as_a_gap_even_after_its_event_is_sealed_again(events):
    seal_pending()
    _raw_as_owner("DELETE FROM audit_auditseal WHERE seq = 2")
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", "--no-seal", stdout=io.StringIO())
    assert "seal(s) #2–#2 missing" in str(refused.value) and f"not sealed yet: #{events[1].pk}" in str(refused.value)
    with pytest.raises(CommandError, match="seal\\(s\\) #2–#2 missing"):
        call_command("audit_verify", stdout=io.StringIO())  # re-sealed at the end, the hole stays visible
