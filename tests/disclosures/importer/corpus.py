"""The messy-file corpus: every file is made here, in a temporary directory, with what it must produce.

Each ``Case`` names a file and its expectations: the exact error texts, the entries
(row number, name, amount) it must yield, or the one file-level message.
"""

import csv
import datetime
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl.styles import Alignment

from sunshine.identity import check_char

HEADER = ["序号", "户主姓名", "身份证号码", "村民小组", "保障人数", "月保障金额（元）", "保障类别", "备注"]


def make_id(n, birth="19600101", area="350102"):
    body = f"{area}{birth}{n % 1000:03d}"
    return body + check_char(body)


def bad_checksum_id(n):
    good = make_id(n)
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


PEOPLE = [
    ("张三", make_id(11), "一组", 2, "1200.00", "A类"),
    ("李四", make_id(12), "二组", 3, "960.50", "B类"),
    ("王五", make_id(13, birth="19451231"), "一组", 1, "580.00", "C类"),
]


@dataclass
class Case:
    name: str
    filename: str
    content: bytes = b""
    # expectations
    entries: list = field(default_factory=list)  # [(row, name, amount or None)]
    errors: list = field(default_factory=list)  # exact "第 N 行「列」…" texts
    error_contains: list = field(default_factory=list)  # [(row, column, substring)]
    file_error: str = ""  # substring of the one file-level message
    sheets: list = None  # visible sheets the reader must offer
    sheet: str = ""  # sheet to validate
    report_date: str = ""
    category: dict = field(default_factory=dict)  # overrides for the test category
    settings: dict = field(default_factory=dict)  # settings overrides
    id_numbers: list = field(default_factory=list)  # [(row, normalized id)] checked on entries

    def __repr__(self):
        return self.name


def xlsx_bytes(build):
    wb = openpyxl.Workbook()
    build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def patch_formula_cache(data, values, sheet="xl/worksheets/sheet1.xml"):
    """openpyxl writes formulas without cached values; put the values a real Excel would have stored."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == sheet:
                text = content.decode("utf-8")
                for ref, value in values.items():
                    text, count = re.subn(
                        rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/>', rf"\g<1>\g<2><v>{value}</v>", text
                    )
                    assert count == 1, ref
                content = text.encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def rows_sheet(ws, rows, start=1):
    for offset, row in enumerate(rows):
        for col, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=start + offset, column=col, value=value)


def standard_rows(people=PEOPLE):
    return [[i, n, pid, g, size, Decimal(a), cls, ""] for i, (n, pid, g, size, a, cls) in enumerate(people, start=1)]


def csv_bytes(rows, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def ods_bytes(rows, sheet="名单"):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name=sheet)
    for row in rows:
        tr = TableRow()
        for value in row:
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            elif value in (None, ""):
                cell = TableCell()
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def xls_bytes(rows, sheet="Sheet1", title=None):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    offset = 0
    if title:
        ws.write_merge(0, 0, 0, len(HEADER) - 1, title)
        offset = 1
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            ws.write(r + offset, c, float(value) if isinstance(value, Decimal) else value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def expected_standard(first_row):
    return [(first_row + i, p[0], Decimal(p[4])) for i, p in enumerate(PEOPLE)]


def build_cases():
    cases = []
    add = cases.append
    std = standard_rows()
    text_rows = [HEADER, *[[str(c) for c in r] for r in std]]

    # 1. clean file, header on row 1
    def clean(wb):
        rows_sheet(wb.active, [HEADER, *standard_rows()])

    add(Case("clean_xlsx", "clean.xlsx", xlsx_bytes(clean), entries=expected_standard(2)))

    # 2. merged title row, unit/date line, footers
    def titled(wb):
        ws = wb.active
        ws.title = "低保名单"
        ws["A1"] = "甲村2026年11月农村低保对象公示名单"
        ws.merge_cells("A1:H1")
        ws["A1"].alignment = Alignment(horizontal="center")
        ws["A2"] = "填报单位：甲村村民委员会"
        ws["F2"] = "填报日期：2026年11月5日"
        rows_sheet(ws, [HEADER, *standard_rows()], start=3)
        ws["A7"] = "合计"
        ws["E7"] = 6
        ws["F7"] = Decimal("2740.50")
        ws["A9"] = "制表人：赵六"
        ws["D9"] = "审核人：钱七"
        ws["A10"] = "填报日期：2026-11-05"

    add(
        Case(
            "title_unit_date_footer",
            "低保名单（含标题和合计）.xlsx",
            xlsx_bytes(titled),
            entries=expected_standard(4),
            report_date="2026-11-05",
        )
    )

    # 3. two-row header with a merged group heading
    def two_row(wb):
        ws = wb.active
        ws["A1"] = "乙村低保名单"
        ws.merge_cells("A1:G1")
        top = ["序号", "户主姓名", "身份证号", "所在组", "保障情况", None, "备注"]
        bottom = [None, None, None, None, "保障人数", "发放金额(元)", None]
        rows_sheet(ws, [top, bottom], start=2)
        for col in "ABCDG":
            ws.merge_cells(f"{col}2:{col}3")
        ws.merge_cells("E2:F2")
        rows_sheet(ws, [[i, n, pid, g, size, float(a), ""] for i, (n, pid, g, size, a, _c) in enumerate(PEOPLE, 1)], 4)

    add(Case("two_row_header", "两行表头.xlsx", xlsx_bytes(two_row), entries=expected_standard(4)))

    # 4. full-width digits and spaces
    def fullwidth(wb):
        to_full = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
        rows = [HEADER]
        for i, (n, pid, g, size, a, cls) in enumerate(PEOPLE, 1):
            rows.append(
                [
                    i,
                    f" {n[0]}　{n[1:]} ",
                    f"{pid[:6]} {pid[6:]}".translate(to_full),
                    g,
                    str(size).translate(to_full),
                    a.translate(to_full),
                    cls,
                    "",
                ]
            )
        rows_sheet(wb.active, rows)

    add(
        Case(
            "fullwidth_digits_spaces",
            "全角.xlsx",
            xlsx_bytes(fullwidth),
            entries=expected_standard(2),
            id_numbers=[(2, PEOPLE[0][1])],
        )
    )

    # 5–8. csv in each encoding, amounts written as text
    amount_rows = [
        HEADER,
        ["1", "张三", PEOPLE[0][1], "一组", "2", "1,200.00元", "A类", ""],
        ["2", "李四", PEOPLE[1][1], "二组", "3人", "￥960.50", "B类", ""],
        ["3", "王五", PEOPLE[2][1], "一组", "1", "580 元", "C类", "新增"],
    ]
    add(Case("csv_utf8_amount_text", "名单.csv", csv_bytes(amount_rows, "utf-8"), entries=expected_standard(2)))
    add(
        Case(
            "csv_utf8_bom",
            "名单-bom.csv",
            b"\xef\xbb\xbf" + csv_bytes(text_rows, "utf-8"),
            entries=expected_standard(2),
        )
    )
    add(Case("csv_gbk", "名单-gbk.csv", csv_bytes(text_rows, "gbk"), entries=expected_standard(2)))
    rare = [HEADER, ["1", "刘䶮", PEOPLE[0][1], "一组", "2", "1200", "A类", ""]]
    add(
        Case(
            "csv_gb18030_rare_char",
            "名单-gb18030.csv",
            csv_bytes(rare, "gb18030"),
            entries=[(2, "刘䶮", Decimal("1200.00"))],
        )
    )

    # 9. IDs typed as numbers: Excel kept 15 significant digits
    def numeric_ids(wb):
        rows = [HEADER, *standard_rows()]
        rows[1][2] = float(PEOPLE[0][1][:17] + "0") if PEOPLE[0][1][-1] == "X" else float(PEOPLE[0][1])
        rows_sheet(wb.active, rows)

    add(
        Case(
            "ids_as_numbers",
            "身份证成了数字.xlsx",
            xlsx_bytes(numeric_ids),
            error_contains=[(2, "身份证号码", "被 Excel 当成了数字")],
            entries=expected_standard(2)[1:],
        )
    )

    # 10. IDs shown in scientific notation and saved as csv
    sci = [HEADER, ["1", "张三", "3.50102E+17", "一组", "2", "1200", "A类", ""], text_rows[2]]
    add(
        Case(
            "ids_scientific_csv",
            "科学计数法.csv",
            csv_bytes(sci, "utf-8"),
            error_contains=[(2, "身份证号码", "科学计数法")],
            entries=[(3, "李四", Decimal("960.50"))],
        )
    )

    # 11. lower-case x accepted, 15-digit old IDs converted
    x_id = next(make_id(n) for n in range(100, 999) if make_id(n).endswith("X"))
    old15 = "350102600101123"

    def lower_x(wb):
        rows = [HEADER, [1, "孙八", x_id.lower(), "一组", 1, 500, "", ""], [2, "周九", old15, "一组", 2, 600, "", ""]]
        rows_sheet(wb.active, rows)

    body = old15[:6] + "19" + old15[6:]
    add(
        Case(
            "lowercase_x_and_15_digits",
            "小写x.xlsx",
            xlsx_bytes(lower_x),
            entries=[(2, "孙八", Decimal("500.00")), (3, "周九", Decimal("600.00"))],
            id_numbers=[(2, x_id), (3, body + check_char(body))],
        )
    )

    # 12. checksum error
    def checksum(wb):
        rows = [HEADER, *standard_rows()]
        rows[2][2] = bad_checksum_id(12)
        rows_sheet(wb.active, rows)

    add(
        Case(
            "bad_checksum",
            "校验位.xlsx",
            xlsx_bytes(checksum),
            errors=[
                "第 3 行 李四 的「身份证号码」写的是 35*************120，校验位错误：第 18 位与前 17 位算出的不一致，"
                "通常是其中某一位抄错了或两位颠倒了，请对照身份证或户口簿逐位核对"
            ],
            entries=[expected_standard(2)[0], expected_standard(2)[2]],
        )
    )

    # 13. duplicate person inside the file
    def duplicate(wb):
        rows = [HEADER, *standard_rows(), [4, "张三", PEOPLE[0][1].lower(), "一组", 2, 1200, "A类", ""]]
        rows_sheet(wb.active, rows)

    add(
        Case(
            "duplicate_in_file",
            "重复.xlsx",
            xlsx_bytes(duplicate),
            errors=["第 5 行 张三 的「身份证号码」与第 2 行重复（同一身份证号）"],
            entries=expected_standard(2),
        )
    )

    # 14. required cells missing
    def missing(wb):
        rows = [HEADER, *standard_rows()]
        rows[2][1] = None
        rows[3][5] = "  "
        rows_sheet(wb.active, rows)

    add(
        Case(
            "required_missing",
            "缺姓名.xlsx",
            xlsx_bytes(missing),
            errors=["第 3 行「户主姓名」必填，不能为空", "第 4 行 王五 的「月保障金额」必填，不能为空"],
            entries=[expected_standard(2)[0]],
        )
    )

    # 15. out of the category's range, bad household size, bad amount text
    def ranges(wb):
        rows = [HEADER, *standard_rows()]
        rows[1][5] = 2000
        rows[2][4] = 0
        rows[3][5] = "壹仟元"
        rows_sheet(wb.active, rows)

    add(
        Case(
            "out_of_range",
            "超范围.xlsx",
            xlsx_bytes(ranges),
            category={"amount_min": Decimal("0"), "amount_max": Decimal("1500")},
            errors=[
                "第 2 行 张三 的「月保障金额」金额 2000.00 元超出本类别范围（0–1500 元）",
                "第 3 行 李四 的「保障人数」应在 1 到 30 之间，实际为 0",
                "第 4 行 王五 的「月保障金额」“壹仟元”不是金额",
            ],
        )
    )

    # 16. formula cells: the stored (cached) value is used
    def formulas(wb):
        ws = wb.active
        rows_sheet(ws, [HEADER, *std, ["合计", None, None, None, "=SUM(E2:E4)", "=SUM(F2:F4)", None, None]])
        ws["F2"] = "=600*2"
        ws["E3"] = "=1+2"

    data = patch_formula_cache(xlsx_bytes(formulas), {"F2": "1200", "E3": "3", "E5": "6", "F5": "2740.5"})
    add(Case("formula_cached_values", "公式.xlsx", data, entries=expected_standard(2)))

    # 17. several visible sheets and a hidden one
    def multi(wb):
        first = wb.active
        first.title = "11月"
        rows_sheet(first, [HEADER, *standard_rows()])
        second = wb.create_sheet("10月")
        rows_sheet(second, [HEADER, *std[:2]])
        hidden = wb.create_sheet("旧数据")
        hidden.sheet_state = "hidden"
        rows_sheet(hidden, [HEADER, *standard_rows()])

    add(
        Case(
            "multi_sheet_hidden",
            "多表.xlsx",
            xlsx_bytes(multi),
            sheets=["11月", "10月"],
            sheet="10月",
            entries=expected_standard(2)[:2],
        )
    )

    # 18. one visible sheet next to a hidden one
    def one_visible(wb):
        hidden = wb.active
        hidden.title = "参数"
        hidden["A1"] = "隐藏的参数表"
        hidden.sheet_state = "hidden"
        visible = wb.create_sheet("名单")
        rows_sheet(visible, [HEADER, *standard_rows()])
        wb.active = 1

    add(
        Case(
            "hidden_sheet_ignored",
            "隐藏表.xlsx",
            xlsx_bytes(one_visible),
            sheets=["名单"],
            entries=expected_standard(2),
        )
    )

    # 19. legacy .xls with a merged title
    add(
        Case(
            "legacy_xls",
            "名单.xls",
            xls_bytes(
                [HEADER, *[[str(c) if i == 2 else c for i, c in enumerate(r)] for r in std]], title="甲村低保名单"
            ),
            entries=expected_standard(3),
        )
    )

    # 20. .ods
    add(
        Case(
            "ods",
            "名单.ods",
            ods_bytes([["丙村低保名单"], HEADER, *[[c if i != 2 else str(c) for i, c in enumerate(r)] for r in std]]),
            entries=expected_standard(3),
        )
    )

    # 21. columns shuffled, synonyms, extra columns ignored
    def shuffled(wb):
        header = ["联系电话", "保障金额", "家庭住址", "公民身份号码", "姓名", "享受人数", "组别"]
        rows = [header]
        for n, pid, g, size, a, _c in PEOPLE:
            rows.append(["13800000000", float(a), "某某路1号", pid, n, size, g])
        rows_sheet(wb.active, rows)

    add(Case("shuffled_synonyms_extra_columns", "乱序.xlsx", xlsx_bytes(shuffled), entries=expected_standard(2)))

    # 22. blank rows and the header printed again on a second page
    def blanks(wb):
        rows = [HEADER, std[0], [None] * 8, ["", " ", None, None, None, None, None, None], HEADER, std[1], std[2]]
        rows_sheet(wb.active, rows)
        wb.active["B4"] = " "

    add(
        Case(
            "blank_rows_repeated_header",
            "空行.xlsx",
            xlsx_bytes(blanks),
            entries=[(2, "张三", Decimal("1200.00")), (6, "李四", Decimal("960.50")), (7, "王五", Decimal("580.00"))],
        )
    )

    # 23. dates as text, as Excel serials, as date cells; one that is not a date
    def dates(wb):
        ws = wb.active
        rows = [[*HEADER[:6], "批准日期"]]
        for n, pid, g, size, a, _c in PEOPLE:
            rows.append([None, n, pid, g, size, float(a), None])
        rows_sheet(ws, rows)
        ws["G2"] = "2026年3月5日"
        ws["G3"] = 46086  # Excel serial for 2026-03-05
        ws["G4"] = datetime.date(2026, 3, 5)
        ws["G3"].number_format = "General"

    add(Case("dates_text_and_serial", "日期.xlsx", xlsx_bytes(dates), entries=expected_standard(2)))

    def bad_date(wb):
        rows_sheet(wb.active, [[*HEADER[:6], "批准日期"], [1, "张三", PEOPLE[0][1], "一组", 2, 1200, "三月五号"]])

    add(
        Case(
            "bad_date",
            "日期错.xlsx",
            xlsx_bytes(bad_date),
            errors=["第 2 行 张三 的「批准日期」“三月五号”不是日期（可写成 2026-11-05 或 2026年11月5日）"],
        )
    )

    # 24–31. bad files: one clear message each
    add(Case("empty_file", "空.xlsx", b"", file_error="文件是空的"))
    add(Case("empty_csv", "空.csv", b"\r\n,,\r\n", file_error="文件是空的"))
    add(Case("not_a_spreadsheet", "名单.xlsx", "这其实是一个文本文件".encode(), file_error="但内容不是电子表格"))
    add(
        Case(
            "html_named_xls", "导出.xls", b"<html><table><tr><td>1</td></tr></table></html>", file_error="网页（HTML）"
        )
    )
    add(
        Case(
            "html_named_xls_without_table",
            "导出.xls",
            "<html><body><p>导出失败，请稍后再试</p></body></html>".encode(),
            file_error="网页（HTML）",
        )
    )
    plain = xlsx_bytes(clean)
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("123456", encrypted)
    add(Case("password_protected", "加密.xlsx", encrypted.getvalue(), file_error="文件设置了密码"))
    add(Case("corrupt_zip", "损坏.xlsx", plain[: len(plain) // 2], file_error="文件已损坏"))
    add(Case("zip_not_excel", "打包.xlsx", _zip_of({"a.txt": b"hello"}), file_error="是压缩包"))

    def no_header(wb):
        rows_sheet(wb.active, [["这是一份说明"], ["没有表头", "只有文字"], [1, 2, 3]])

    add(Case("no_header", "无表头.xlsx", xlsx_bytes(no_header), file_error="没有找到表头"))

    def missing_id_column(wb):
        rows_sheet(wb.active, [["姓名", "金额"], ["张三", 100]])

    add(
        Case(
            "missing_id_column", "缺列.xlsx", xlsx_bytes(missing_id_column), file_error="表头缺少必需的列：「身份证号」"
        )
    )
    add(
        Case(
            "too_many_rows",
            "很多行.csv",
            csv_bytes([HEADER, *[[str(i), "某", make_id(i), "", "1", "1", "", ""] for i in range(80)]], "utf-8"),
            settings={"ROSTER_IMPORT_MAX_ROWS": 20},
            file_error="表格行数太多",
        )
    )
    add(
        Case(
            "too_large",
            "太大.xlsx",
            plain,
            settings={"ROSTER_IMPORT_MAX_BYTES": 1000},
            file_error="文件太大",
        )
    )
    add(Case("wrong_extension", "名单.pdf", b"%PDF-1.4", file_error="不支持"))
    add(
        Case(
            "zip_bomb",
            "炸弹.xlsx",
            _zip_of({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>", "xl/big.xml": b"0" * 2_000_000}),
            settings={"ROSTER_IMPORT_MAX_BYTES": 50_000},
            file_error="文件解压后太大",
        )
    )
    return cases


def _zip_of(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def write_corpus(directory):
    """Write every case's file into ``directory``; returns the cases with ``path`` set."""
    cases = build_cases()
    for index, case in enumerate(cases):
        path = directory / f"{index:02d}-{case.filename}"
        path.write_bytes(case.content)
        case.path = path
    return cases
