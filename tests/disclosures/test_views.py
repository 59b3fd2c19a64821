"""Public pages: roster search, filter, pagination and print view; ledgers; corrections; feeds; calendar."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from disclosures import services as s
from disclosures.views import disclosure_url
from tests.disclosures.helpers import IDS, draft_ledger, draft_roster, entry, published_roster


def text(response):
    return response.content.decode()


def many(n):
    return [entry(f"村民{i:03d}", 100 + i, group=f"{1 + i % 3}组") for i in range(n)]


def test_roster_page_search_filter_and_print(client, world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=many(120))
    url = disclosure_url(disclosure)
    page = text(client.get(url))
    assert "村民000" in page and "村民049" in page and "村民050" not in page
    assert "第 1 / 3 页" in page
    assert "村民050" in text(client.get(url, {"page": 2}))
    found = text(client.get(url, {"q": "村民077"}))
    assert "村民077" in found and "村民000" not in found and "找到 1 条" in found
    grouped = text(client.get(url, {"group": "2组", "show": "all"}))
    assert "村民001" in grouped and "村民004" in grouped and "村民002" not in grouped
    everything = text(client.get(url, {"show": "all"}))
    assert "村民119" in everything and "第 1 / 3 页" not in everything


@pytest.mark.parametrize("show", ["", "all"])
def test_roster_page_queries_do_not_grow(client, world, categories, crew, django_assert_num_queries, show):
    one = published_roster(*crew, world.v1, categories["dibao"], period="2026-09", rows=many(1))
    five_hundred = published_roster(*crew, world.v1, categories["dibao"], period="2026-10", rows=many(500))
    params = {"show": show} if show else {}
    client.get(disclosure_url(one), params)  # warm caches (content types, sessions)
    counts = []
    for url in (disclosure_url(one), disclosure_url(five_hundred)):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], ctx.captured_queries
    url = disclosure_url(five_hundred)
    with django_assert_num_queries(counts[0]):
        response = client.get(url, params)
    assert response.content.decode().count("<tr>") == (501 if show else 51)


def test_only_allow_listed_fields_appear(client, world, categories, crew):
    dibao = published_roster(
        *crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0], remark="病残")]
    )
    page = text(client.get(disclosure_url(dibao)))
    assert "张三" in page and "病残" not in page and "11*************011" not in page
    assert "身份证" not in page.split("<main")[1].split("<footer")[0]
    gengdi = published_roster(
        *crew, world.v1, categories["gengdi"], period="2026", rows=[entry("李四", 80, id_number=IDS[1])]
    )
    page = text(client.get(disclosure_url(gengdi)))
    assert "11*************190" in page and IDS[1] not in page


def test_ledger_totals_and_balance(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = draft_ledger(clerk, world.v1, categories["caiwu"])
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    from tests.disclosures.helpers import approve_and_publish

    approve_and_publish(disclosure, reviewer, discipline)
    page = text(client.get(disclosure_url(disclosure)))
    assert "收入合计 81500.00 元，支出合计 6833.00 元，结余 74667.00 元" in page
    assert disclosure.current_revision.amount_total == 74667


def test_correction_is_marked_and_every_revision_stays_readable(client, world, categories, crew):
    clerk, reviewer, discipline = crew
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    revision = s.disclosure_open_correction(actor=clerk, disclosure=disclosure, reason="金额录入错误")
    s.revision_replace_entries(actor=clerk, revision=revision, entries=[entry("张三", 550, id_number=IDS[0])])
    s.disclosure_submit(disclosure=disclosure, actor=clerk)
    assert "550.00" not in text(client.get(disclosure_url(disclosure)))  # not public while in review
    from tests.disclosures.helpers import approve_and_publish

    approve_and_publish(disclosure, reviewer, discipline)
    current = text(client.get(disclosure_url(disclosure)))
    assert "更正" in current and "金额录入错误" in current and "550.00" in current
    old = text(client.get(disclosure_url(disclosure, "revision", number=1)))
    assert "500.00" in old and "已被更正的旧版本" in old
    history = text(client.get(disclosure_url(disclosure, "history")))
    assert "<del>500.00</del> → <ins>550.00</ins>" in history


def test_objection_link_only_during_window(client, world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"])
    page = text(client.get(disclosure_url(disclosure)))
    assert f"/complaints/new/?disclosure={disclosure.pk}" in page and "我有异议" in page
    s.disclosures_tick(unresolved_objections=lambda ids: set(), now=timezone.now() + dt.timedelta(days=8))
    page = text(client.get(disclosure_url(disclosure)))
    assert "我有异议" not in page and "公示期已于" in page


def test_drafts_are_not_public_and_taken_down_shows_no_data(client, world, categories, crew, county_admin):
    clerk = crew[0]
    draft = draft_roster(clerk, world.v1, categories["tekun"])
    assert client.get(f"/d/{world.v1.code}/tekun/2026-10/pre/").status_code == 404
    del draft
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("王五", 500)])
    s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除个人信息")
    response = client.get(disclosure_url(disclosure))
    assert response.status_code == 410 and "王五" not in text(response)
    assert client.get(disclosure_url(disclosure, "history")).status_code == 404


def test_village_section_feed_and_calendar(client, world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500)])
    village = text(client.get(f"/v/{world.v1.code}/"))
    assert "村务公开" in village and disclosure_url(disclosure) in village
    assert "逾期未公开" in village  # nothing published for last months' 低保 payouts
    assert f"/d/{world.v1.code}/feed/" in village
    for code in (world.v1.code, world.county.code):
        feed = client.get(f"/d/{code}/feed/")
        assert feed["Content-Type"].startswith("application/atom+xml")
        assert "最低生活保障" in text(feed) and "张三" not in text(feed)
    calendar = text(client.get(f"/d/{world.t1.code}/calendar/"))
    assert "逾期" in calendar and "乙村" in calendar
    township = text(client.get(f"/d/{world.t1.code}/"))
    assert f"/d/{world.v2.code}/calendar/" in township and "逾期项数" in township
    assert client.get(f"/d/{world.county.code}/").status_code == 200
    assert client.get(f"/d/{world.v1.code}/c/dibao/").status_code == 200


def test_reconciliation_page(client, world, categories, crew):
    pre = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500), entry("李四", 300)])
    post = published_roster(
        *crew, world.v1, categories["dibao"], phase="post", pre=pre, rows=[entry("张三", 500), entry("赵六", 400)]
    )
    page = text(client.get(disclosure_url(post, "reconciliation")))
    assert "已发放但未公示" in page and "已公示但未发放" in page and "按公示发放" in page
    assert client.get(disclosure_url(pre, "reconciliation")).status_code == 404


def test_roster_cells_are_escaped_and_rows_link_objections(client, world, categories, crew):
    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("<b>张三</b>", 500)])
    page = text(client.get(disclosure_url(disclosure)))
    assert "&lt;b&gt;张三&lt;/b&gt;" in page and "<b>张三" not in page
    row = disclosure.current_revision.entries.get()
    assert f"/complaints/new/?disclosure={disclosure.pk}&amp;entry={row.pk}" in page


def test_bulletin_pdf_has_names_checksum_and_qr(client, world, categories, crew, county_admin, run_tasks):
    from tests.crawl import pdf_text

    disclosure = published_roster(*crew, world.v1, categories["dibao"], rows=[entry("张三", 500, id_number=IDS[0])])
    run_tasks()  # the worker renders it after publication
    url = disclosure_url(disclosure, "bulletin", number=1)
    assert url in text(client.get(disclosure_url(disclosure)))
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    stored = b"".join(response.streaming_content)
    content = pdf_text(stored)
    assert "张三" in content and disclosure.current_revision.checksum[:16] in content.replace("\n", "")
    assert IDS[0] not in content
    assert b"".join(client.get(url).streaming_content) == stored  # stored once per revision
    s.disclosure_take_down(disclosure=disclosure, actor=county_admin, reason="依申请删除")
    assert client.get(url).status_code == 404


def test_document_page_and_attachments_only_once_published(client, world, categories, reviewer_t1):
    from django.core.files.base import ContentFile

    from disclosures.models import Attachment

    revision = s.disclosure_open_draft(
        actor=reviewer_t1, division=world.v1, category=categories["tonggao"], period="2026-11-20"
    )
    s.revision_update_content(actor=reviewer_t1, revision=revision, title="停水通知", body="11月25日停水一天")
    attachment = Attachment(revision=revision, title="停水范围图", size=4, content_type="application/pdf")
    attachment.file.save("map.pdf", ContentFile(b"%PDF"), save=True)
    assert client.get(f"/d/files/{attachment.pk}/").status_code == 404
    disclosure = revision.disclosure
    s.disclosure_submit(disclosure=disclosure, actor=reviewer_t1)
    s.disclosure_approve_township(disclosure=disclosure, actor=reviewer_t1)
    s.disclosure_publish(disclosure=disclosure, actor=reviewer_t1)
    page = text(client.get(disclosure_url(disclosure)))
    assert "停水通知" in page and "11月25日停水一天" in page and f"/d/files/{attachment.pk}/" in page
    response = client.get(f"/d/files/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF"
