"""One rule per roster field: the admin, the staff API and the importer accept or refuse the same value
with the same message (disclosures.validators)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from disclosures import validators
from disclosures.importer import services as importer
from disclosures.models import ImportStatus, Revision, RosterEntry
from tests.disclosures.helpers import IDS
from tests.disclosures.importer.corpus import HEADER, make_id, rows_sheet, xlsx_bytes
from tests.disclosures.test_admin import rows_post

TOO_MUCH = "金额 2000.00 元超出本类别范围（0–1500 元）"
TOO_MANY = "应在 1 到 30 之间，实际为 31"


@pytest.fixture
def capped(categories):
    category = categories["dibao"]
    category.amount_min, category.amount_max = Decimal("0"), Decimal("1500.00")
    category.save(update_fields=["amount_min", "amount_max"])
    return category


@pytest.fixture
def draft(world, capped, clerk_v1):
    from disclosures import services

    return services.disclosure_open_draft(
        actor=clerk_v1, division=world.v1, category=capped, period="2026-11", phase="pre"
    )


def test_the_rules_themselves(capped):
    assert validators.amount_message(Decimal("1500"), capped) is None
    assert validators.amount_message(Decimal("2000"), capped) == TOO_MUCH
    capped.amount_max = None
    capped.amount_min = Decimal("100")
    assert validators.amount_message(Decimal("50"), capped) == "金额 50.00 元低于本类别下限 100 元"
    assert validators.household_size_message(31) == TOO_MANY
    assert validators.household_size_message(0) == "应在 1 到 30 之间，实际为 0"
    assert validators.household_size_message(30) is None


def test_admin_refuses_an_amount_above_the_category_max(client, draft, clerk_v1):
    client.force_login(clerk_v1)
    url = f"/admin/disclosures/revision/{draft.pk}/change/"
    rows = [{"name": "张三", "household_size": "31", "amount": "2000", "id_number": IDS[0]}]
    page = client.post(url, rows_post(draft, rows))
    html = page.content.decode()
    assert page.status_code == 200 and TOO_MUCH in html and TOO_MANY in html
    assert not RosterEntry.objects.exists()
    ok = client.post(
        url, rows_post(draft, [{"name": "张三", "household_size": "2", "amount": "1500", "id_number": IDS[0]}])
    )
    assert ok.status_code == 302 and RosterEntry.objects.get().amount == Decimal("1500")


def test_staff_api_refuses_an_amount_above_the_category_max(draft, clerk_v1):
    client = APIClient()
    client.force_authenticate(clerk_v1)
    url = f"/api/v1/staff/disclosures/{draft.disclosure_id}/entries/"
    rows = [
        {"name": "张三", "amount": "500", "household_size": 2, "id_number": IDS[0]},
        {"name": "李四", "amount": "2000", "household_size": 31, "id_number": IDS[2]},
    ]
    response = client.post(url, rows, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == [f"第 2 行「保障人数」{TOO_MANY}", f"第 2 行「金额」{TOO_MUCH}"]
    assert not RosterEntry.objects.exists()
    rows[1].update(amount="1500", household_size=30)
    assert client.post(url, rows, format="json").status_code == 200
    assert Revision.objects.get(pk=draft.pk).entry_count == 2


def test_importer_refuses_an_amount_above_the_category_max(world, capped, clerk_v1):
    def build(wb):
        rows_sheet(wb.active, [HEADER, [1, "张三", make_id(1), "一组", 31, Decimal("2000"), "A类", ""]])

    job = importer.roster_import_upload(
        actor=clerk_v1, division=world.v1, category=capped, period="2026-11", phase="pre",
        file=xlsx_bytes(build), original_name="名单.xlsx",
    )  # fmt: skip
    assert job.status == ImportStatus.INVALID
    assert [e["message"] for e in job.result["errors"]] == [TOO_MANY, TOO_MUCH]
