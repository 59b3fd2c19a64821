"""Under load, on PostgreSQL: one lock order (disclosure, then revision), never a category row, race-safe creation.

Each caller is a thread with its own database connection; callers start together at a barrier. A
``ValidationError`` is an expected answer (the state moved on: "不能执行", "只有草稿…可以修改"); a
deadlock, an IntegrityError or anything else is a failure.
"""

import threading
import time
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction

from disclosures import services as s
from disclosures.models import Category, Disclosure, Revision, Status
from tests.disclosures.helpers import draft_roster, entry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and deadlocks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]
# Tests also ask for ``transactional_db`` by name: tests/conftest.py then lets the flush empty the audit tables.


def run_together(*calls):
    """Run each call in its own thread (own connection), all released at once; returns one outcome per call:
    ``("ok", result)``, ``("refused", message)`` for a ValidationError, or ``("error", exception)``."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except ValidationError as exc:
            outcomes[index] = ("refused", "；".join(exc.messages))
        except Exception as exc:  # noqa: BLE001 - every other exception is what the test counts
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def errors_of(outcomes):
    return [value for kind, value in outcomes if kind == "error"]


def race_one_draft(disclosure, clerk, reviewer, title):
    """A clerk replacing rows, the clerk editing the title, the clerk submitting and the reviewer approving
    one draft at the same moment."""
    revision = disclosure.revisions.get()
    return run_together(
        lambda: s.revision_replace_entries(actor=clerk, revision=revision, entries=[entry("张三", 600)]),
        lambda: s.revision_update_content(actor=clerk, revision=revision, title=title),
        lambda: s.disclosure_submit(disclosure=Disclosure.objects.get(pk=disclosure.pk), actor=clerk),
        lambda: s.disclosure_approve_township(disclosure=Disclosure.objects.get(pk=disclosure.pk), actor=reviewer),
    )


def test_submit_edits_and_approve_on_one_draft_never_deadlock(transactional_db, world, categories, crew):
    clerk, reviewer, _discipline = crew
    errors, kinds = [], Counter()
    for round_number in range(50):
        disclosure = draft_roster(clerk, world.v1, categories["dibao"], period=f"{2000 + round_number}-01")
        outcomes = race_one_draft(disclosure, clerk, reviewer, f"第{round_number}轮")
        errors += errors_of(outcomes)
        kinds.update(kind for kind, _value in outcomes)
        disclosure.refresh_from_db()
        assert disclosure.status in (Status.SUBMITTED, Status.TOWNSHIP_APPROVED)  # submit always wins its round
    assert errors == []
    assert kinds["ok"] + kinds["refused"] == 200 and kinds["ok"] >= 50


def test_fifty_openings_of_one_new_slot_make_one_disclosure(transactional_db, world, categories, clerk_v1, reviewer_t1):
    dibao = categories["dibao"]

    def open_draft(actor):
        return lambda: (
            s.disclosure_open_draft(actor=actor, division=world.v1, category=dibao, period="2026-12", phase="pre").pk
        )

    outcomes = run_together(*(open_draft(clerk_v1 if i % 2 else reviewer_t1) for i in range(50)))
    assert errors_of(outcomes) == [] and {kind for kind, _ in outcomes} == {"ok"}
    assert Disclosure.objects.count() == 1 and Revision.objects.count() == 1
    assert {value for _kind, value in outcomes} == {Revision.objects.get().pk}


def test_sixteen_api_posts_for_one_new_slot_all_answer_201(transactional_db, world, categories, clerk_v1):
    from rest_framework.test import APIClient

    def post():
        client = APIClient()
        client.force_authenticate(clerk_v1)
        body = {"division_code": world.v1.code, "category": "dibao", "period": "2026-12", "phase": "post"}
        response = client.post("/api/v1/staff/disclosures/", body, format="json")
        return response.status_code, response.json().get("id")

    outcomes = run_together(*([post] * 16))
    assert errors_of(outcomes) == []
    assert {value[0] for _kind, value in outcomes} == {201}
    assert len({value[1] for _kind, value in outcomes}) == 1 and Disclosure.objects.count() == 1


def test_an_edit_in_one_village_does_not_wait_for_another_village_of_the_same_category(
    transactional_db, world, categories, clerk_v1, reviewer_t1
):
    """While one transaction holds village 甲村's draft, 乙村's draft of the same category saves at once,
    and the category row itself is free (no edit locks it)."""
    dibao = categories["dibao"]
    held = draft_roster(clerk_v1, world.v1, dibao).revisions.get()
    other = draft_roster(reviewer_t1, world.v2, dibao).revisions.get()
    locked, release, failures = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                s.revision_replace_entries(actor=clerk_v1, revision=held, entries=[entry("张三", 700)])
                locked.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            locked.set()
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        started = time.monotonic()
        s.revision_replace_entries(actor=reviewer_t1, revision=other, entries=[entry("李四", 300)])
        elapsed = time.monotonic() - started
        with transaction.atomic():  # NOWAIT: fails at once if any edit held the category row
            Category.objects.select_for_update(nowait=True, no_key=True).get(pk=dibao.pk)
        with pytest.raises(OperationalError), transaction.atomic():  # while the held draft itself is locked
            Revision.objects.select_for_update(nowait=True).get(pk=held.pk)
    finally:
        release.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert failures == []
    assert elapsed < 1.0
