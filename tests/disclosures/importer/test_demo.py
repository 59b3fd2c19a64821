"""Demo rosters go through the importer like a clerk's office file."""

from decimal import Decimal

from disclosures.importer.demo import import_people
from disclosures.models import ImportJob, ImportStatus

from .corpus import make_id
from .factories import roster_category


def test_import_people_goes_through_an_office_file(world, clerk_v1):
    people = [
        {"name": "王秀英", "id_number": make_id(31), "group": "一组", "household_size": 2, "amount": "650"},
        {"name": "李建国", "id_number": make_id(32), "group": "二组", "household_size": 1, "amount": "480.5"},
    ]
    revision = import_people(
        actor=clerk_v1, division=world.v1, category=roster_category(), period="2026-11", phase="pre", people=people
    )
    assert [(e.name, e.amount, e.source_row) for e in revision.entries.order_by("position")] == [
        ("王秀英", Decimal("650.00"), 4),
        ("李建国", Decimal("480.50"), 5),
    ]
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.IMPORTED and job.result["counts"]["skipped"] == 3  # 合计, blank, 制表人
