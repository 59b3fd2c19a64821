"""Pages that combine domain apps: the public village page and 乡镇统计."""

import io

from openpyxl import load_workbook

from complaints import services as complaint_services
from complaints.categories import seed_categories as seed_complaint_categories
from complaints.models import ComplaintCategory
from disclosures.selectors import period_pickers
from portal.selectors import township_figures
from tests.disclosures.conftest import categories, crew  # noqa: F401  (fixtures)
from tests.disclosures.helpers import entry, published_roster

FIGURES = "/admin/disclosures/townshipreport/"


def _complaint_in(village):
    seed_complaint_categories()
    category = ComplaintCategory.objects.get(service_code="environment")
    complaint_services.complaint_submit(category=category, village=village, text="村口垃圾堆了半个月没人清理。")


def test_village_page_shows_the_disclosures_section_then_the_complaints_section(client, world):
    html = client.get(f"/v/{world.v1.code}/").content.decode()
    assert 'id="disclosures-h"' in html and 'id="complaints-h"' in html
    assert html.index('id="disclosures-h"') < html.index('id="complaints-h"')
    assert f'href="/v/{world.v1.code}/"' not in client.get("/t/990102000000/").content.decode()
    assert f'href="/v/{world.v1.code}/"' in client.get(f"/t/{world.t1.code}/").content.decode()


def test_township_figures_combine_disclosure_and_complaint_figures(world, inspector):
    _complaint_in(world.v1)
    figures, _categories = township_figures(inspector)
    by_name = {row.township.name: row for row in figures}
    assert set(by_name) == {"一乡", "二乡"}
    assert by_name["一乡"].complaints["received"] == 1
    assert by_name["二乡"].complaints is None  # no complaint there: the table shows 0 and dashes
    assert by_name["一乡"].rosters == {}  # no period asked for: no payout figures


def test_township_figures_page_keeps_its_address_and_shows_complaints(client, world, inspector, reviewer_t1):
    _complaint_in(world.v1)
    client.force_login(inspector)
    response = client.get(FIGURES)
    html = response.content.decode()
    assert response.status_code == 200 and "留言投诉" in html and "一乡" in html and "二乡" in html
    export = client.get(f"{FIGURES}export/townships.xlsx")
    sheets = load_workbook(io.BytesIO(export.content), read_only=True)
    complaint_rows = [list(row) for row in sheets["留言投诉"].iter_rows(values_only=True)]
    assert complaint_rows[1:] == [["一乡", 1, "— (0)", "— (0)", "— (0)"], ["二乡", 0, "—", "—", "—"]]
    client.force_login(reviewer_t1)
    assert "二乡" not in client.get(FIGURES).content.decode()


def _picker(html, kind):
    start = html.index(f'id="period-{kind}"')
    return html[start : html.index("</form>", start)]


def test_township_figures_offer_one_period_picker_per_kind(client, world, inspector, categories, crew):  # noqa: F811
    published_roster(*crew, world.v1, categories["dibao"], period="2026-09", phase="post", rows=[entry("孙八", 300)])
    published_roster(*crew, world.v1, categories["dibao"], period="2026-08", phase="post", rows=[entry("孙八", 300)])
    published_roster(*crew, world.v1, categories["weifang"], period="2026", phase="post", rows=[entry("周九", 9000)])
    client.force_login(inspector)
    html = client.get(FIGURES).content.decode()
    month, quarter, year = _picker(html, "month"), _picker(html, "quarter"), _picker(html, "year")
    assert 'value="2026-09" selected' in month and 'value="2026-08">' in month and "2026<" not in month
    assert "disabled" in quarter and "无" in quarter  # no quarterly payout: an empty picker says so
    assert 'value="2026">' in year and 'value="" selected' in year and "2026-09" not in year
    assert 'id="period-date"' not in html  # no category pays per event here
    html = client.get(FIGURES + "?period=2026").content.decode()
    assert 'value="2026" selected' in _picker(html, "year") and 'value="" selected' in _picker(html, "month")
    assert "发放结果名单（2026）" in html
    html = client.get(FIGURES + "?period=").content.decode()  # 请选择 submitted: the current period stays
    assert 'value="2026-09" selected' in _picker(html, "month")


def test_period_pickers_split_a_mixed_list_by_kind():
    pickers = period_pickers(["2026-Q4", "2026-11", "2026-10-15", "2026", "2026-10", "2025-Q4"], "2026-Q4")
    assert [(p.kind, p.periods, p.selected) for p in pickers] == [
        ("month", ["2026-11", "2026-10"], ""),
        ("quarter", ["2026-Q4", "2025-Q4"], "2026-Q4"),
        ("year", ["2026"], ""),
        ("date", ["2026-10-15"], ""),
    ]
