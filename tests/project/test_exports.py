"""One exporter base: rows declared once, written as xlsx and csv; text that a spreadsheet would run as a
formula (=, +, -, @, tab, CR) is written as text, numbers stay numbers; downloads carry Chinese file names."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from complaints.categories import seed_categories as seed_complaint_categories
from complaints.models import ComplaintCategory
from complaints.services import complaint_submit
from disclosures import services as s
from disclosures.categories import seed_categories as seed_disclosure_categories
from disclosures.models import Category
from sunshine.exports import ListExporter, Sheet, attachment, write_csv, write_xlsx
from tests.disclosures.helpers import IDS, draft_roster, entry

HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULA_LIKE = [HYPERLINK, "+8613800138000", "-1+2", "@SUM(A1:A2)", "\tcmd", "\rcmd", "=1+1", "-5"]
HARMLESS = ["张三", "5-3", "a=b", "—", "", " =not at start"]


class People(ListExporter):
    """A small exporter as the apps write them: headers declared once, rows yielded."""

    title = gettext_lazy("测试名单")
    identifier = "people"

    def __init__(self, rows):
        self.data = rows

    def headers(self):
        return [gettext_lazy("姓名"), "金额（元）"]

    def rows(self):
        yield from self.data


def xlsx_cells(data, sheet=0):
    """Every cell of one sheet, read back in full mode (formulas would come back as data_type "f")."""
    book = load_workbook(io.BytesIO(data))
    return [list(row) for row in book.worksheets[sheet].iter_rows()]


def stored_formulas(data):
    """<f> elements in the workbook's XML: a formula stored anywhere in any sheet."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            name for name in archive.namelist() if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]


def csv_rows(data):
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# The base


def test_xlsx_writes_formula_like_text_as_text():
    data = People([[text, 1] for text in FORMULA_LIKE]).xlsx()
    rows = xlsx_cells(data)
    assert [cell.value for cell in rows[0]] == ["姓名", "金额（元）"]
    for text, (name, _amount) in zip(FORMULA_LIKE, rows[1:], strict=True):
        # XML reads a stored carriage return back as a line feed; the cell is text either way.
        assert (name.value, name.data_type, name.quotePrefix) == (text.replace("\r", "\n"), "s", True)
    assert stored_formulas(data) == []


def test_xlsx_leaves_harmless_text_alone_and_numbers_numbers():
    values = [-5, 0, Decimal("-5.50"), 12.5, 300]
    data = People([[text, value] for text, value in zip(HARMLESS, values * 2, strict=False)]).xlsx()
    rows = xlsx_cells(data)[1:]
    assert [row[0].value or "" for row in rows] == HARMLESS
    assert not any(row[0].quotePrefix for row in rows)
    assert [(row[1].value, row[1].data_type) for row in rows[:5]] == [(v, "n") for v in (-5, 0, -5.5, 12.5, 300)]


def test_csv_prefixes_formula_like_text_and_keeps_numbers():
    data = People([[text, -5] for text in FORMULA_LIKE + HARMLESS] + [["张三", Decimal("-5.50")]]).csv()
    rows = csv_rows(data)
    assert rows[0] == ["姓名", "金额（元）"]
    assert [row[0] for row in rows[1:-1]] == ["'" + text for text in FORMULA_LIKE] + HARMLESS
    assert {row[1] for row in rows[1:-1]} == {"-5"} and rows[-1] == ["张三", "-5.50"]


def test_both_writers_render_the_same_rows_with_local_times_and_empty_cells():
    moment = dt.datetime(2026, 12, 5, 1, 30, tzinfo=dt.UTC)  # 09:30 in Asia/Shanghai
    exporter = People([["张三", None], [moment, dt.date(2026, 12, 5)]])
    assert csv_rows(exporter.csv())[1:] == [["张三", ""], ["2026-12-05 09:30:00", "2026-12-05"]]
    rows = xlsx_cells(exporter.xlsx())[1:]
    assert [[cell.value for cell in row] for row in rows] == [
        ["张三", None],
        [dt.datetime(2026, 12, 5, 9, 30), dt.datetime(2026, 12, 5, 0, 0)],
    ]


def test_control_characters_are_dropped_not_fatal_and_cannot_hide_a_formula():
    rows = xlsx_cells(People([["张\x07三", 1], ["\x01=1+1", 2]]).xlsx())
    assert rows[1][0].value == "张三"
    assert (rows[2][0].value, rows[2][0].data_type) == ("=1+1", "s")


def test_rows_are_iterated_once_per_file():
    one_shot = iter([["张三", 1], ["李四", 2]])
    sheet = Sheet("名单", ["姓名", "金额"], one_shot)
    assert [[c.value for c in row] for row in xlsx_cells(write_xlsx([sheet]))] == [
        ["姓名", "金额"],
        ["张三", 1],
        ["李四", 2],
    ]
    assert next(one_shot, None) is None


def test_several_sheets_with_preamble_and_excel_safe_names():
    sheets = [
        Sheet("发放/核对:异常[1]", ["姓名"], [["张三"]], preamble=[["筛选 · 期间：2026-10"]]),
        Sheet("很长的名字" * 10, ["乡镇"], [["一乡"]]),
    ]
    book = load_workbook(io.BytesIO(write_xlsx(sheets)))
    assert book.sheetnames == ["发放核对异常1", ("很长的名字" * 10)[:31]]
    assert [c.value for row in book.worksheets[0].iter_rows() for c in row] == ["筛选 · 期间：2026-10", "姓名", "张三"]
    assert csv_rows(write_csv(sheets)) == [
        ["发放/核对:异常[1]"],
        ["筛选 · 期间：2026-10"],
        ["姓名"],
        ["张三"],
        [],
        ["很长的名字" * 10],
        ["乡镇"],
        ["一乡"],
    ]


def test_a_single_sheet_csv_starts_with_its_headers():
    assert csv_rows(People([["张三", 1]]).csv()) == [["姓名", "金额（元）"], ["张三", "1"]]


@pytest.mark.parametrize("fmt, content_type", [("xlsx", "application/vnd.openxmlformats"), ("csv", "text/csv")])
def test_download_has_a_chinese_file_name_and_an_ascii_fallback(fmt, content_type):
    stamp = timezone.localdate().strftime("%Y%m%d")
    response = People([["张三", 1]]).response(fmt)
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"people-{stamp}.{fmt}\"; filename*=UTF-8''{quote(f'测试名单-{stamp}.{fmt}')}"
    )


def test_a_fallback_name_cannot_break_the_header():
    response = attachment(b"", fmt="csv", filename='名单"', fallback='a"b\\c名')
    assert 'filename="a_b_c_-' in response["Content-Disposition"]
    assert "filename*=UTF-8''%E5%90%8D%E5%8D%95%22-" in response["Content-Disposition"]


# Real downloads: a roster name typed as a formula reaches an inspector's spreadsheet as text


@pytest.fixture
def formula_roster(world, clerk_v1, reviewer_t1, discipline_t1):
    """甲村 submits a 低保 roster whose names look like formulas; both amounts lie outside the category's range."""
    seed_disclosure_categories()
    dibao = Category.objects.get(slug="dibao")
    rows = [entry(HYPERLINK, 5000, id_number=IDS[0]), entry("@SUM(A1)", -5, id_number=IDS[1])]
    disclosure = draft_roster(clerk_v1, world.v1, dibao, rows=rows)
    s.disclosure_submit(disclosure=disclosure, actor=clerk_v1)
    Category.objects.filter(pk=dibao.pk).update(amount_min=Decimal("100"), amount_max=Decimal("1000"))
    return disclosure


def test_anomaly_export_keeps_a_formula_name_as_text(client, formula_roster, inspector):
    client.force_login(inspector)
    response = client.get("/admin/disclosures/anomalyreport/export/out_of_range.xlsx")
    assert response.status_code == 200
    rows = xlsx_cells(response.content)
    assert rows[1][5].value == "姓名"  # row 0 is the filters line
    names = {row[5].value: row for row in rows[2:]}
    assert set(names) == {HYPERLINK, "@SUM(A1)"}
    assert all(row[5].data_type == "s" for row in names.values())
    assert (names["@SUM(A1)"][7].value, names["@SUM(A1)"][7].data_type) == (-5, "n")  # a negative amount is a number
    assert stored_formulas(response.content) == []
    stamp = timezone.localdate().strftime("%Y%m%d")
    assert quote(f"异常线索-金额超出类别范围-{stamp}.xlsx") in response["Content-Disposition"]
    assert f'filename="anomalies-out_of_range-{stamp}.xlsx"' in response["Content-Disposition"]


def test_complaint_export_keeps_formula_text_as_text(client, clerk_v1, world):
    seed_complaint_categories()
    category = ComplaintCategory.objects.get(service_code="environment")
    complaint, _secret = complaint_submit(category=category, village=world.v1, text="村口垃圾堆了半个月没人清理。")
    ComplaintCategory.objects.filter(pk=category.pk).update(name=HYPERLINK)  # typed so by a careless admin
    client.force_login(clerk_v1)
    changelist = reverse("admin:complaints_complaint_changelist")
    response = client.post(changelist, {"action": "export_xlsx", "_selected_action": [complaint.pk]})
    assert response.status_code == 200
    rows = xlsx_cells(response.content)
    assert [c.value for c in rows[0]][:3] == ["查询码", "状态", "类别"]
    assert (rows[1][0].value, rows[1][2].value, rows[1][2].data_type) == (complaint.tracking_code, HYPERLINK, "s")
    assert rows[1][8].is_date  # 提交时间 stays a date-time cell
    assert stored_formulas(response.content) == []
    stamp = timezone.localdate().strftime("%Y%m%d")
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"complaints-{stamp}.xlsx\"; filename*=UTF-8''{quote(f'留言投诉-{stamp}.xlsx')}"
    )


def test_township_figures_download_is_named_after_the_page(client, world, inspector):
    client.force_login(inspector)
    response = client.get("/admin/disclosures/townshipreport/export/townships.xlsx")
    assert response.status_code == 200
    stamp = timezone.localdate().strftime("%Y%m%d")
    assert quote(f"乡镇统计-{stamp}.xlsx") in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "公开及时性（近期各期）"
