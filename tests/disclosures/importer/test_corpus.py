"""Every messy file of the corpus gives exactly the rows, errors or message it must."""

from types import SimpleNamespace

import pytest

from disclosures.importer import ImportFileError
from disclosures.importer.readers import open_book
from disclosures.importer.validate import validate_rows

from .corpus import build_cases, write_corpus

CASES = build_cases()


def roster_category(**overrides):
    values = {
        "slug": "dibao",
        "name": "最低生活保障（低保）",
        "public_fields": ["name", "group", "household_size", "amount"],
        "amount_min": None,
        "amount_max": None,
        "column_synonyms": {},
        "stores_full_id": False,
    }
    return SimpleNamespace(**{**values, **overrides})


def read(case):
    book = open_book(case.path.read_bytes(), case.filename)
    return book, validate_rows(book.rows(case.sheet), roster_category(**case.category))


def test_the_corpus_has_every_format_and_at_least_twenty_messy_files(tmp_path):
    cases = write_corpus(tmp_path)
    assert len(cases) >= 20
    assert len(list(tmp_path.iterdir())) == len(cases)
    suffixes = {c.filename.rsplit(".", 1)[-1] for c in cases}
    assert {"xlsx", "xls", "ods", "csv"} <= suffixes
    assert {"csv_utf8_amount_text", "csv_utf8_bom", "csv_gbk", "csv_gb18030_rare_char"} <= {c.name for c in cases}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file(case, tmp_path, settings):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    case.path = tmp_path / case.filename
    case.path.write_bytes(case.content)

    if case.file_error:
        with pytest.raises(ImportFileError) as caught:
            read(case)
        assert case.file_error in str(caught.value)
        return

    book, validation = read(case)
    if case.sheets is not None:
        assert book.sheets == case.sheets
    texts = [e["text"] for e in validation.errors]
    if case.errors:
        assert texts == case.errors
    for row, column, fragment in case.error_contains:
        assert any(e["row"] == row and e["column"] == column and fragment in e["message"] for e in validation.errors), (
            texts
        )
    if not case.errors and not case.error_contains:
        assert texts == []
    assert [(e.row, e.name, e.amount) for e in validation.entries] == case.entries
    entries = {e.row: e for e in validation.entries}
    for row, id_number in case.id_numbers:
        assert entries[row].id_number == id_number
    if case.report_date:
        assert validation.meta["report_date"] == case.report_date
