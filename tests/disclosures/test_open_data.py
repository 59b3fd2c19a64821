"""Open data: every public revision as CSV and xlsx (allow-listed fields only, formulas as text), the catalogue
page (/data/) and its DCAT-style JSON (/data/catalog.json)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.cache import cache
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
        cache.clear()  # both written afresh (a written file is kept in the cache)
        assert _queries(client, file_url(one, fmt)) == _queries(client, file_url(many, fmt))


def test_a_written_file_is_kept_and_a_take_down_still_wins(client, world, categories, crew, county_admin):
    roster = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    first = client.get(file_url(roster, "xlsx")).content
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(file_url(roster, "xlsx")).content == first
    assert not any("disclosures_rosterentry" in q["sql"] for q in ctx.captured_queries)  # from the cache
    s.disclosure_take_down(disclosure=roster, actor=county_admin, reason="依申请删除")
    assert client.get(file_url(roster, "xlsx")).status_code == 410


# ---------------------------------------------------------------- the catalogue


@pytest.fixture
def published_world(world, categories, crew, clerk_v3, reviewer_t2, discipline_t2, county_admin):
    """甲村: a 低保 pre and payout (the payout corrected), a ledger; 丙村 (二乡): a 特困 roster; a draft and a
    taken-down roster that the catalogue must not list."""
    clerk, reviewer, discipline = crew
    pre = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    post = published_roster(*crew, world.v1, categories["dibao"], phase="post", pre=pre, rows=[entry("张三", 500)])
    correction = s.disclosure_open_correction(actor=clerk, disclosure=post, reason="金额更正")
    s.revision_replace_entries(actor=clerk, revision=correction, entries=[entry("张三", 520)])
    s.disclosure_submit(disclosure=post, actor=clerk)
    post = approve_and_publish(post, reviewer, discipline)
    ledger = draft_ledger(clerk, world.v1, categories["caiwu"])
    s.disclosure_submit(disclosure=ledger, actor=clerk)
    ledger = approve_and_publish(ledger, reviewer, discipline)
    tekun = published_roster(
        clerk_v3, reviewer_t2, discipline_t2, world.v3, categories["tekun"], rows=[entry("李四", 900)]
    )
    s.disclosure_open_draft(actor=clerk, division=world.v1, category=categories["tekun"], period="2026-11", phase="pre")
    gone = published_roster(*crew, world.v1, categories["dibao"], period="2026-08", rows=[entry("孙八", 900)])
    s.disclosure_take_down(disclosure=gone, actor=county_admin, reason="依申请删除")
    return type("Published", (), {"pre": pre, "post": post, "ledger": ledger, "tekun": tekun, "gone": gone})


def test_the_catalogue_lists_every_public_disclosure_once_with_working_links(client, published_world):
    page = client.get("/data/").content.decode()
    assert "共 4 项" in page
    listed = (published_world.pre, published_world.post, published_world.ledger, published_world.tekun)
    for disclosure in listed:
        number = disclosure.current_revision.number
        for url in (
            open_data.revision_url(disclosure, number),
            file_url(disclosure, "csv"),
            file_url(disclosure, "xlsx"),
        ):
            assert page.count(f'href="{url}"') == 1
            assert client.get(url).status_code == 200
    assert file_url(published_world.post, "csv", number=1) not in page  # one entry per disclosure: the current version
    assert "孙八" not in page and "2026-08" not in page and "特困人员救助供养 · 2026-11" not in page
    assert "第 2 版" in page and "更正" in page


def test_the_catalogue_filters_by_township_village_and_category(client, world, published_world):
    def listed(query):
        page = client.get(f"/data/?{query}").content.decode()
        return page.count('class="card"'), page

    assert listed(f"township={world.t2.code}")[0] == 1
    assert listed(f"village={world.v1.code}")[0] == 3
    assert listed(f"village={world.v1.code}&category=caiwu")[0] == 1
    assert listed("category=dibao")[0] == 2
    count, page = listed("village=nonsense&category=dibao")
    assert count == 2 and "以下筛选条件无效，已忽略" in page and 'href="#id_village"' in page


def test_the_catalogue_pages_keep_their_filters(client, world, categories, crew, settings, monkeypatch):
    monkeypatch.setattr(open_data, "CATALOGUE_PAGE_SIZE", 2)
    for month in ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05"):
        published_roster(*crew, world.v1, categories["dibao"], period=month, rows=[entry("张三", 500)])
    first = client.get(f"/data/?village={world.v1.code}").content.decode()
    assert "第 1 / 3 页" in first and f'href="?village={world.v1.code}&amp;page=2"' in first
    last = client.get(f"/data/?village={world.v1.code}&page=3").content.decode()
    assert last.count('class="card"') == 1 and "2026-01" in last


def test_the_json_catalogue_is_dcat_shaped(client, world, published_world):
    response = client.get("/data/catalog.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["@type"] == "dcat:Catalog" and data["language"] == "zh-Hans"
    assert {"title", "description", "publisher", "issued", "modified", "homepage", "dataset"} <= set(data)
    assert data["totalItems"] == 4 and data["next"] is None and len(data["dataset"]) == 4
    post = published_world.post
    by_id = {d["identifier"]: d for d in data["dataset"]}
    dataset = by_id[f"{world.v1.code}/dibao/2026-10/post"]
    assert dataset["@type"] == "dcat:Dataset" and dataset["version"] == 2
    assert dataset["title"] == "一乡 甲村 最低生活保障（低保） 2026-10 发放结果公开"
    assert dataset["publisher"] == {"@type": "foaf:Agent", "name": world.v1.full_name, "identifier": world.v1.code}
    assert dataset["temporal"] == {"period": "2026-10", "startDate": "2026-10-01", "endDate": "2026-10-31"}
    assert dataset["theme"] == "dibao" and "最低生活保障（低保）" in dataset["keyword"]
    assert dataset["modified"] == post.current_revision.published_at.astimezone().isoformat()
    assert dataset["landingPage"] == open_data.site_url(open_data.revision_url(post, 2))
    assert [(d["format"], d["mediaType"]) for d in dataset["distribution"]] == [
        ("CSV", "text/csv"),
        ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]
    for distribution in dataset["distribution"]:
        assert distribution["@type"] == "dcat:Distribution"
        path = distribution["downloadURL"].removeprefix(open_data.site_url(""))
        assert path == file_url(post, distribution["format"].lower())
        assert client.get(path).status_code == 200
    assert f"{world.v3.code}/tekun/2026-10/pre" in by_id
    only = client.get(f"/data/catalog.json?township={world.t2.code}").json()
    assert [d["identifier"] for d in only["dataset"]] == [f"{world.v3.code}/tekun/2026-10/pre"]
    bad = client.get("/data/catalog.json?category=nonsense")
    assert bad.status_code == 400 and "category" in bad.json()["errors"]


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2026", "2026-01-01", "2026-12-31"),
        ("2026-11-23", "2026-11-23", "2026-11-23"),
        ("odd", None, None),
    ],
)
def test_a_period_key_covers_its_days(period, start, end):
    dates = open_data.period_dates(period)
    assert [d.isoformat() if d else None for d in dates] == [start, end]


def test_the_json_catalogue_pages_and_revalidates(client, world, categories, crew, county_admin, monkeypatch):
    monkeypatch.setattr(open_data, "JSON_PAGE_SIZE", 2)
    rosters = [
        published_roster(*crew, world.v1, categories["dibao"], period=month, rows=[entry("张三", 500)])
        for month in ("2026-01", "2026-02", "2026-03")
    ]
    first = client.get("/data/catalog.json")
    data = first.json()
    assert data["totalItems"] == 3 and len(data["dataset"]) == 2
    assert data["next"] == open_data.site_url("/data/catalog.json?page=2")
    assert len(client.get("/data/catalog.json?page=2").json()["dataset"]) == 1
    assert client.get("/data/catalog.json?page=3").status_code == 404
    assert first["Cache-Control"] == "public, no-cache" and first["Last-Modified"]
    assert client.get("/data/catalog.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    s.disclosure_take_down(disclosure=rosters[0], actor=county_admin, reason="依申请删除")
    changed = client.get("/data/catalog.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["totalItems"] == 2  # a take-down is seen at once


@pytest.mark.parametrize("url", ["/data/", "/data/?category=dibao", "/data/catalog.json"])
def test_the_catalogue_costs_the_same_queries_with_one_disclosure_and_with_many(client, world, categories, crew, url):
    published_roster(*crew, world.v1, categories["dibao"], period="2026-01", rows=[entry("张三", 500)])
    client.get(url)  # warm up
    cache.clear()  # the JSON is kept in the cache under its ETag: measure it written afresh both times
    one = _queries(client, url)
    for month in ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06"):
        published_roster(*crew, world.v1, categories["dibao"], period=month, rows=[entry("张三", 500)])
    assert _queries(client, url) == one


def test_pages_link_the_files_and_the_catalogue(client, world, published_world):
    post = published_world.post
    page = client.get(open_data.revision_url(post, 1)).content.decode()
    assert file_url(post, "csv", number=1) in page and file_url(post, "xlsx", number=1) in page  # that version's
    assert f"/data/?village={world.v1.code}" in page
    assert f"/data/?township={world.t1.code}" in client.get(f"/d/{world.t1.code}/").content.decode()
