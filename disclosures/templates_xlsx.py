"""Downloadable .xlsx roster templates (openpyxl): one per roster category, with notes and data validation.

A filled-in template imports exactly: its header texts are the importer's own synonyms, the ID
column is formatted as text so Excel cannot turn IDs into numbers, and the validations mirror
the importer's ranges.
"""

import io
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from disclosures.exports import XLSX
from disclosures.importer.validate import HOUSEHOLD_RANGE, required_fields

HEADER_ROW = 3
TEMPLATE_ROWS = 2000  # rows prepared with text format and validations
SHEET_NAME = "名单"


def template_columns(category):
    """``[(field, header text, width, note)]`` for the category's template."""
    public = set(category.public_fields or ())
    required = set(required_fields(category))
    amount_range = ""
    if category.amount_min is not None or category.amount_max is not None:
        amount_range = f"本类别范围 {category.amount_min or 0}–{category.amount_max or '不限'} 元。"
    columns = [
        ("name", "户主姓名", 12, "必填。与身份证上的姓名一致。"),
        ("id_number", "身份证号码", 22, "必填。18 位，最后一位可以是 X。本列已设为文本格式，请勿改成数字。"),
        ("group", "村民小组", 10, "选填。如：一组。"),
    ]
    if "household_size" in public or "household_size" in required:
        columns.append(("household_size", "保障人数", 10, f"必填。{HOUSEHOLD_RANGE[0]}–{HOUSEHOLD_RANGE[1]} 的整数。"))
    columns.append(
        (
            "amount",
            "金额（元）",
            12,
            ("必填。" if "amount" in required else "选填。") + f"最多两位小数，如 1200 或 1200.50。{amount_range}",
        )
    )
    if "assistance_class" in public:
        columns.append(("assistance_class", "保障类别", 10, "选填。如：A类、一档。"))
    if category.stores_full_id:
        columns.append(("bank_account", "银行账号", 24, "选填。8–30 位数字，本列为文本格式。只加密保存，不公开。"))
    columns.append(("remark", "备注", 24, "选填。最多 200 字。"))
    return columns


def roster_template(category):
    """The template for ``category`` as .xlsx bytes."""
    columns = template_columns(category)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    last = len(columns)
    ws.cell(row=1, column=1, value=f"{category.name}名单（导入模板）").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    ws.cell(
        row=2,
        column=1,
        value="填写说明：从第 4 行起每行填一户；不要改动第 3 行的列名；把鼠标移到列名上可以看到每列的要求。"
        "表尾可以写“合计”“制表人”“审核人”，导入时会自动跳过。",
    ).font = Font(color="666666")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    fill = PatternFill("solid", fgColor="FFF2CC")
    first, end = HEADER_ROW + 1, HEADER_ROW + TEMPLATE_ROWS
    for index, (field, header, width, note) in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.comment = Comment(note, "阳光村务")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = width
        if field in ("id_number", "bank_account", "group"):
            for row in range(first, end + 1):
                ws.cell(row=row, column=index).number_format = "@"
        validation = _validation(field, category)
        if validation is not None:
            validation.add(f"{letter}{first}:{letter}{end}")
            ws.add_data_validation(validation)
    ws.freeze_panes = ws.cell(row=first, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _validation(field, category):
    common = {"showErrorMessage": True, "allow_blank": True, "errorTitle": "输入有误"}
    if field == "id_number":
        return DataValidation(
            type="textLength", operator="between", formula1="15", formula2="18", error="身份证号应为 18 位", **common
        )
    if field == "household_size":
        low, high = HOUSEHOLD_RANGE
        return DataValidation(
            type="whole",
            operator="between",
            formula1=str(low),
            formula2=str(high),
            error=f"保障人数应为 {low}–{high} 的整数",
            **common,
        )
    if field == "amount":
        low = category.amount_min if category.amount_min is not None else 0
        if category.amount_max is not None:
            return DataValidation(
                type="decimal",
                operator="between",
                formula1=str(low),
                formula2=str(category.amount_max),
                error=f"金额应在 {low}–{category.amount_max} 元之间",
                **common,
            )
        return DataValidation(
            type="decimal", operator="greaterThanOrEqual", formula1=str(low), error="金额不能为负数", **common
        )
    if field == "remark":
        return DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1="200", error="备注最多 200 字", **common
        )
    return None


def template_filename(category):
    return f"{category.name}-导入模板.xlsx"


def template_response(category):
    """The category's template as a download, for the admin and the API alike."""
    response = HttpResponse(roster_template(category), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(template_filename(category))}"
    return response
