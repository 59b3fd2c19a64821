"""``simulate_region`` on SQLite at a tiny size: the shapes the benchmark and the other parts rely on."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from complaints.models import OPEN_STATES, Complaint, Status
from disclosures.models import Disclosure, LedgerLine, Phase, Revision, RosterEntry
from disclosures.reconciliation import ANOMALIES, Outcome, reconcile_many
from sunshine.audit.models import AuditEvent
from villages.models import Division, Level, Role

SIZE = ["--villages", "14", "--townships", "4", "--months", "4", "--complaints", "120", "--audit-events", "1500",
        "--big-roster", "400"]  # fmt: skip


def test_a_tiny_region_has_every_shape_the_benchmark_needs(db, capsys):
    """One build (it takes seconds), then each shape in turn."""
    call_command("simulate_region", *SIZE)
    printed = capsys.readouterr().out
    check_divisions_staff_and_demo_logins(printed)
    check_rosters_people_and_reconciliation_mix()
    check_every_complaint_state_and_level_some_overdue()
    check_audit_events_are_signed_and_verify(capsys)


def check_divisions_staff_and_demo_logins(region):
    county = Division.objects.get(level=Level.COUNTY)
    assert county.code == "360123000000"
    assert Division.objects.filter(level=Level.TOWNSHIP).count() == 4
    villages = Division.objects.filter(level=Level.VILLAGE)
    assert villages.count() == 14
    # Every village has its registered groups as children.
    assert not villages.annotate(groups=Count("children")).filter(groups=0).exists()
    users = get_user_model().objects
    for username in ("county_admin", "inspector", "reviewer_t1", "discipline_t1", "clerk_v01", "clerk_v14"):
        assert users.get(username=username).check_password("sunshine-demo-2026")
    assert users.get(username="reviewer_t4").memberships.get().role == Role.TOWNSHIP_REVIEWER
    assert "14 villages" in region and "audit events" in region


def check_rosters_people_and_reconciliation_mix():
    assert RosterEntry.objects.count() == sum(Revision.objects.values_list("entry_count", flat=True))
    assert LedgerLine.objects.exists()
    statuses = set(Disclosure.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "published", "confirmed"} <= statuses
    big = Revision.objects.order_by("-entry_count").first()
    assert big.entry_count == 400 and big.state == "draft"
    # The same person keeps one keyed hash from month to month, so most payouts continue.
    posts = Disclosure.objects.filter(phase=Phase.POST, status__in=["published", "confirmed", "archived"])
    outcomes = [row.outcome for r in reconcile_many(list(posts)) for row in r.rows]
    continuing = outcomes.count(Outcome.CONTINUING) + outcomes.count(Outcome.AS_ANNOUNCED)
    anomalies = sum(1 for o in outcomes if o in ANOMALIES)
    assert 0 < anomalies < continuing / 10
    assert not RosterEntry.objects.filter(id_masked__regex=r"^\d{18}$").exists()


def check_every_complaint_state_and_level_some_overdue():
    assert Complaint.objects.count() == 120
    pairs = set(Complaint.objects.values_list("status", "level"))
    assert {(s, lv) for s in Status.values for lv in ("village", "township", "county")} <= pairs
    assert Complaint.objects.filter(status__in=OPEN_STATES, due_at__lt=timezone.now()).exists()


def check_audit_events_are_signed_and_verify(capsys):
    assert AuditEvent.objects.count() == 1500
    call_command("audit_verify")
    assert "audit chain intact: 1500 event(s)" in capsys.readouterr().out


def test_bad_options_are_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("simulate_region", "--villages", "0")
