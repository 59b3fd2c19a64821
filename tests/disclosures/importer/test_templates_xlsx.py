"""Every roster category's template, filled in, imports exactly."""

import io
from decimal import Decimal

import openpyxl
import pytest

from disclosures.categories import seed_categories
from disclosures.importer import services as importer
from disclosures.models import Category, ImportStatus, Kind
from disclosures.templates_xlsx import HEADER_ROW, roster_template, template_columns
from sunshine.identity import decrypt, person_key

from .corpus import make_id

SAMPLE = {
    "name": ["张三", "李四", "欧阳修文"],
    "id_number": [make_id(21), make_id(22).lower(), make_id(23)],
    "group": ["一组", "二组", "三组"],
    "household_size": [1, 4, 2],
    "amount": [Decimal("1200"), Decimal("960.5"), Decimal("0.01")],
    "assistance_class": ["A类", "B类", ""],
    "bank_account": ["6217001234567890123", "", "6228480000000000001"],
    "remark": ["", "新增", "调整"],
}


def roster_categories():
    seed_categories()
    Category.objects.update_or_create(
        slug="ranged",
        defaults={
            "name": "有金额范围的名单",
            "kind": Kind.ROSTER,
            "cadence": "monthly",
            "public_fields": ["name", "household_size", "amount"],
            "amount_min": Decimal("0"),
            "amount_max": Decimal("1500"),
        },
    )
    return list(Category.objects.filter(kind=Kind.ROSTER).order_by("slug"))


@pytest.mark.parametrize("slug", ["dibao", "tekun", "linshi", "weifang", "gengdi", "huinong", "ranged"])
def test_every_template_round_trips(world, clerk_v1, slug):
    category = next(c for c in roster_categories() if c.slug == slug)
    columns = template_columns(category)
    wb = openpyxl.load_workbook(io.BytesIO(roster_template(category)))
    ws = wb.active
    assert [ws.cell(row=HEADER_ROW, column=i + 1).value for i in range(len(columns))] == [c[1] for c in columns]
    assert ws.data_validations.dataValidation, "the template carries data validation"
    for row in range(3):
        for index, (field, *_rest) in enumerate(columns, start=1):
            ws.cell(row=HEADER_ROW + 1 + row, column=index, value=SAMPLE[field][row] or None)
    ws.cell(row=HEADER_ROW + 5, column=1, value="合计")
    ws.cell(row=HEADER_ROW + 6, column=1, value="制表人：赵六")
    out = io.BytesIO()
    wb.save(out)

    job = importer.roster_import_upload(
        actor=clerk_v1,
        division=world.v1,
        category=category,
        period="2026-11-23" if category.cadence == "per_event" else "2026-11",
        phase="pre",
        file=out.getvalue(),
        original_name="filled.xlsx",
    )
    assert job.status == ImportStatus.READY, job.result
    revision = importer.roster_import_confirm(job=job, actor=clerk_v1)

    fields = [c[0] for c in columns]
    entries = list(revision.entries.order_by("position"))
    assert [e.source_row for e in entries] == [4, 5, 6]
    for row, entry in enumerate(entries):
        assert entry.name == SAMPLE["name"][row]
        assert entry.person_key == person_key(SAMPLE["id_number"][row].upper())
        assert entry.amount == SAMPLE["amount"][row].quantize(Decimal("0.01"))
        assert entry.group == SAMPLE["group"][row]
        assert entry.remark == SAMPLE["remark"][row]
        if "household_size" in fields:
            assert entry.household_size == SAMPLE["household_size"][row]
        if "assistance_class" in fields:
            assert entry.assistance_class == SAMPLE["assistance_class"][row]
        if "bank_account" in fields:
            assert decrypt(entry.bank_account_encrypted) == SAMPLE["bank_account"][row]
            assert decrypt(entry.id_encrypted) == SAMPLE["id_number"][row].upper()
