"""Periodic work is idempotent and safe to run twice at once; moves notify whoever acts next."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from disclosures import services as s
from disclosures.models import Disclosure, Status
from sunshine.audit.models import AuditEvent
from tests.disclosures.helpers import draft_roster, published_roster


def test_submit_notifies_the_township_reviewer_after_commit(
    world, categories, crew, django_capture_on_commit_callbacks
):
    clerk, reviewer, _discipline = crew
    reviewer.email = "reviewer@example.org"
    reviewer.save(update_fields=["email"])
    disclosure = draft_roster(clerk, world.v1, categories["dibao"])
    with django_capture_on_commit_callbacks(execute=True):
        s.disclosure_submit(disclosure=disclosure, actor=clerk)
    assert [m.to for m in mail.outbox] == [["reviewer@example.org"]]
    assert "提交审核" in mail.outbox[0].subject


@pytest.mark.postgres
def test_two_ticks_at_once_confirm_each_window_once(transactional_db, world, categories, crew):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    disclosures = [
        published_roster(*crew, world.v1, categories[slug]) for slug in ("dibao", "tekun", "weifang", "huinong")
    ]
    later = timezone.now() + dt.timedelta(days=30)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(s.disclosures_tick(unresolved_objections=lambda ids: set(), now=later))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(r.split(" ")[0] for r in results) == ["0", "4"]
    assert set(Disclosure.objects.filter(pk__in=[d.pk for d in disclosures]).values_list("status", flat=True)) == {
        Status.CONFIRMED
    }
    assert AuditEvent.objects.filter(action="disclosure.confirmed").count() == 4


def test_a_real_objection_keeps_the_window_from_closing(world, categories, crew):
    from complaints import services as complaints
    from complaints.models import ComplaintCategory
    from portal.tick import close_objection_windows

    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    other = published_roster(*crew, world.v1, categories["tekun"])
    objection = ComplaintCategory.objects.create(
        service_code="objection-test", name="公示异议", owning_level="township", is_objection=True,
        disclosure_category=categories["dibao"],
    )  # fmt: skip
    complaints.complaint_submit(
        category=objection, village=world.v1, text="张三家有小汽车，不符合低保条件", disclosure=disclosure
    )
    assert close_objection_windows(now=timezone.now() + dt.timedelta(days=8)).startswith("1 confirmed, 1 waiting")
    disclosure.refresh_from_db()
    other.refresh_from_db()
    assert (disclosure.status, other.status) == (Status.PUBLISHED, Status.CONFIRMED)
