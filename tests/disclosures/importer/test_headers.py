"""Header detection and column synonyms."""

from types import SimpleNamespace

import pytest

from disclosures.importer import ImportFileError
from disclosures.importer.headers import detect_header, normalize_header


def test_units_spaces_and_full_width_are_ignored():
    assert normalize_header("月保障金额\n（元）") == "月保障金额"
    assert normalize_header(" 身份证 号码 ") == "身份证号码"
    assert normalize_header("保障人数(人)") == "保障人数"


def test_category_synonyms_add_columns():
    category = SimpleNamespace(column_synonyms={"amount": ["耕地补贴金额"], "unknown": ["x"]})
    header = detect_header([["姓名", "身份证号", "耕地补贴金额"]], category)
    assert header.columns == {"name": 0, "id_number": 1, "amount": 2}


def test_a_title_row_above_a_one_row_header_is_not_half_of_it():
    header = detect_header([["低保名单", None, None], ["姓名", "身份证号", "金额"], ["张三", "x", 1]])
    assert (header.row_index, header.height, header.data_start) == (1, 1, 2)


def test_two_row_header():
    rows = [["姓名", "身份证号", "保障情况", None], [None, None, "保障人数", "发放金额(元)"], ["张三", "x", 1, 2]]
    header = detect_header(rows)
    assert (header.row_index, header.height) == (0, 2)
    assert header.columns == {"name": 0, "id_number": 1, "household_size": 2, "amount": 3}
    assert header.label("amount") == "发放金额"


def test_the_first_matching_column_wins():
    header = detect_header([["姓名", "身份证号", "金额", "金额"]])
    assert header.columns["amount"] == 2


def test_missing_columns_are_named():
    with pytest.raises(ImportFileError, match="「身份证号」"):
        detect_header([["姓名", "金额"]])
    with pytest.raises(ImportFileError, match="没有找到表头"):
        detect_header([["甲", "乙"], [1, 2]])
