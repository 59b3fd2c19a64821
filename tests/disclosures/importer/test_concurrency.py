"""Imports under load (PostgreSQL): the job is locked, then the disclosure, then its revision — never the category
or the village — so an import in one village never waits for another, and imports racing into one new slot end
cleanly (each imports, or is refused with a Chinese message; no deadlock, no IntegrityError).

Threads have their own database connections and close them when they end.
"""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from disclosures.importer import services as importer
from disclosures.models import Disclosure, ImportJob, ImportStatus, Revision, RosterEntry
from tests.factories import staff
from villages.models import Role

from .corpus import HEADER, csv_bytes, make_id, standard_rows
from .factories import roster_category

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BIG_ROWS = 20_000
WAIT = 60  # seconds a thread may take before the test calls it hung


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")


def big_roster(rows=BIG_ROWS):
    """A clean roster of ``rows`` households, each with its own valid ID."""
    start = datetime.date(1950, 1, 1)
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
    lines = [HEADER]
    for i in range(rows):
        birth = start + datetime.timedelta(days=i // 1000)
        name = surnames[i % 20] + given[(i // 20) % len(given)] + given[(i // 500) % len(given)]
        lines.append(
            [i + 1, name, make_id(i, birth=f"{birth:%Y%m%d}"), f"{i % 9 + 1}组", i % 5 + 1, 300 + i % 900, "A类", ""]
        )
    return csv_bytes(lines, "utf-8")


def small_roster():
    return csv_bytes([HEADER, *standard_rows()], "utf-8")


def upload(actor, division, category, data):
    return importer.roster_import_upload(
        actor=actor,
        division=division,
        category=category,
        period="2026-11",
        phase="pre",
        file=data,
        original_name="名单.csv",
        background=False,
    )


def in_thread(target, errors):
    def run():
        try:
            target()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_big_import_in_one_village_does_not_block_an_import_in_another(transactional_db, world, clerk_v1):
    clerk_v2 = staff("clerk_v2", Role.VILLAGE_CLERK, world.v2)
    category = roster_category()
    importer.roster_import_confirm(job=upload(clerk_v1, world.v1, category, small_roster()), actor=clerk_v1)
    job_a = upload(clerk_v1, world.v1, category, big_roster())  # replaces the rows of an existing draft
    assert job_a.status == ImportStatus.READY, job_a.result.get("errors", [])[:3]
    inserted, release = threading.Event(), threading.Event()
    errors, seen_by_b = [], {}

    def import_a_and_hold_the_transaction_open():
        with transaction.atomic():
            importer.roster_import_confirm(job=job_a, actor=clerk_v1)
            inserted.set()
            assert release.wait(WAIT), "B never finished"

    def upload_and_confirm_b():
        assert inserted.wait(WAIT), "A never inserted"
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")  # a wait on A's locks fails here instead of hanging
        job_b = upload(clerk_v2, world.v2, category, small_roster())
        revision = importer.roster_import_confirm(job=job_b, actor=clerk_v2)
        seen_by_b["entries"] = revision.entry_count
        seen_by_b["a_still_open"] = not release.is_set()

    thread_a = in_thread(import_a_and_hold_the_transaction_open, errors)
    thread_b = in_thread(upload_and_confirm_b, errors)
    thread_b.join(WAIT)
    release.set()
    thread_a.join(WAIT)

    assert not errors, errors
    assert seen_by_b == {"entries": 3, "a_still_open": True}
    assert RosterEntry.objects.filter(revision__disclosure__division=world.v1).count() == BIG_ROWS
    assert RosterEntry.objects.filter(revision__disclosure__division=world.v2).count() == 3


def test_ten_imports_into_one_new_slot_end_cleanly(transactional_db, world, clerk_v1, tmp_path):
    category = roster_category()
    path = tmp_path / "名单.csv"
    path.write_bytes(small_roster())
    callers = 10
    barrier = threading.Barrier(callers)
    errors, revisions, refusals = [], [], []

    def import_file():
        barrier.wait()
        try:
            _job, revision = importer.roster_import_file(
                actor=clerk_v1, division=world.v1, category=category, period="2026-11", phase="pre", path=path
            )
            revisions.append(revision.pk)
        except ValidationError as exc:  # a clear refusal is a clean end; anything else is reported
            refusals.append(exc.messages)

    threads = [in_thread(import_file, errors) for _ in range(callers)]
    for thread in threads:
        thread.join(WAIT)

    assert not errors, errors
    assert len(revisions) + len(refusals) == callers
    assert all("审核" in " ".join(messages) for messages in refusals), refusals
    assert Disclosure.objects.count() == 1 and Revision.objects.count() == 1
    assert set(revisions) == {Revision.objects.get().pk}
    assert RosterEntry.objects.count() == 3  # each import replaced the draft's rows; none doubled them
    assert ImportJob.objects.filter(status=ImportStatus.IMPORTED).count() == len(revisions)
