"""The audit log as an inspector reads it (issue 14 item 3): Chinese labels, who, which object with a link,
before → after as a table, filters by kind, date and division, one object's whole history, scoped by jurisdiction,
and a list page whose queries do not grow with the events."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sunshine.audit.models import AuditEvent
from sunshine.audit.services import ChainBroken, audit_record, audit_record_rows, verify_chain
from tests import factories as f
from tests.conftest import english_words_in_html
from villages.admin_mixins import AuditHistoryMixin
from villages.models import Role

LIST = "/admin/audit/auditevent/"


def _text(response):
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def named_admin(county_admin):
    county_admin.first_name, county_admin.last_name = "建国", "王"
    county_admin.save()
    return county_admin


@pytest.fixture
def other_county_inspector(db):
    other = f.county("邻县", code="990200000000")
    return f.staff("inspector_other", Role.COUNTY_INSPECTOR, other)


def test_each_event_reads_in_chinese_with_who_and_a_link_to_its_object(client, world, inspector, named_admin):
    audit_record(actor=named_admin, action="division.changed", obj=world.v1, changes={"name": ["甲村", "甲村（新）"]})
    audit_record(actor=None, action="complaint.rated", obj=world.v2)  # a resident's own action
    audit_record(actor=None, action="calendar_day.changed", obj=world.v3)  # the tick's
    client.force_login(inspector)
    page = _text(client.get(LIST))
    assert '<td class="field-action_display">修改区划</td>' in page  # the label, never the code
    assert "王建国" in page and "居民" in page and "系统" in page and ">system<" not in page
    assert f'href="/admin/villages/division/{world.v1.pk}/change/"' in page
    assert '行政区划 · <span translate="no">甲村</span>' in page
    assert "Content type" not in page and "Object id" not in page
    assert english_words_in_html(page, allow={"inspector", "county_admin"}) == []


def test_before_and_after_is_a_table_of_labels_and_formatted_values(client, world, inspector, named_admin):
    event = audit_record(
        actor=named_admin,
        action="division.changed",
        obj=world.v1,
        changes={"name": ["甲村", "乙村"], "level": ["village", "township"], "lat": [None, "28.845120"]},
        data={"reopened": True, "sha256": "ab" * 32},
    )
    client.force_login(inspector)
    page = _text(client.get(f"{LIST}{event.pk}/change/"))
    assert "<th scope=\"row\">名称</th><td>甲村</td><td>乙村</td>" in page
    assert "<th scope=\"row\">层级</th><td>村</td><td>乡镇</td>" in page  # choices, not codes
    assert "<th scope=\"row\">纬度</th><td>—</td><td>28.845120</td>" in page
    assert "<th scope=\"row\">重新办理</th><td>是</td>" in page
    assert '<td translate="no">' + "ab" * 32 in page  # a checksum is shown as it is, marked as a code
    assert '"name": [' not in page and "{&quot;" not in page  # no raw JSON
    assert english_words_in_html(page, allow={"inspector", "county_admin"}) == []


def test_times_in_the_table_read_in_the_county_time_zone(client, world, inspector, county_admin):
    due = {"due_at": [None, "2026-11-16T16:00:00Z"]}
    event = audit_record(actor=county_admin, action="complaint.extended", obj=world.v1, changes=due)
    client.force_login(inspector)
    assert "2026-11-17 00:00" in _text(client.get(f"{LIST}{event.pk}/change/"))  # Asia/Shanghai


def test_filters_by_action_kind_object_kind_date_and_division(client, world, inspector, county_admin):
    client.force_login(inspector)  # its sign-in event is left out below
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    in_v1 = audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    in_v3 = audit_record(actor=county_admin, action="division.changed", obj=world.v3)
    complaint_kind = audit_record(actor=None, action="complaint.rated", obj=world.v1)
    old = audit_record(actor=county_admin, action="cadre.created", obj=world.v2)

    def shown(query):
        return {e.pk for e in client.get(f"{LIST}?{query}").context["cl"].result_list} - before

    assert shown("kind=complaint") == {complaint_kind.pk}
    assert shown("kind=division") == {in_v1.pk, in_v3.pk, old.pk}
    division_type = ContentType.objects.get_for_model(world.v1).pk
    assert shown(f"object_kind={division_type}") == {in_v1.pk, in_v3.pk, complaint_kind.pk, old.pk}
    assert shown(f"division={world.t2.pk}") == {in_v3.pk}
    today = timezone.localdate()
    assert shown(f"since={today}&until={today}") == {in_v1.pk, in_v3.pk, complaint_kind.pk, old.pk}
    assert shown(f"since={today + datetime.timedelta(days=1)}") == set()
    bad = client.get(f"{LIST}?since=2026-02-30")
    assert "无法识别" in bad.content.decode()
    assert {e.pk for e in bad.context["cl"].result_list} - before == {in_v1.pk, in_v3.pk, complaint_kind.pk, old.pk}


def test_an_inspector_of_another_county_sees_nothing(client, world, other_county_inspector, county_admin):
    event = audit_record(actor=county_admin, action="division.changed", obj=world.v1, reason="只在测试县")
    client.force_login(other_county_inspector)
    assert "只在测试县" not in _text(client.get(LIST))
    assert client.get(f"{LIST}{event.pk}/change/").status_code == 302
    assert client.get(f"{LIST}?division={world.t1.pk}").context["cl"].result_count == 0


def test_events_keep_their_division_path_on_every_write_path(world, county_admin):
    one = audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    assert one.division_path == world.v1.path
    rows = [
        {
            "created_at": timezone.now(),
            "actor_id": None,
            "actor_label": "",
            "action": "complaint.escalated",
            "content_type_id": None,
            "object_id": "1",
            "object_repr": "TS",
            "division_id": world.t2.pk,
            "changes": {},
            "reason": "",
            "ip": None,
            "data": {},
        }
    ]
    audit_record_rows(rows)
    assert AuditEvent.objects.get(object_repr="TS").division_path == world.t2.path


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL's trigger refuses the UPDATE itself")
def test_audit_verify_names_an_event_refiled_under_another_division(world, county_admin):
    event = audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    call_command("audit_verify")
    with connection.cursor() as cursor:  # what a database writer could do to hide an event from an inspector
        cursor.execute("UPDATE audit_auditevent SET division_path = %s WHERE id = %s", [world.v3.path, event.pk])
    with pytest.raises(ChainBroken, match="not its own"):
        verify_chain()


def test_the_list_costs_the_same_queries_for_3_and_for_60_events(client, world, inspector, county_admin):
    client.force_login(inspector)

    def queries_for_list():
        client.get(LIST)  # warm the per-process caches (content types)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    for village in (world.v1, world.v2, world.v3):
        audit_record(actor=county_admin, action="division.changed", obj=village)
    few = queries_for_list()
    for i in range(57):
        actor = county_admin if i % 2 else None
        audit_record(actor=actor, action="membership.changed", obj=(world.v1, world.v2, world.v3)[i % 3])
    assert queries_for_list() == few


def test_one_objects_history_is_one_page_in_order(client, world, inspector, county_admin):
    from villages.services import division_save

    for name in ("甲村一", "甲村二"):
        world.v1.name = name
        division_save(actor=county_admin, division=world.v1)
    audit_record(actor=county_admin, action="division.changed", obj=world.v2, reason="别的村")
    client.force_login(inspector)
    change_page = _text(client.get(f"/admin/villages/division/{world.v1.pk}/change/"))
    assert "变更记录" in change_page
    page = client.get(f"/admin/villages/division/{world.v1.pk}/history/")
    rows = page.context["rows"]
    assert [r["changes"][0].after for r in rows] == ["甲村一", "甲村二"]  # oldest first, only this object
    assert "别的村" not in page.content.decode()
    assert english_words_in_html(page.content.decode(), allow={"inspector", "county_admin"}) == []


def test_history_needs_the_audit_permission(client, world, clerk_v1, county_admin):
    audit_record(actor=county_admin, action="division.changed", obj=world.v1)
    client.force_login(clerk_v1)
    change_page = client.get(f"/admin/villages/division/{world.v1.pk}/change/")
    if change_page.status_code == 200:
        assert "变更记录" not in change_page.content.decode()  # no button that leads to a refusal
    assert client.get(f"/admin/villages/division/{world.v1.pk}/history/").status_code in (302, 403)


EXEMPT_FROM_HISTORY = {
    # third-party admins and pages without audited objects
    "axes",
    "otp_totp",
    "authtoken",
    "audit",
    "portal",
}
NO_HISTORY_MODELS = {"anomalyreport", "townshipreport", "outbox", "group"}


def test_every_admin_with_audited_objects_opens_the_audit_history():
    missing = [
        f"{model._meta.app_label}.{model._meta.model_name}"
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label not in EXEMPT_FROM_HISTORY
        and model._meta.model_name not in NO_HISTORY_MODELS
        and not isinstance(model_admin, AuditHistoryMixin)
    ]
    assert missing == []
