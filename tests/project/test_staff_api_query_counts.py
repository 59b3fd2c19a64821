"""Every staff API list (and the public lists beside them) loads each row once: the same number of queries for
one row as for fifty (a full page), however the rows are made."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.categories import seed_categories as seed_complaint_categories
from complaints.models import Complaint, ComplaintCategory, Level, Role, Status
from disclosures.categories import seed_categories
from disclosures.models import Category, Disclosure, ImportJob, Revision, RevisionState, RosterEntry
from sunshine.audit.services import audit_record_rows
from tests import factories as f

PAGE = 50


@pytest.fixture
def categories(db):
    seed_categories()
    return {c.slug: c for c in Category.objects.all()}


def count_queries(client, url):
    client.get(url)  # warm: the user's memberships, content types, the connection
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(ctx.captured_queries), response.json()


def rows_of(payload):
    return payload["results"] if isinstance(payload, dict) else payload


def month(n):
    return f"{2000 + n // 12}-{n % 12 + 1:02d}"


def disclosures(world, categories, clerk, first, count, *, published):
    """``count`` roster disclosures of 甲村, each with a revision of two entries (published or a draft)."""
    made = Disclosure.objects.bulk_create([
        Disclosure(division=world.v1, category=categories["dibao"], period=month(first + i),
                   phase="post" if published else "pre", status="confirmed" if published else "draft",
                   first_published_at=timezone.now() if published else None, created_by=clerk)
        for i in range(count)
    ])  # fmt: skip
    state = RevisionState.PUBLISHED if published else RevisionState.DRAFT
    revisions = Revision.objects.bulk_create([
        Revision(disclosure=d, number=1, state=state, entry_count=2, amount_total=Decimal("800"),
                 published_at=timezone.now() if published else None, checksum="0" * 64)
        for d in made
    ])  # fmt: skip
    RosterEntry.objects.bulk_create([
        RosterEntry(revision=r, position=p, name=f"村民{p}", group="一组", amount=Decimal("400"))
        for r in revisions for p in (1, 2)
    ])  # fmt: skip
    if published:
        for d, r in zip(made, revisions, strict=True):
            d.current_revision = r
        Disclosure.objects.bulk_update(made, ["current_revision"])
    return made


@pytest.mark.parametrize("published", [False, True], ids=["drafts", "published"])
def test_staff_disclosures(client, world, categories, clerk_v1, reviewer_t1, published):
    client.force_login(reviewer_t1)
    disclosures(world, categories, clerk_v1, 100, 1, published=published)
    one, payload = count_queries(client, "/api/v1/staff/disclosures/")
    assert len(rows_of(payload)) == 1
    disclosures(world, categories, clerk_v1, 101, PAGE - 1, published=published)
    many, payload = count_queries(client, "/api/v1/staff/disclosures/")
    assert len(rows_of(payload)) == PAGE and many == one


def test_public_disclosures_and_their_entries(client, world, categories, clerk_v1):
    (first,) = disclosures(world, categories, clerk_v1, 100, 1, published=True)
    one, _ = count_queries(client, "/api/v1/disclosures/")
    RosterEntry.objects.filter(revision=first.current_revision).delete()
    RosterEntry.objects.bulk_create([RosterEntry(revision=first.current_revision, name="一人", amount=1)])
    entries_one, payload = count_queries(client, f"/api/v1/disclosures/{first.pk}/entries/")
    assert len(rows_of(payload)) == 1
    # Fields the category does not publish (低保: no masked ID, no remark) are neither shown nor fetched row by row.
    assert set(rows_of(payload)[0]) == {"name", "group", "household_size", "amount", "assistance_class"}
    RosterEntry.objects.bulk_create(
        [RosterEntry(revision=first.current_revision, position=p, name=f"户{p}", remark="备注") for p in range(PAGE)]
    )
    entries_many, payload = count_queries(client, f"/api/v1/disclosures/{first.pk}/entries/")
    assert len(rows_of(payload)) == PAGE and entries_many == entries_one
    disclosures(world, categories, clerk_v1, 101, PAGE - 1, published=True)
    assert count_queries(client, "/api/v1/disclosures/")[0] == one


def complaints(world, count, level=Level.TOWNSHIP):
    seed_complaint_categories()
    category = ComplaintCategory.objects.get(service_code="subsidy")
    now = timezone.now()
    Complaint.objects.bulk_create([
        Complaint(category=category, village=world.v1, township=world.t1, county=world.county, division=world.t1,
                  level=level, handler_role=Role.TOWNSHIP_REVIEWER, status=(Status.SUBMITTED, Status.CLOSED)[i % 2],
                  text="补贴没发", submitted_at=now - dt.timedelta(days=i), due_at=now + dt.timedelta(days=i - 3),
                  secret_hash="x", tracking_code=f"T{count}{i:05d}")
        for i in range(count)
    ])  # fmt: skip


def test_staff_complaints(client, world, reviewer_t1):
    client.force_login(reviewer_t1)
    complaints(world, 1)
    one, payload = count_queries(client, "/api/v1/staff/complaints/")
    assert len(rows_of(payload)) == 1
    complaints(world, PAGE - 1)
    many, payload = count_queries(client, "/api/v1/staff/complaints/")
    assert len(rows_of(payload)) == PAGE and many == one


def test_staff_audit_events(client, world, inspector):
    client.force_login(inspector)

    def events(count):
        audit_record_rows([
            {"created_at": timezone.now(), "actor_id": inspector.pk, "actor_label": "inspector",
             "action": "auth.login_succeeded", "content_type_id": None, "object_id": "", "object_repr": "",
             "division_id": world.v1.pk, "changes": {}, "reason": "", "ip": None, "data": {}}
            for _ in range(count)
        ])  # fmt: skip

    events(1)
    one, _ = count_queries(client, "/api/v1/staff/audit-events/?action=auth.login_succeeded")
    events(PAGE)
    many, payload = count_queries(client, "/api/v1/staff/audit-events/?action=auth.login_succeeded")
    assert len(rows_of(payload)) == PAGE and many == one


def test_staff_memberships_and_divisions(client, world, county_admin):
    client.force_login(county_admin)
    f.staff("clerk_a", Role.VILLAGE_CLERK, world.v1)
    one, _ = count_queries(client, "/api/v1/staff/memberships/")
    divisions_one, _ = count_queries(client, "/api/v1/divisions/")
    for i in range(PAGE):
        f.staff(f"clerk_{i}", Role.VILLAGE_CLERK, world.v2)
        f.group(world.v2, f"第{i}组")
    many, payload = count_queries(client, "/api/v1/staff/memberships/")
    assert len(rows_of(payload)) == PAGE and many == one
    assert count_queries(client, "/api/v1/divisions/")[0] == divisions_one


def test_staff_roster_imports(client, world, categories, clerk_v1):
    client.force_login(clerk_v1)

    def jobs(count):
        ImportJob.objects.bulk_create([
            ImportJob(created_by=clerk_v1, division=world.v1, category=categories["dibao"], period="2026-10",
                      phase="pre", file="imports/x.xlsx", original_name="低保.xlsx", sha256="0" * 64,
                      expires_at=timezone.now() + dt.timedelta(days=1))
            for _ in range(count)
        ])  # fmt: skip

    jobs(1)
    one, _ = count_queries(client, "/api/v1/staff/roster-imports/")
    jobs(PAGE - 1)
    many, payload = count_queries(client, "/api/v1/staff/roster-imports/")
    assert len(rows_of(payload)) == PAGE and many == one
