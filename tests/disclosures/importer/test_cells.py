"""One cell at a time."""

import datetime

import pytest

from disclosures.importer import cells

from .corpus import make_id


@pytest.mark.parametrize(
    "raw, expected",
    [
        (1200, "1200.00"),
        (1200.5, "1200.50"),
        (0.1 + 0.2, "0.30"),
        ("1,200.00元", "1200.00"),
        ("１２００", "1200.00"),
        ("￥960.5", "960.50"),
        ("¥ 1 200", "1200.00"),
        ("580 元", "580.00"),
        ("RMB 12", "12.00"),
    ],
)
def test_amounts(raw, expected):
    assert str(cells.amount(raw)) == expected


@pytest.mark.parametrize("raw", ["壹仟元", "-5", -5.0, "12.345", "1.2.3", True, "(100.00)", "−100"])
def test_bad_amounts(raw):
    with pytest.raises(cells.CellError):
        cells.amount(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [(12.345, "12.35"), (428.7185, "428.72"), (3.47 * 123.55, "428.72"), (0.005, "0.01"), (1200.0, "1200.00")],
)
def test_number_cells_are_taken_as_excel_shows_them_with_two_decimals(raw, expected):
    assert str(cells.amount(raw)) == expected


@pytest.mark.parametrize(
    "raw, scale, expected",
    [("1.2万", 1, "12000.00"), ("1.2万元", 1, "12000.00"), (0.35, 10000, "3500.00"), ("2.5", 10000, "25000.00")],
)
def test_ten_thousands(raw, scale, expected):
    assert str(cells.amount(raw, scale)) == expected


@pytest.mark.parametrize("raw", ["—", "/", "-", "无", "——"])
def test_placeholders_are_blank_cells(raw):
    for parse in (cells.amount, lambda v: cells.integer(v, 1, 30), cells.date, cells.bank_account):
        with pytest.raises(cells.BlankCell):
            parse(raw)


@pytest.mark.parametrize(
    "raw",
    ["2026年3月5日", "2026-03-05", "2026/3/5", "2026.3.5", "20260305", 46086, 46086.0, "46086"],
)
def test_dates(raw):
    assert cells.date(raw) == datetime.date(2026, 3, 5)


def test_date_cells_and_bad_dates():
    assert cells.date(datetime.datetime(2026, 3, 5, 0, 0)) == datetime.date(2026, 3, 5)
    for raw in ("三月五号", "2026-02-30", 1.5):
        with pytest.raises(cells.CellError):
            cells.date(raw)


@pytest.mark.parametrize("raw, expected", [(3, 3), (3.0, 3), ("3", 3), ("３", 3), ("3人", 3), ("3.0", 3)])
def test_integers(raw, expected):
    assert cells.integer(raw, 1, 30) == expected


@pytest.mark.parametrize("raw", [0, 31, 2.5, "三", "3户"])
def test_bad_integers(raw):
    with pytest.raises(cells.CellError):
        cells.integer(raw, 1, 30)


def test_id_numbers():
    good = make_id(7)
    assert cells.id_number(good) == good
    assert cells.id_number(f" {good[:6]}　{good[6:]} ") == good
    assert cells.id_number(good.translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == good
    with pytest.raises(cells.CellError, match="被 Excel 当成了数字"):
        cells.id_number(float(good[:17] + "0"))
    with pytest.raises(cells.CellError, match="科学计数法"):
        cells.id_number("3.50102E+17")
    with pytest.raises(cells.CellError, match="末三位是 000.*Excel.*15 位有效数字"):
        cells.id_number(good[:15] + "000")
    with pytest.raises(cells.CellError, match=r"写的是 \*\*\*\*\*，共 5 位（少了 13 位）；身份证号应为 18 位"):
        cells.id_number("12345")
    with pytest.raises(cells.CellError, match=r"共 20 位（多了 2 位）"):
        cells.id_number(good + "12")
    with pytest.raises(cells.CellError, match=f"写的是 {good[:2]}\\*{{13}}{good[-3:-1]}.，校验位错误"):
        cells.id_number(good[:17] + ("0" if good[17] != "0" else "1"))
    with pytest.raises(cells.CellError, match="含有数字和末位 X 以外的字符"):
        cells.id_number(good[:8] + "A" + good[9:])


def test_names_and_text():
    assert cells.name(" 张　 三 ") == "张三"
    assert cells.name("Ali Musa") == "Ali Musa"
    assert cells.text("  一组\u200b ") == "一组"
    assert cells.text(3.0) == "3"
    assert cells.is_blank(" \u3000\u200b")
    assert not cells.is_blank(0)


def test_bank_accounts():
    assert cells.bank_account("6217 0012 3456 7890") == "6217001234567890"
    with pytest.raises(cells.CellError):
        cells.bank_account(6.217001234567890e18)
    with pytest.raises(cells.CellError):
        cells.bank_account("12ab")
