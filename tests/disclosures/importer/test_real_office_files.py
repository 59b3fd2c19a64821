"""Files as county and township offices really produce them, each made here and imported.

民政 低保/特困 rolls, 惠农补贴 一卡通 payout rolls and 危房改造 grant lists, written the way WPS, Excel
2003 (.xls), Excel (.xlsx), LibreOffice (.ods) and government systems (GBK csv, HTML or XML saved as
.xls) write them: titles, unit lines, headers with line breaks and units, two-row headers, family
members, 合计 and signature footers, invisible characters, IDs damaged by Excel. Every test states
exactly which rows are imported with which values, or exactly which errors the clerk sees.
"""

import io
import re
import zipfile
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
import xlwt
from openpyxl.styles import Alignment, Font

from disclosures.importer import ImportFileError
from disclosures.importer import services as importer
from disclosures.importer.headers import detect_header
from disclosures.importer.readers import open_book
from disclosures.importer.validate import validate_rows
from disclosures.models import ImportStatus, RosterEntry
from sunshine.identity import check_char, decrypt

from .corpus import make_id, ods_bytes
from .factories import roster_category as db_category

# --------------------------------------------------------------------------- people and categories

AREA = "360123"  # 江西 南昌县: the area code of the IDs below


def pid(n, birth="19600101"):
    return make_id(n, birth=birth, area=AREA)


def with_check(body17):
    return body17 + check_char(body17)


def x_id(start=100, birth="19580302"):
    """An ID whose check character is X."""
    return next(pid(n, birth) for n in range(start, start + 1000) if pid(n, birth).endswith("X"))


ZHANG, LI, WANG, ZHAO, QIAN = pid(1), pid(2, "19721115"), pid(3, "19450630"), x_id(), pid(5, "19881231")


def category(slug="dibao", **overrides):
    """Stand-ins for the seeded categories (disclosures/categories.py)."""
    fields = {
        "dibao": ["name", "group", "household_size", "amount", "assistance_class"],
        "tekun": ["name", "group", "household_size", "amount", "assistance_class"],
        "weifang": ["name", "group", "amount", "assistance_class"],
        "gengdi": ["name", "group", "id_masked", "amount", "remark"],
        "huinong": ["name", "group", "amount", "assistance_class"],
    }[slug]
    values = {
        "slug": slug,
        "name": slug,
        "public_fields": fields,
        "amount_min": None,
        "amount_max": None,
        "column_synonyms": {},
        "stores_full_id": slug == "gengdi",
    }
    return SimpleNamespace(**{**values, **overrides})


VILLAGE = SimpleNamespace(name="东坪村", level="village")

# --------------------------------------------------------------------------- writers


def xlsx(build, formula_cache=None):
    wb = openpyxl.Workbook()
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    if formula_cache:
        data = patch_sheet(data, lambda xml: _cache_formulas(xml, formula_cache))
    return data


def patch_sheet(data, change, sheet="xl/worksheets/sheet1.xml"):
    """Rewrite one worksheet part of an .xlsx the way another program would have written it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == sheet:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def _cache_formulas(xml, values):
    """openpyxl writes formulas without the value Excel stores next to them; put that value in."""
    for ref, value in values.items():
        xml, count = re.subn(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/>', rf"\g<1>\g<2><v>{value}</v>", xml)
        assert count == 1, ref
    return xml


def put(ws, rows, start=1):
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=start + offset, column=col, value=value)


def xls(sheets, merges=None, hidden=()):
    """An Excel 97–2003 workbook: ``{sheet: rows}``; ``merges`` = ``{sheet: [(r1, r2, c1, c2)]}`` (0-based)."""
    wb = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        ws = wb.add_sheet(name)
        if name in hidden:
            ws.visibility = 1
        merged_cells = {}
        for r1, r2, c1, c2 in (merges or {}).get(name, []):
            merged_cells[(r1, c1)] = (r2, c2)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in merged_cells:
                    r2, c2 = merged_cells[(r, c)]
                    ws.write_merge(r, r2, c, c2, value)
                elif value is not None:
                    ws.write(r, c, float(value) if isinstance(value, Decimal) else value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ods(rows, sheet="名单"):
    return ods_bytes(rows, sheet)


def csv_text(lines, encoding, newline="\r\n"):
    return newline.join(lines).encode(encoding) + newline.encode(encoding)


def read(data, filename, cat=None, sheet="", division=None):
    book = open_book(data, filename)
    return book, validate_rows(book.rows(sheet), cat or category(), division=division)


def entries(validation, *fields):
    fields = fields or ("row", "name", "id_number", "household_size", "amount")
    return [tuple(getattr(e, f) for f in fields) for e in validation.entries]


CHECKSUM_ADVICE = (
    "校验位错误：第 18 位与前 17 位算出的不一致，通常是其中某一位抄错了或两位颠倒了，请对照身份证或户口簿逐位核对"
)


def error_texts(validation):
    return [e["text"] for e in validation.errors]


def warning_texts(validation):
    return [w["text"] for w in validation.warnings]


# --------------------------------------------------------------------------- 低保 rolls


DIBAO_HEADER = [
    "序号",
    "乡镇(街道)",
    "村(社区)",
    "户主姓名",
    "性别",
    "民族",
    "身份证号码\n（18位）",
    "保障\n人口",
    "保障类别",
    "月人均补差\n（元）",
    "月保障金\n（元）",
    "开户行",
    "银行账号",
    "联系电话",
    "备注",
]


def wps_dibao_roll(wb):
    """A township's monthly 低保 payout roll as WPS saves it: Sheet1 plus empty Sheet2 and Sheet3."""
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "青山镇2026年11月城乡低保发放花名册"
    ws.merge_cells("A1:O1")
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = "填报单位：东坪村委会（盖章）"
    ws["L2"] = "单位：元"
    put(ws, [DIBAO_HEADER], start=3)
    put(
        ws,
        [
            [
                1,
                "青山镇",
                "东坪村",
                "张三  ",
                "男",
                "汉族",
                ZHANG,
                3,
                "A类",
                400,
                1200,
                "农商银行",
                6.21799e18,
                13807910001,
            ],
            [2, "青山镇", "东坪村", "李\u3000四", "女", "汉族", f"{LI}\u00a0", 2, "B类", 300, 600, "邮储银行"],
            [3, "青山镇", "东坪村", "王五\u200b", "男", "汉族", f"'{WANG}", 1, "C类", 450.5, 450.5],
            [],
            [4, "青山镇", "东坪村", " 赵六", "女", "回族", f"\u202d{ZHAO.lower()}\u202c", 4, "A类", 350, 1400],
            ["合  计", None, None, None, None, None, None, "=SUM(H4:H8)", None, None, "=SUM(K4:K8)"],
            [],
            ["制表人：李会计", None, None, None, "审核人：王主任", None, None, None, "负责人签字："],
            ["填报日期：2026年11月20日"],
            ["注：1.本表一式三份，乡镇、村、银行各一份；2.公示期 7 天。"],
        ],
        start=4,
    )
    for row in range(4, 200):  # WPS formats the whole print area
        ws.cell(row=row, column=7).number_format = "@"
    wb.create_sheet("Sheet2")
    wb.create_sheet("Sheet3")


def test_wps_dibao_payout_roll(settings):
    data = xlsx(wps_dibao_roll, formula_cache={"H9": "10", "K9": "3650.5"})
    book, validation = read(data, "青山镇2026年11月低保发放花名册.xlsx")

    assert book.sheets == ["Sheet1"]  # the empty Sheet2 and Sheet3 are not offered
    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "id_number", "household_size", "amount", "assistance_class") == [
        (4, "张三", ZHANG, 3, Decimal("1200.00"), "A类"),
        (5, "李四", LI, 2, Decimal("600.00"), "B类"),
        (6, "王五", WANG, 1, Decimal("450.50"), "C类"),
        (8, "赵六", ZHAO, 4, Decimal("1400.00"), "A类"),
    ]
    # the household's 月保障金 is the amount, never the per-capita 月人均补差; the bank account stored as a
    # number (digits lost) is not read at all: 低保 does not keep bank accounts
    assert validation.meta["columns"] == {
        "seq": "序号",
        "village": "村",
        "name": "户主姓名",
        "sex": "性别",
        "id_number": "身份证号码",
        "household_size": "保障人口",
        "assistance_class": "保障类别",
        "amount": "月保障金",
        "bank_account": "银行账号",
        "remark": "备注",
    }
    assert validation.meta["header_row"] == 3
    assert validation.meta["report_date"] == "2026-11-20"
    assert (validation.rows_total, validation.skipped) == (4, 6)
    assert validation.warnings == []


def test_a_village_column_naming_another_village_is_an_error():
    def township_roll(wb):
        put(
            wb.active,
            [
                ["序号", "村(社区)", "户主姓名", "身份证号码", "保障人口", "月保障金（元）"],
                [1, "东坪村委会", "张三", ZHANG, 3, 1200],
                [2, "青山镇西岭村", "李四", LI, 2, 600],
                [3, None, "王五", WANG, 1, 450],
            ],
        )

    _book, validation = read(xlsx(township_roll), "青山镇低保名单.xlsx", division=VILLAGE)

    assert error_texts(validation) == [
        "第 3 行 李四 的「村」是“青山镇西岭村”，不是本次导入的东坪村：一次只能导入一个村的名单"
    ]
    assert entries(validation, "row", "name") == [(2, "张三"), (4, "王五")]


def test_two_row_header_takes_the_household_total():
    """ "保障金额" spans "月保障金（元）" and "合计"; "保障人口" spans "男", "女", "合计"."""

    def two_rows(wb):
        ws = wb.active
        ws["A1"] = "东坪村2026年12月低保资金发放表"
        ws.merge_cells("A1:J1")
        put(
            ws,
            [
                ["序号", "户主\n姓名", "身份证\n号码", "保障人口", None, None, "保障金额", None, "保障\n类别", "备注"],
                [None, None, None, "男", "女", "合计", "月保障金\n(元)", "合计", None, None],
                [1, "张三", ZHANG, 2, 1, 3, 1200, 1260, "A类", "含分类施保60元"],
                [2, "李四", LI, 1, 1, 2, 600, 600, "B类", None],
            ],
            start=2,
        )
        for col in "ABCIJ":
            ws.merge_cells(f"{col}2:{col}3")
        ws.merge_cells("D2:F2")
        ws.merge_cells("G2:H2")

    _book, validation = read(xlsx(two_rows), "两行表头.xlsx")

    assert error_texts(validation) == []
    assert (validation.meta["header_row"], validation.meta["header_height"]) == (2, 2)
    assert validation.meta["columns"]["amount"] == "保障金额合计"
    assert validation.meta["columns"]["household_size"] == "保障人口合计"
    assert entries(validation, "row", "name", "household_size", "amount", "remark") == [
        (4, "张三", 3, Decimal("1260.00"), "含分类施保60元"),
        (5, "李四", 2, Decimal("600.00"), ""),
    ]


def test_two_row_header_printed_again_on_the_second_page():
    top = ["序号", "姓 名", "公民身份号码", "保障金额", None]
    bottom = [None, None, None, "月保障金(元)", "合计"]

    def pages(wb):
        put(
            wb.active,
            [
                top,
                bottom,
                [1, "张三", ZHANG, 1200, 1200],
                ["青山镇2026年11月城乡低保发放花名册（续表）"],
                top,
                bottom,
                [2, "李四", LI, 600, 600],
            ],
        )

    _book, validation = read(xlsx(pages), "续表.xlsx", category("dibao", public_fields=["name", "amount"]))

    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "amount") == [
        (3, "张三", Decimal("1200.00")),
        (7, "李四", Decimal("600.00")),
    ]
    assert validation.skipped == 3


def test_only_a_per_capita_amount_is_not_taken_as_the_households_amount():
    def per_capita(wb):
        put(wb.active, [["姓名", "身份证号", "保障人口", "月人均补差(元)"], ["张三", ZHANG, 3, 400]])

    with pytest.raises(ImportFileError) as caught:
        read(xlsx(per_capita), "人均.xlsx")
    assert str(caught.value) == (
        "表头缺少本类别必需的列：「金额」。「月人均补差」是人均数，不是每户的金额；"
        "请加一列每户的金额（如“月保障金”＝人均补差 × 保障人口）。"
    )


@pytest.mark.parametrize(
    "header, field, label",
    [
        ("保障对象姓名", "name", "保障对象姓名"),
        ("享受低保人员姓名", "name", "享受低保人员姓名"),
        ("身份证号(18位)", "id_number", "身份证号"),
        ("保障对象身份证号码", "id_number", "保障对象身份证号码"),
        ("家庭保障人口", "household_size", "家庭保障人口"),
        ("保障人口数", "household_size", "保障人口数"),
        ("月保障金额（元）", "amount", "月保障金额"),
        ("本月发放金额", "amount", "本月发放金额"),
        ("合计金额", "amount", "合计金额"),
        ("补贴金额(元)", "amount", "补贴金额"),
        ("一卡通号", "bank_account", "一卡通号"),
        ("社保卡号", "bank_account", "社保卡号"),
        ("改造方式", "assistance_class", "改造方式"),
    ],
)
def test_header_texts_offices_use(header, field, label):
    if field in ("name", "id_number"):
        found = detect_header([["身份证号码" if field == "name" else "户主姓名", header]])
    else:
        found = detect_header([["户主姓名", "身份证号码", header]])
    assert found.labels[field] == label


@pytest.mark.parametrize(
    "header",
    [
        "联系电话",
        "开户行",
        "承包面积(亩)",
        "补贴面积",
        "补贴标准(元/亩)",
        "补助标准",
        "月人均补差",
        "监护人姓名",
        "家庭成员姓名",
        "出生日期",
        "残疾类别",
        "序号",
    ],
)
def test_columns_that_are_never_name_id_or_amount(header):
    found = detect_header([["户主姓名", "身份证号码", header]])
    assert set(found.columns) - {"member_name", "seq"} == {"name", "id_number"}


# --------------------------------------------------------------------------- family members


def test_family_members_under_a_vertically_merged_household():
    """One row per family member; 户主姓名, 保障人口 and 月保障金 merged down over the household's rows."""

    def members(wb):
        ws = wb.active
        ws["A1"] = "东坪村城乡低保家庭成员花名册"
        ws.merge_cells("A1:H1")
        put(
            ws,
            [
                ["序号", "户主姓名", "家庭成员", "与户主关系", "身份证号码", "保障人口", "月保障金（元）", "保障类别"],
                [1, "张三", "张三", "户主", ZHANG, 3, 1200, "A类"],
                [None, None, "刘梅", "配偶", pid(11, "19620304")],
                [None, None, "张小明", "子", pid(12, "20100506")],
                [2, "李四", "李四", "本人", LI, 1, 600, "B类"],
                [3, "王五", "王五", "户主", WANG, 2, 900, "A类"],
                [None, None, "王芳", "女", pid(13, "19900101")],
            ],
            start=2,
        )
        for first, last in ((3, 5), (7, 8)):
            for col in "ABFGH":
                ws.merge_cells(f"{col}{first}:{col}{last}")

    _book, validation = read(xlsx(members), "家庭成员.xlsx")

    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "id_number", "household_size", "amount", "assistance_class") == [
        (3, "张三", ZHANG, 3, Decimal("1200.00"), "A类"),
        (6, "李四", LI, 1, Decimal("600.00"), "B类"),
        (7, "王五", WANG, 2, Decimal("900.00"), "A类"),
    ]
    assert validation.members == 3
    assert warning_texts(validation) == ["3 行是家庭成员（与户主关系不是“户主”），已并入各自户主那一行，不单独导入"]


def test_family_members_without_a_relation_column_follow_the_merged_name():
    def merged_only(wb):
        ws = wb.active
        put(
            ws,
            [
                ["序号", "户主姓名", "成员姓名", "身份证号", "保障人数", "金额"],
                [1, "张三", "张三", ZHANG, 2, 1200],
                [None, None, "刘梅", pid(11, "19620304")],
                [2, "李四", "李四", LI, 1, 600],
            ],
        )
        ws.merge_cells("B2:B3")
        ws.merge_cells("E2:E3")
        ws.merge_cells("F2:F3")

    _book, validation = read(xlsx(merged_only), "合并.xlsx")

    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "household_size", "amount") == [
        (2, "张三", 2, Decimal("1200.00")),
        (4, "李四", 1, Decimal("600.00")),
    ]
    assert validation.members == 1


def test_family_members_in_a_gbk_csv_count_the_household_size():
    """A system export: one line per person, the amount on the 户主 line only, no 保障人口 column."""
    lines = [
        "东坪村2026年11月低保对象花名册,,,,",
        "姓名,与户主关系,公民身份号码,保障类别,月保障金额（元）",
        f"张三,户主,{ZHANG},A类,1200",
        f"刘梅,配偶,{pid(11, '19620304')},,",
        f"张小明,子,{pid(12, '20100506')},,",
        f"李四,户主,{LI},B类,600",
        f"赵小六,孙子,{QIAN},C类,300",
        f"王五,本人,{WANG},A类,450",
    ]
    _book, validation = read(csv_text(lines, "gbk"), "花名册.csv")

    assert error_texts(validation) == []
    # 赵小六 is assisted on his own (单人保): not the head of the household, but the row has its own amount
    assert entries(validation, "row", "name", "household_size", "amount") == [
        (3, "张三", 3, Decimal("1200.00")),
        (6, "李四", 1, Decimal("600.00")),
        (7, "赵小六", 1, Decimal("300.00")),
        (8, "王五", 1, Decimal("450.00")),
    ]
    assert warning_texts(validation) == [
        "2 行是家庭成员（与户主关系不是“户主”），已并入各自户主那一行，不单独导入",
        "4 户的「保障人数」没有填写，按该户在表中的行数（户主和家庭成员）计算",
    ]


def test_a_family_member_before_any_household_is_an_error():
    lines = [
        "姓名,与户主关系,身份证号,保障人口,金额",
        f"刘梅,配偶,{pid(11, '19620304')},,",
        f"张三,户主,{ZHANG},2,1200",
    ]
    _book, validation = read(csv_text(lines, "utf-8"), "顺序.csv")

    assert error_texts(validation) == [
        "第 2 行「与户主关系」是家庭成员（配偶），上面没有对应的户主行：每户先写户主一行，家庭成员写在户主下面"
    ]
    assert entries(validation, "row", "name") == [(3, "张三")]


# --------------------------------------------------------------------------- 惠农 一卡通 and 危房改造


def test_huinong_yikatong_roll_saved_as_xls_by_wps():
    """耕地地力保护补贴: 面积 × 标准 = 金额 as formula results, accounts kept (encrypted) for this category."""
    title = "青山镇东坪村2026年耕地地力保护补贴一卡通发放清册"
    header = [
        "序号",
        "户主姓名",
        "身份证号",
        "承包面积(亩)",
        "补贴面积\n（亩）",
        "补贴标准(元/亩)",
        "补贴金额(元)",
        "一卡通号",
        "联系电话",
        "备注",
    ]
    rows = [
        [title],
        ["填报单位：东坪村民委员会", None, None, None, None, None, None, "单位：亩、元"],
        header,
        [1, "张三", ZHANG, 5.2, 4.87, 123.55, 4.87 * 123.55, "6217 9810 0000 1234 567", 13807910001.0, None],
        [2, "李四", LI, 3.0, 3.0, 123.55, 370.65, "'6228480000000000001", None, "新增"],
        [3, "王五", WANG, 2.5, 2.5, 123.55, 308.875, 6.22848e18, None, None],
        [4, "赵六", ZHAO, 1.0, 0.0, 123.55, 0.0, "6217981000001234999", None, "承包地已流转"],
        ["合计", None, None, 11.7, 10.37, None, 1281.2385],
        ["制表：李会计", None, None, "审核：王主任", None, None, "日期：2026年11月18日"],
    ]
    data = xls({"Sheet1": rows, "Sheet2": [], "Sheet3": []}, merges={"Sheet1": [(0, 0, 0, 9)]})
    book, validation = read(data, "耕地地力保护补贴.xls", category("gengdi"))

    assert book.kind == "xls" and book.sheets == ["Sheet1"]
    assert error_texts(validation) == [
        "第 6 行 王五 的「一卡通号」被 Excel 当成了数字，末尾几位已丢失。请把该列设为“文本”格式后重新输入。"
    ]
    assert entries(validation, "row", "name", "amount", "bank_account", "remark") == [
        (4, "张三", Decimal("601.69"), "6217981000001234567", ""),
        (5, "李四", Decimal("370.65"), "6228480000000000001", "新增"),
        (7, "赵六", Decimal("0.00"), "6217981000001234999", "承包地已流转"),
    ]
    assert validation.meta["columns"]["amount"] == "补贴金额"
    assert validation.meta["report_date"] == "2026-11-18"
    assert warning_texts(validation) == [
        "第 7 行 赵六 的「补贴金额」为 0",
        "「补贴金额」有带两位以上小数的数字（如 308.875、601.6885，多为公式结果），已按四舍五入到分导入",
    ]


def test_weifang_grant_list_with_renovation_type():
    def weifang(wb):
        ws = wb.active
        ws.title = "危改对象"
        put(
            ws,
            [
                ["2026年度东坪村农村危房改造补助对象公示表"],
                [
                    "序号",
                    "户主姓名",
                    "身份证号码",
                    "家庭人口",
                    "对象类别",
                    "危房等级",
                    "改造方式",
                    "补助标准（元）",
                    "补助金额（元）",
                    "备注",
                ],
                [1, "张三", ZHANG, 3, "低保户", "D级", "拆除重建", 35000, 35000, None],
                [2, "李四", LI, 2, "分散供养特困人员", "C级", "修缮加固", 15000, "1.2万", "已开工"],
                [3, "王五", WANG, 1, None, "C级", "修缮加固", 15000, "15,000.00", None],
                ["合  计", None, None, 6, None, None, None, None, 62000],
            ],
        )
        ws.merge_cells("A1:J1")

    _book, validation = read(xlsx(weifang), "危改.xlsx", category("weifang"))

    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "amount", "assistance_class") == [
        (3, "张三", Decimal("35000.00"), "低保户"),
        (4, "李四", Decimal("12000.00"), "分散供养特困人员"),
        (5, "王五", Decimal("15000.00"), ""),
    ]
    assert validation.meta["columns"]["amount"] == "补助金额"


def test_weifang_renovation_type_is_the_class_when_there_is_no_other():
    def weifang(wb):
        put(
            wb.active,
            [
                ["户主姓名", "身份证号码", "改造方式", "补助资金（万元）"],
                ["张三", ZHANG, "新建", 3.5],
                ["李四", LI, "修缮加固", "1.25"],
            ],
        )

    _book, validation = read(xlsx(weifang), "危改万元.xlsx", category("weifang"))

    assert error_texts(validation) == []
    assert entries(validation, "name", "amount", "assistance_class") == [
        ("张三", Decimal("35000.00"), "新建"),
        ("李四", Decimal("12500.00"), "修缮加固"),
    ]
    assert validation.meta["amount_unit"] == "万元"


# --------------------------------------------------------------------------- ID numbers


def test_id_numbers_as_offices_store_them():
    old15 = "360123580302123"  # first-generation card: 6-digit area, YYMMDD, 3-digit sequence, no check character
    body = old15[:6] + "19" + old15[6:]

    def ids(wb):
        ws = wb.active
        put(
            ws,
            [
                ["序号", "户主姓名", "身份证号码", "保障人口", "月保障金（元）"],
                [1, "张三", float(ZHANG), 1, 500],  # typed into a General cell: shown as 3.60123E+17
                [2, "李四", f"{LI[:6]} {LI[6:14]} {LI[14:]}", 1, 500],
                [3, "王五", old15, 1, 500],
                [4, "赵六", float(old15), 1, 500],  # 15 digits survive as a number
                [5, "钱七", ZHAO.lower().translate(str.maketrans("0123456789x", "０１２３４５６７８９ｘ")), 1, 500],
                [6, "孙八", with_check("36012319601345001"), 1, 500],
                [7, "周九", QIAN[:17] + ("0" if QIAN[17] != "0" else "1"), 1, 500],
                [8, "吴十", "3.60123E+17", 1, 500],
                [9, "郑一", ZHANG[:15] + "000", 1, 500],
                [10, "冯二", "36012319601", 1, 500],
                [11, "陈三", with_check("36012320300101001"), 1, 500],
            ],
        )

    _book, validation = read(xlsx(ids), "身份证.xlsx")
    assert error_texts(validation) == [
        "第 2 行 张三 的「身份证号码」被 Excel 当成了数字（显示为 3.60123E+17），"
        "只保留了 15 位有效数字，末尾几位已丢失。"
        "请把该列设为“文本”格式，再重新输入完整的身份证号。",
        "第 5 行 赵六 的「身份证号码」与第 4 行重复（同一身份证号）",
        "第 7 行 孙八 的「身份证号码」出生日期“19601345”（第 7–14 位）不是有效日期",
        "第 8 行 周九 的「身份证号码」写的是 36*************050，" + CHECKSUM_ADVICE,
        "第 9 行 吴十 的「身份证号码」被 Excel 显示成了科学计数法（如 3.5E+17），后三位已变成 0。"
        "请把该列设为“文本”格式，再逐个重新输入身份证号。",
        "第 10 行 郑一 的「身份证号码」写的是 36*************000，末三位是 000，校验位对不上："
        "这多半是 Excel 把号码当成了数字，"
        "只保留 15 位有效数字，后三位变成了 0。请把这一列设为“文本”格式，再照身份证重新输入完整号码",
        "第 11 行 冯二 的「身份证号码」写的是 36******601，共 11 位（少了 7 位）；"
        "身份证号应为 18 位（最后一位可为 X），"
        "请照身份证补全或改正",
        "第 12 行 陈三 的「身份证号码」出生日期 2030-01-01（第 7–14 位）晚于今天",
    ]
    converted = body + check_char(body)
    assert entries(validation, "row", "name", "id_number") == [
        (3, "李四", LI),
        (4, "王五", converted),
        (6, "钱七", ZHAO),
    ]
    # 赵六's 15 digits stored as a number are 王五's ID: the same person twice
    assert warning_texts(validation) == [
        f"第 4 行「身份证号码」是 15 位旧号码，已转换为 18 位（36*************{converted[-3:]}），请与户口簿核对"
    ]


def test_same_person_in_old_and_new_form_is_a_duplicate():
    old15 = "360123580302123"

    def dup(wb):
        body = old15[:6] + "19" + old15[6:]
        put(
            wb.active,
            [
                ["姓名", "身份证号", "保障人口", "金额"],
                ["王五", old15, 1, 500],
                ["王五", body + check_char(body), 1, 500],
            ],
        )

    _book, validation = read(xlsx(dup), "重复.xlsx")
    assert error_texts(validation) == ["第 3 行 王五 的「身份证号」与第 2 行重复（同一身份证号）"]


def test_birth_dates_inside_ids_are_checked():
    def make(birth):
        body = f"{AREA}{birth}001"
        return body + check_char(body)

    def ids(wb):
        put(
            wb.active,
            [
                ["姓名", "身份证号", "保障人口", "金额"],
                ["甲", make("19600230"), 1, 100],
                ["乙", make("19601301"), 1, 100],
                ["丙", make("18991231"), 1, 100],
                ["丁", make("20991231"), 1, 100],
                ["戊", make("20000229"), 1, 100],
            ],
        )

    _book, validation = read(xlsx(ids), "出生日期.xlsx")
    assert error_texts(validation) == [
        "第 2 行 甲 的「身份证号」出生日期“19600230”（第 7–14 位）不是有效日期",
        "第 3 行 乙 的「身份证号」出生日期“19601301”（第 7–14 位）不是有效日期",
        "第 4 行 丙 的「身份证号」出生日期“18991231”（第 7–14 位）早于 1900 年",
        "第 5 行 丁 的「身份证号」出生日期 2099-12-31（第 7–14 位）晚于今天",
    ]
    assert entries(validation, "name") == [("戊",)]


# --------------------------------------------------------------------------- amounts


def test_amounts_as_clerks_write_them():
    def amounts(wb):
        ws = wb.active
        put(
            ws,
            [
                ["姓名", "身份证号", "保障人口", "月保障金额（元）"],
                ["张三", ZHANG, 1, "￥1,200.00"],
                ["李四", LI, 1, "1200元"],
                ["王五", WANG, 1, "１２００"],
                ["赵六", ZHAO, 1, "1200.0"],
                ["钱七", QIAN, 1, "=600*2"],
                ["孙八", pid(21), 1, 0],
                ["周九", pid(22), 1, -100],
                ["吴十", pid(23), 1, "—"],
                ["郑一", pid(24), 1, "壹仟贰佰元"],
                ["冯二", pid(25), 1, "1200.005"],
                ["陈三", pid(26), 1, " 960.5 元/月 "],
                ["褚四", pid(27), 1, "=B2"],  # a formula whose stored value is text
            ],
        )

    data = xlsx(amounts, formula_cache={"D6": "1200"})
    data = patch_sheet(
        data, lambda xml: xml.replace('<c r="D13"><f>B2</f><v /></c>', '<c r="D13" t="str"><f>B2</f><v>张三</v></c>')
    )
    _book, validation = read(data, "金额.xlsx")

    assert error_texts(validation) == [
        "第 8 行 周九 的「月保障金额」金额不能为负数（-100）",
        "第 9 行 吴十 的「月保障金额」必填，不能为空（写的是“—”）",
        "第 10 行 郑一 的「月保障金额」“壹仟贰佰元”不是金额",
        "第 11 行 冯二 的「月保障金额」金额最多保留两位小数（“1200.005”）",
        "第 13 行 褚四 的「月保障金额」“张三”不是金额",
    ]
    assert entries(validation, "name", "amount") == [
        ("张三", Decimal("1200.00")),
        ("李四", Decimal("1200.00")),
        ("王五", Decimal("1200.00")),
        ("赵六", Decimal("1200.00")),
        ("钱七", Decimal("1200.00")),
        ("孙八", Decimal("0.00")),
        ("陈三", Decimal("960.50")),
    ]
    assert warning_texts(validation) == ["第 7 行 孙八 的「月保障金额」为 0"]


# --------------------------------------------------------------------------- what is not a household


def test_template_numbered_down_with_empty_rows_zero_formulas_and_an_unlabelled_total():
    def template(wb):
        ws = wb.active
        put(ws, [["东坪村临时救助名单"], ["序号", "姓名", "身份证号码", "村民小组", "救助金额（元）", "备注"]])
        put(ws, [[1, "张三", ZHANG, "一组", 800], [2, "李四", LI, "三组", 1200.5]], start=3)
        for n in range(3, 21):  # numbered and with the amount formula copied down, but empty
            ws.cell(row=n + 2, column=1, value=n)
            ws.cell(row=n + 2, column=4, value="一组" if n == 5 else None)
            ws.cell(row=n + 2, column=5, value=f"=0*{n}")
        ws["E23"] = "=SUM(E3:E22)"

    cache = {f"E{n + 2}": "0" for n in range(3, 21)}
    cache["E23"] = "2000.5"
    _book, validation = read(
        xlsx(template, formula_cache=cache), "临时救助.xlsx", category("tekun", public_fields=["name", "amount"])
    )

    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "group", "amount") == [
        (3, "张三", "一组", Decimal("800.00")),
        (4, "李四", "三组", Decimal("1200.50")),
    ]
    assert validation.skipped == 19


def test_footers_in_every_shape_offices_write_them():
    def footers(wb):
        put(
            wb.active,
            [
                ["序号", "户主姓名", "身份证号码", "村民小组", "保障人口", "金额"],
                ["一组"],  # a group subheading
                [1, "张三", ZHANG, "一组", 2, 1200],
                ["小计", None, None, None, 2, 1200],
                ["二组"],
                [2, "李四", LI, "二组", 1, 600],
                ["合 计", None, "共 2 户", None, 3, 1800],  # 共 2 户 in the ID column
                ["总\u3000计", "2户", None, None, 3, 1800],
                [None, None, None, None, None, 1800],  # the total again, without a label
                ["村委会主任（签字）：", None, None, "村务监督委员会（签字）："],
                ["公示时间：2026年11月21日至2026年11月27日    监督电话：0791-85551234"],
                ["2026年11月20日"],
            ],
        )

    _book, validation = read(xlsx(footers), "表尾.xlsx")

    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "amount") == [
        (3, "张三", Decimal("1200.00")),
        (6, "李四", Decimal("600.00")),
    ]
    assert validation.skipped == 9


def test_a_row_without_name_and_id_but_with_money_is_an_error():
    def lost(wb):
        put(wb.active, [["姓名", "身份证号", "保障人口", "金额"], ["张三", ZHANG, 1, 500], [None, None, 2, 700]])

    _book, validation = read(xlsx(lost), "缺姓名.xlsx")
    assert error_texts(validation) == ["第 3 行「姓名」必填，不能为空", "第 3 行「身份证号」必填，不能为空"]


def test_a_group_merged_down_over_its_households_counts_for_each():
    def grouped(wb):
        ws = wb.active
        put(
            ws,
            [
                ["组别", "户主姓名", "身份证号码", "保障人口", "保障类别", "金额"],
                ["一组", "张三", ZHANG, 3, "A类", 1200],
                [None, "李四", LI, 2, None, 600],
                [None, "王五", WANG, 1, "B类", 450],
                ["二组", "赵六", ZHAO, 4, "A类", 1400],
            ],
        )
        ws.merge_cells("A2:A4")
        ws.merge_cells("E2:E3")

    _book, validation = read(xlsx(grouped), "分组合并.xlsx")
    assert entries(validation, "name", "group", "assistance_class") == [
        ("张三", "一组", "A类"),
        ("李四", "一组", "A类"),
        ("王五", "一组", "B类"),
        ("赵六", "二组", "A类"),
    ]


def test_formula_errors_and_masked_ids_copied_from_a_notice():
    lines = [
        "姓名,身份证号,保障人口,金额",
        f"#N/A,{ZHANG},1,500",
        f"李四,{LI},1,#VALUE!",
        "王五,3601**********0011,1,500",
        f"赵六,{ZHAO},#REF!,500",
    ]
    _book, validation = read(csv_text(lines, "utf-8"), "公式错误.csv")
    assert error_texts(validation) == [
        "第 2 行「姓名」是 Excel 公式错误“#N/A”（如 VLOOKUP 没有找到），请在原表中检查这一格的公式",
        "第 3 行 李四 的「金额」是 Excel 公式错误“#VALUE!”（如 VLOOKUP 没有找到），请在原表中检查这一格的公式",
        "第 4 行 王五 的「身份证号」中间几位被 * 隐去了（可能是从公示名单复制的），"
        "请填写完整的身份证号；公示时系统会自动隐去",
        "第 5 行 赵六 的「保障人口」是 Excel 公式错误“#REF!”（如 VLOOKUP 没有找到），请在原表中检查这一格的公式",
    ]


# --------------------------------------------------------------------------- sheets and workbook quirks

SIMPLE = [
    ["序号", "户主姓名", "身份证号码", "保障人口", "月保障金（元）"],
    [1, "张三", ZHANG, 3, 1200],
    [2, "李四", LI, 2, 600],
]


def test_empty_and_hidden_sheets_are_not_offered():
    def book(wb):
        ws = wb.active
        ws.title = "Sheet1"
        put(ws, SIMPLE)
        old = wb.create_sheet("上月")
        put(old, SIMPLE)
        old.sheet_state = "hidden"
        wb.create_sheet("Sheet2")
        blank = wb.create_sheet("Sheet3")
        blank["C5"] = "   "  # a cell holding spaces is still empty
        blank["D9"].font = Font(bold=True)

    opened = open_book(xlsx(book), "名单.xlsx")
    assert opened.sheets == ["Sheet1"]
    assert [len(r) for r in opened.rows()] == [5, 5, 5]


def test_xls_with_empty_and_hidden_sheets():
    data = xls({"Sheet1": SIMPLE, "隐藏": SIMPLE, "Sheet2": [], "Sheet3": []}, hidden=("隐藏",))
    book, validation = read(data, "名单.xls")
    assert book.sheets == ["Sheet1"]
    assert entries(validation, "row", "name") == [(2, "张三"), (3, "李四")]


def test_the_only_sheet_with_a_roster_header_is_chosen():
    def book(wb):
        notes = wb.active
        notes.title = "填表说明"
        put(notes, [["填表说明"], ["1. 身份证号码请设为文本格式"], ["2. 金额单位为元"]])
        put(wb.create_sheet("名单"), SIMPLE)
        summary = wb.create_sheet("汇总")
        put(summary, [["组别", "户数", "人数", "金额"], ["一组", 2, 5, 1800]])

    opened = open_book(xlsx(book), "名单.xlsx")
    assert opened.sheets == ["填表说明", "名单", "汇总"]
    assert importer._only_roster_sheet(opened, category()) == "名单"

    def two_rosters(wb):
        put(wb.active, SIMPLE)
        put(wb.create_sheet("10月"), SIMPLE)

    assert importer._only_roster_sheet(open_book(xlsx(two_rosters), "两个月.xlsx"), category()) == ""


def test_all_sheets_empty():
    def empty(wb):
        wb.create_sheet("Sheet2")

    with pytest.raises(ImportFileError) as caught:
        open_book(xlsx(empty), "空表.xlsx")
    assert str(caught.value) == "文件里的工作表都是空的（Sheet、Sheet2）。"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda xml: re.sub(r"<dimension[^>]*/>", "", xml), id="no-dimension"),
        pytest.param(
            lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1"/>', xml), id="dimension-A1"
        ),
        pytest.param(
            lambda xml: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml),
            id="dimension-huge",
        ),
    ],
)
def test_xlsx_whose_dimension_record_is_wrong_or_missing(change):
    def book(wb):
        put(wb.active, SIMPLE)

    _book, validation = read(patch_sheet(xlsx(book), change), "名单.xlsx")
    assert entries(validation, "row", "name") == [(2, "张三"), (3, "李四")]


def test_formatting_and_empty_text_far_below_the_roster(settings):
    """openpyxl's max_row follows formatting; a formula copied down stores "" in every cell: neither counts."""
    settings.ROSTER_IMPORT_MAX_ROWS = 1000

    def book(wb):
        ws = wb.active
        put(ws, SIMPLE)
        for row in range(4, 5000):
            ws.cell(row=row, column=3).number_format = "@"

    empty_strings = "".join(
        f'<row r="{r}"><c r="F{r}" t="str"><f>IF(E{r}="","",E{r}*1)</f><v></v></c></row>' for r in range(4, 3000)
    )
    data = patch_sheet(xlsx(book), lambda xml: xml.replace("</sheetData>", empty_strings + "</sheetData>"))
    assert openpyxl.load_workbook(io.BytesIO(data)).active.max_row == 4999
    book_, validation = read(data, "名单.xlsx")
    assert book_.stream().count == 3
    assert entries(validation, "row", "name") == [(2, "张三"), (3, "李四")]


# --------------------------------------------------------------------------- csv and what systems save as .xls


def test_gbk_csv_from_a_government_system():
    lines = [
        "青山镇2026年11月城乡低保发放花名册",
        "填报单位：东坪村委会（盖章）,,,,,单位：元",
        "序号,户主姓名,身份证号码,保障人口,保障类别,月保障金（元）,一卡通号",
        f'1,张三,="{ZHANG}",3,A类,"1,200.00",="6217981000001234567"',
        f"2,李四,\t{LI},2,B类,600,'6228480000000000001",
        f"3,王五,'{WANG},1,C类,450.50,",
        "合计,,,6,,2250.50,",
    ]
    book, validation = read(csv_text(lines, "gbk"), "低保发放.csv")

    assert book.encoding == "gb18030"
    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "id_number", "household_size", "amount") == [
        (4, "张三", ZHANG, 3, Decimal("1200.00")),
        (5, "李四", LI, 2, Decimal("600.00")),
        (6, "王五", WANG, 1, Decimal("450.50")),
    ]
    assert validation.meta["header_row"] == 3


@pytest.mark.parametrize(
    "encoding, prefix, label",
    [
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("utf-16-le", b"\xff\xfe", "utf-16"),
    ],
)
def test_text_encodings(encoding, prefix, label):
    delimiter = "\t" if encoding.startswith("utf-16") else ","  # Excel's "Unicode 文本" is tab-separated
    lines = [
        "东坪村低保名单",
        delimiter.join(["姓名", "身份证号", "保障人口", "金额"]),
        delimiter.join(["欧阳䶮", ZHANG, "1", "1200"]),  # 䶮 is outside GBK, inside GB18030
        delimiter.join(["阿依古丽•吐尔逊", LI, "2", "960.5"]),
    ]
    data = prefix + csv_text(lines, encoding)
    book, validation = read(data, "名单.txt" if encoding.startswith("utf-16") else "名单.csv")
    assert book.encoding == label
    assert entries(validation, "name", "amount") == [
        ("欧阳䶮", Decimal("1200.00")),
        ("阿依古丽·吐尔逊", Decimal("960.50")),
    ]


def test_html_table_saved_as_xls_by_a_system():
    page = f"""<html xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<style>td {{ mso-number-format:"\\@"; }}</style></head>
<body>
<table border="1">
<tr><td colspan="6" align="center"><b>青山镇2026年11月特困人员供养金发放表</b></td></tr>
<tr><th>序号</th><th>姓&nbsp;名</th><th>身份证号码</th><th>供养方式</th><th>保障人数</th><th>发放金额<br>（元）</th></tr>
<tr><td>1</td><td>张三</td><td style="mso-number-format:'\\@'">{ZHANG}</td>
    <td rowspan="2">分散供养</td><td>1</td><td>1,050.00</td></tr>
<tr><td>2</td><td>李四&nbsp;</td><td>{LI}</td><td>1</td><td>1050</td></tr>
<tr><td colspan="4">合计</td><td>2</td><td>2100.00</td></tr>
</table></body></html>"""
    book, validation = read(page.encode("gbk"), "特困供养金.xls", category("tekun"))

    assert (book.kind, book.encoding, book.sheets) == ("html", "gb18030", ["Sheet1"])
    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "household_size", "amount", "assistance_class") == [
        (3, "张三", 1, Decimal("1050.00"), "分散供养"),
        (4, "李四", 1, Decimal("1050.00"), "分散供养"),  # the rowspan covers both
    ]


def test_excel_2003_xml_saved_as_xls():
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="参数">
  <Table><Row><Cell><Data ss:Type="String">隐藏</Data></Cell></Row></Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions>
 </Worksheet>
 <Worksheet ss:Name="低保名单">
  <Table>
   <Row><Cell ss:MergeAcross="4"><Data ss:Type="String">东坪村低保名单</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">户主姓名</Data></Cell><Cell><Data ss:Type="String">身份证号码</Data></Cell>
    <Cell><Data ss:Type="String">保障人口</Data></Cell><Cell><Data ss:Type="String">月保障金</Data></Cell>
    <Cell><Data ss:Type="String">批准日期</Data></Cell></Row>
   <Row><Cell><Data ss:Type="String">张三</Data></Cell><Cell><Data ss:Type="String">{ZHANG}</Data></Cell>
    <Cell><Data ss:Type="Number">3</Data></Cell><Cell><Data ss:Type="Number">1200</Data></Cell>
    <Cell><Data ss:Type="DateTime">2026-03-05T00:00:00.000</Data></Cell></Row>
   <Row ss:Index="5"><Cell ss:Index="1"><Data ss:Type="String">李四</Data></Cell>
    <Cell><Data ss:Type="String">{LI}</Data></Cell><Cell><Data ss:Type="Number">2</Data></Cell>
    <Cell><Data ss:Type="Number">960.5</Data></Cell></Row>
  </Table>
 </Worksheet>
</Workbook>"""
    book, validation = read(xml.encode("utf-8"), "导出.xls")

    assert (book.kind, book.sheets) == ("xml", ["低保名单"])
    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "household_size", "amount") == [
        (3, "张三", 3, Decimal("1200.00")),
        (5, "李四", 2, Decimal("960.50")),
    ]


def test_tab_separated_text_saved_as_xls():
    lines = ["序号\t姓名\t身份证号\t保障人口\t金额", f"1\t张三\t{ZHANG}\t3\t1200", f"2\t李四\t{LI}\t2\t600"]
    book, validation = read(csv_text(lines, "gbk"), "导出数据.xls")
    assert book.kind == "csv"
    assert entries(validation, "row", "name", "amount") == [
        (2, "张三", Decimal("1200.00")),
        (3, "李四", Decimal("600.00")),
    ]


def test_ods_from_libreoffice():
    rows = [
        ["东坪村2026年第四季度特困人员名单"],
        ["序号", "姓名", "公民身份号码", "供养类别", "保障人数", "月供养金（元）"],
        [1, "张三", ZHANG, "全自理", 1, 1050],
        [2, "李四", "360123580302123", "半护理", 1, 1260.5],
    ]
    book, validation = read(ods(rows), "特困.ods", category("tekun"))
    assert book.kind == "ods"
    assert error_texts(validation) == []
    assert entries(validation, "row", "name", "amount", "assistance_class") == [
        (3, "张三", Decimal("1050.00"), "全自理"),
        (4, "李四", Decimal("1260.50"), "半护理"),
    ]
    assert [w["kind"] for w in validation.warnings] == ["old_id"]


# --------------------------------------------------------------------------- through the services (database)


def upload(actor, division, data, name, cat=None, **kw):
    return importer.roster_import_upload(
        actor=actor,
        division=division,
        category=cat or db_category(),
        period="2026-11",
        phase="post",
        file=data,
        original_name=name,
        **kw,
    )


def test_family_roll_uploaded_and_confirmed(world, clerk_v1):
    lines = [
        "甲村2026年11月城乡低保发放花名册",
        "序号,村(社区),户主姓名,家庭成员,与户主关系,身份证号码,保障人口,月人均补差,月保障金（元）,保障类别",
        f"1,甲村,张三,张三,户主,{ZHANG},,400,1200,A类",
        f",甲村,,刘梅,配偶,{pid(11, '19620304')},,,,",
        f",甲村,,张小明,子,{pid(12, '20100506')},,,,",
        f"2,甲村村委会,李四,李四,户主,{LI},1,600,600,B类",
        "合  计,,,,,,,,1800,",
    ]
    job = upload(clerk_v1, world.v1, csv_text(lines, "gbk"), "花名册.csv")

    assert job.status == ImportStatus.READY
    counts = job.result["counts"]
    assert (counts["rows"], counts["valid"], counts["members"], counts["skipped"]) == (2, 2, 2, 1)
    assert [w["text"] for w in job.result["warnings"]] == [
        "2 行是家庭成员（与户主关系不是“户主”），已并入各自户主那一行，不单独导入",
        "1 户的「保障人数」没有填写，按该户在表中的行数（户主和家庭成员）计算",
    ]
    assert job.result["columns"]["amount"] == "月保障金"
    importer.roster_import_confirm(job=job, actor=clerk_v1)
    rows = RosterEntry.objects.order_by("position").values_list("name", "household_size", "amount", "source_row")
    assert list(rows) == [("张三", 3, Decimal("1200.00"), 3), ("李四", 1, Decimal("600.00"), 6)]


def test_a_township_roll_uploaded_for_one_village_is_refused_row_by_row(world, clerk_v1):
    lines = [
        "序号,村(社区),户主姓名,身份证号码,保障人口,月保障金（元）",
        f"1,甲村,张三,{ZHANG},3,1200",
        f"2,乙村,李四,{LI},1,600",
    ]
    job = upload(clerk_v1, world.v1, csv_text(lines, "utf-8"), "一乡低保.csv")

    assert job.status == ImportStatus.INVALID
    assert [e["text"] for e in job.result["errors"]] == [
        "第 3 行 李四 的「村」是“乙村”，不是本次导入的甲村：一次只能导入一个村的名单"
    ]


def test_the_roster_sheet_is_chosen_next_to_notes_and_empty_sheets(world, clerk_v1):
    def book(wb):
        notes = wb.active
        notes.title = "填表说明"
        notes["A1"] = "身份证号码请设为文本格式"
        put(wb.create_sheet("名单"), SIMPLE)
        wb.create_sheet("Sheet3")

    job = upload(clerk_v1, world.v1, xlsx(book), "名单.xlsx")

    assert job.sheet_name == "名单"
    assert job.result["sheets"] == ["填表说明", "名单"]
    assert job.status == ImportStatus.READY


def test_yikatong_accounts_are_stored_encrypted_for_gengdi(world, clerk_v1, settings):
    gengdi = db_category(
        "gengdi",
        name="耕地地力保护补贴",
        cadence="yearly",
        public_fields=["name", "group", "id_masked", "amount", "remark"],
        stores_full_id=True,
    )
    lines = [
        "序号,户主姓名,身份证号,补贴面积（亩）,补贴标准（元/亩）,补贴金额（元）,惠农一卡通号,联系电话",
        f'1,张三,{ZHANG},4.87,123.55,601.69,="6217981000001234567",13807910001',
        f"2,李四,{LI},3,123.55,370.65,'6228480000000000001,",
    ]
    job = importer.roster_import_upload(
        actor=clerk_v1,
        division=world.v1,
        category=gengdi,
        period="2026",
        phase="post",
        file=csv_text(lines, "gbk"),
        original_name="一卡通.csv",
    )
    assert job.status == ImportStatus.READY, job.result
    importer.roster_import_confirm(job=job, actor=clerk_v1)
    stored = {e.name: (e.amount, decrypt(e.bank_account_encrypted)) for e in RosterEntry.objects.all()}
    assert stored == {
        "张三": (Decimal("601.69"), "6217981000001234567"),
        "李四": (Decimal("370.65"), "6228480000000000001"),
    }


def test_last_months_and_deducted_amounts_are_not_this_months_amount():
    header = detect_header([["户主姓名", "身份证号码", "上月保障金", "扣减金额", "调整后保障金额"]])
    assert (header.columns["amount"], header.labels["amount"]) == (4, "调整后保障金额")
    header = detect_header([["户主姓名", "身份证号码", "应发金额", "实发金额", "合计（元）"]])
    assert header.labels["amount"] == "合计"
    header = detect_header([["姓名", "家庭人口", "保障人口", "身份证号"]])
    assert header.labels["household_size"] == "保障人口"


def wps_shared_strings(data):
    """Rewrite openpyxl's inline strings as WPS and Excel store them: a shared-string table, rich-text runs
    (the header's unit in another font) and phonetic (拼音) runs, which are not part of the text."""
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = source.read("xl/worksheets/sheet1.xml").decode("utf-8")
    strings = []

    def shared(match):
        strings.append(match.group(2))
        return f'<c r="{match.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t[^>]*>([^<]*)</t></is></c>', shared, sheet)
    items = []
    for text in strings:
        if "\n" in text:
            head, unit = text.split("\n", 1)
            items.append(f'<si><r><rPr><b/></rPr><t>{head}</t></r><r><t xml:space="preserve">\n{unit}</t></r></si>')
        elif text == "张三":
            items.append('<si><t>张三</t><rPh sb="0" eb="2"><t>zhāng sān</t></rPh><phoneticPr fontId="1"/></si>')
        else:
            items.append(f'<si><t xml:space="preserve">{text}</t></si>')
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' count="{len(items)}" uniqueCount="{len(items)}">{"".join(items)}</sst>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = sheet.encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(item, content)
        target.writestr("xl/sharedStrings.xml", sst)
    return out.getvalue()


def test_shared_strings_with_rich_text_and_phonetic_runs():
    def roll(wb):
        put(
            wb.active,
            [
                ["序号", "户主姓名", "身份证号码", "保障人口", "月保障金\n（元）"],
                [1, "张三", ZHANG, 3, 1200],
                [2, "李四", LI, 2, 600],
            ],
        )

    data = wps_shared_strings(xlsx(roll))
    assert b"inlineStr" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    _book, validation = read(data, "WPS.xlsx")
    assert validation.meta["columns"]["amount"] == "月保障金"
    assert entries(validation, "name", "id_number", "amount") == [
        ("张三", ZHANG, Decimal("1200.00")),
        ("李四", LI, Decimal("600.00")),
    ]


def test_group_subheadings_name_the_group_when_there_is_no_group_column():
    def by_group(wb):
        put(
            wb.active,
            [
                ["东坪村2026年11月低保发放名册"],
                ["序号", "户主姓名", "身份证号码", "保障人口", "月保障金（元）"],
                ["一组（2户）"],
                [1, "张三", ZHANG, 3, 1200],
                [2, "李四", LI, 2, 600],
                [None, "第二村民小组", None, None, None],
                [3, "王五", WANG, 1, 450],
                ["合计", None, None, 6, 2250],
            ],
        )

    _book, validation = read(xlsx(by_group), "东坪村低保.xlsx")

    assert error_texts(validation) == []
    assert entries(validation, "name", "group") == [("张三", "一组"), ("李四", "一组"), ("王五", "第二村民小组")]


def test_a_group_column_wins_over_subheadings_and_a_name_like_a_group_is_still_a_person():
    def with_column(wb):
        put(
            wb.active,
            [
                ["序号", "组别", "户主姓名", "身份证号码", "保障人口", "月保障金（元）"],
                ["三组"],
                [1, "3组", "张三组", ZHANG, 3, 1200],
            ],
        )

    _book, validation = read(xlsx(with_column), "名单.xlsx")

    assert error_texts(validation) == []
    assert entries(validation, "name", "group") == [("张三组", "3组")]


def test_a_sex_column_that_contradicts_the_id_is_a_warning_for_the_reviewer():
    ids = [pid(n, "19600101") for n in range(11, 30)]
    male, other_male = [i for i in ids if int(i[16]) % 2][:2]
    female = next(i for i in ids if not int(i[16]) % 2)

    def with_sex(wb):
        put(
            wb.active,
            [
                ["序号", "户主姓名", "性别", "身份证号码", "保障人口", "月保障金（元）"],
                [1, "张三", "男", male, 1, 450],
                [2, "李四", "男", female, 1, 450],
                [3, "王五", None, other_male, 1, 450],
            ],
        )

    _book, validation = read(xlsx(with_sex), "名单.xlsx")

    assert error_texts(validation) == []
    assert len(validation.entries) == 3
    assert warning_texts(validation) == [
        "第 3 行 李四 的「性别」是“男”，身份证号第 17 位表示“女”，请核对身份证号和性别"
    ]
