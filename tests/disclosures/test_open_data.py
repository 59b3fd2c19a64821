"""Open data: every public revision as CSV and xlsx (allow-listed fields only, formulas as text), the catalogue
page (/data/) and its DCAT-style JSON (/data/catalog.json)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosures import open_data
from disclosures import services as s
from disclosures.models import Attachment, LedgerLine
from sunshine.identity import mask_id, person_key
from tests.disclosures.helpers import IDS, approve_and_publish, draft_ledger, entry, published_roster

PHONE = "13912345678"
BANK = "6222020200001234567"
ROSTER_SLUGS = ["dibao", "tekun", "linshi", "weifang", "gengdi", "huinong"]


def csv_rows(response):
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel on Windows reads the Chinese
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def xlsx_cells(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def file_url(disclosure, fmt, number=None):
    return open_data.download_url(disclosure, number or disclosure.current_revision.number, fmt)


def _period(slug):
    return {"linshi": "2026-10-05", "weifang": "2026", "gengdi": "2026", "huinong": "2026"}.get(slug, "2026-10")


@pytest.mark.parametrize("slug", ROSTER_SLUGS)
def test_a_roster_file_holds_the_category_allow_list_and_nothing_else(client, world, categories, crew, slug):
    category = categories[slug]
    roster = published_roster(
        *crew, world.v1, category, period=_period(slug),
        rows=[entry("张三", 500, id_number=IDS[0], bank=BANK, remark=f"电话 {PHONE}"), entry("李四", 300.5)],
    )  # fmt: skip
    fields = open_data.public_fields_of(category)
    labels = [open_data.FIELD_LABELS[f] for f in fields]
    for fmt, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.get(file_url(roster, fmt))
        assert response.status_code == 200 and response["Content-Type"].startswith(open_data.CONTENT_TYPES[fmt])
        rows = read(response)
        assert rows[0] == [*open_data.PLACE_HEADERS, *labels]
        assert len(rows) == 3
        place = [world.v1.code, "一乡", "甲村", category.name, roster.period, "拟享受名单公示"]
        assert [str(v) for v in rows[1][:6]] == place and str(rows[1][6]) == "1"
        text = "\n".join(str(v) for row in rows for v in row)
        assert "张三" in text and "李四" in text
        for secret in (IDS[0], BANK, PHONE, person_key(IDS[0])):
            assert secret not in text
        assert (mask_id(IDS[0]) in text) == ("id_masked" in fields)
        assert ("电话 ***********" in text) == ("remark" in fields)  # a remark is public only where allow-listed
    amounts = [row[rows[0].index("金额（元）")] for row in xlsx_rows(client.get(file_url(roster, "xlsx")))[1:]]
    assert amounts == [500, 300.5]  # numbers, not text: a spreadsheet can add them up


def test_a_ledger_and_a_document_download_as_their_pages_show_them(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    lines = [
        LedgerLine(date=dt.date(2026, 10, 3), voucher_no="记-01", summary=f"退款 {PHONE}", income=Decimal("81500")),
        LedgerLine(date=dt.date(2026, 10, 9), voucher_no="记-02", summary="购买水泥", expense=Decimal("6833")),
    ]
    ledger = draft_ledger(clerk, world.v1, categories["caiwu"], lines=lines)
    s.disclosure_submit(disclosure=ledger, actor=clerk)
    ledger = approve_and_publish(ledger, reviewer, discipline)
    rows = xlsx_rows(client.get(file_url(ledger, "xlsx")))
    assert rows[0][len(open_data.PLACE_HEADERS) :] == list(open_data.LEDGER_HEADERS)
    assert [row[7:] for row in rows[1:]] == [
        [dt.datetime(2026, 10, 3), "记-01", "退款 ***********", 81500, 0, 81500],
        [dt.datetime(2026, 10, 9), "记-02", "购买水泥", 0, 6833, 74667],
    ]
    assert csv_rows(client.get(file_url(ledger, "csv")))[1][7:] == [
        "2026-10-03", "记-01", "退款 ***********", "81500.00", "0.00", "81500.00",
    ]  # fmt: skip

    revision = s.disclosure_open_draft(
        actor=reviewer, division=world.v1, category=categories["tonggao"], period="2026-11-20"
    )
    s.revision_update_content(actor=reviewer, revision=revision, title="停水通知", body=f"停水一天，电话{PHONE}")
    attachment = Attachment(revision=revision, title=f"停水范围图 {IDS[1]}", size=4, content_type="application/pdf")
    attachment.file.save("map.pdf", ContentFile(b"%PDF"), save=True)
    notice = approve_and_publish(revision.disclosure, reviewer)
    rows = csv_rows(client.get(file_url(notice, "csv")))
    assert rows[0][len(open_data.PLACE_HEADERS) :] == list(open_data.DOCUMENT_HEADERS)
    assert rows[1][7:] == ["停水通知", "停水一天，电话***********", "", ""]
    assert rows[2][7:] == [
        "停水通知",
        "",
        "停水范围图 ******************",
        open_data.site_url(f"/d/files/{attachment.pk}/"),
    ]


def test_a_name_typed_as_a_formula_stays_text(client, world, categories, crew):
    roster = published_roster(
        *crew, world.v1, categories["dibao"],
        rows=[entry('=HYPERLINK("http://evil.example","点击")', 500), entry("@SUM(A1)", 300), entry("-2+3", 100)],
    )  # fmt: skip
    cells = {cell.value: cell for cell in xlsx_cells(client.get(file_url(roster, "xlsx")))}
    for name in ('=HYPERLINK("http://evil.example","点击")', "@SUM(A1)", "-2+3"):
        assert cells[name].data_type == "s" and cells[name].quotePrefix  # a string, never a formula
    names = [row[7] for row in csv_rows(client.get(file_url(roster, "csv")))[1:]]
    assert names == ['\'=HYPERLINK("http://evil.example","点击")', "'@SUM(A1)", "'-2+3"]


def test_only_what_the_public_pages_show_can_be_downloaded(client, world, categories, crew, county_admin):
    clerk, reviewer, discipline = crew
    roster = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    correction = s.disclosure_open_correction(actor=clerk, disclosure=roster, reason="金额更正")
    s.revision_replace_entries(actor=clerk, revision=correction, entries=[entry("张三", 520, id_number=IDS[0])])
    s.disclosure_submit(disclosure=roster, actor=clerk)
    for fmt in open_data.FORMATS:
        assert client.get(file_url(roster, fmt, number=2)).status_code == 404  # under review
    approve_and_publish(roster, reviewer, discipline)
    old = csv_rows(client.get(file_url(roster, "csv", number=1)))  # superseded: readable, like its page
    new = csv_rows(client.get(file_url(roster, "csv", number=2)))
    assert (old[1][6:], new[1][6:]) == (
        ["1", "张三", "一组", "1", "500.00", "A"],
        ["2", "张三", "一组", "1", "520.00", "A"],
    )
    assert client.get(file_url(roster, "csv", number=3)).status_code == 404

    unpublished = s.disclosure_open_draft(
        actor=clerk, division=world.v1, category=categories["tekun"], period="2026-10", phase="pre"
    ).disclosure
    s.revision_replace_entries(actor=clerk, revision=unpublished.revisions.get(), entries=[entry("王五", 100)])
    assert client.get(open_data.download_url(unpublished, 1, "csv")).status_code == 404  # a draft

    s.disclosure_take_down(disclosure=roster, actor=county_admin, reason="依申请删除")
    for number in (1, 2):
        for fmt in open_data.FORMATS:
            response = client.get(file_url(roster, fmt, number=number))
            assert response.status_code == 410 and "张三".encode() not in response.content


def test_a_file_is_revalidated_cheaply(client, world, categories, crew):
    roster = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    first = client.get(file_url(roster, "xlsx"))
    assert first["Cache-Control"] == "public, no-cache" and first["Last-Modified"] and first["ETag"]
    assert "attachment;" in first["Content-Disposition"] and "filename*=UTF-8''" in first["Content-Disposition"]
    again = client.get(file_url(roster, "xlsx"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    other = client.get(file_url(roster, "csv"), HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200  # the two formats are two resources


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_a_file_costs_the_same_queries_with_one_row_and_with_many(client, world, categories, crew):
    one = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    many = published_roster(
        *crew, world.v1, categories["dibao"], period="2026-09", rows=[entry(f"户{n}", 100 + n) for n in range(300)]
    )
    for fmt in open_data.FORMATS:
        client.get(file_url(one, fmt))  # warm up
        assert _queries(client, file_url(one, fmt)) == _queries(client, file_url(many, fmt))
