"""Files made to take the server down are refused with one clear message; the test process carries on.

Each hostile file here is a few kilobytes. Without the pre-scan and the sandbox, the sparse far cell aborts
the whole process (shown below in a throw-away interpreter) and the others grow to gigabytes."""

import io
import re
import resource
import subprocess
import sys
import time
import zipfile

import pytest

from disclosures.importer import ImportFileError, sandbox
from disclosures.importer.readers import open_book, read_book
from disclosures.models import ImportJob
from sunshine.audit.models import AuditEvent

from .corpus import HEADER, build_cases, ods_bytes, rows_sheet, standard_rows, xlsx_bytes
from .test_services import untouched, upload

RANGE = "表格范围过大"
UNSAFE = "不安全的 XML 实体定义"
SPANS = "合并单元格范围过大"
LIMIT = "文件过大或过于复杂，无法在限定的内存/时间内读取"
CORPUS = build_cases()


# --------------------------------------------------------------------------- hostile files, made here


def roster_xlsx(extra=None):
    def build(wb):
        rows_sheet(wb.active, [HEADER, *standard_rows()])
        if extra:
            extra(wb.active)

    return xlsx_bytes(build)


def far_cell_xlsx():
    """A1 and XFD1048576 only: python-calamine sizes the sheet 16384 × 1048576 and asks for 512 GB."""

    def build(wb):
        wb.active["A1"] = "姓名"
        wb.active["XFD1048576"] = "x"

    return xlsx_bytes(build)


def rewrite(data, name, change):
    """``data`` (a zip package) with the part ``name`` rewritten by ``change`` (str → str)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


def ods_with(rows_xml):
    """A roster .ods with ``rows_xml`` (table rows) after its rows, as LibreOffice pads or an attacker repeats."""
    return rewrite(
        ods_bytes([HEADER, *standard_rows()]),
        "content.xml",
        lambda x: x.replace("</table:table>", rows_xml + "</table:table>"),
    )


def ods_cell(text="x", repeat_columns=1):
    return (
        f'<table:table-cell table:number-columns-repeated="{repeat_columns}" office:value-type="string">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def html_spans(cells=10):
    spans = '<td rowspan="5000" colspan="200">x</td>' * cells
    return f"<html><body><table><tr><th>姓名</th><th>身份证号</th></tr><tr>{spans}</tr></table></body></html>".encode()


def spreadsheet_ml(doctype="", cell="张三"):
    return (
        f'<?xml version="1.0"?>\n{doctype}\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="名单"><Table>'
        '<Row><Cell><Data ss:Type="String">姓名</Data></Cell></Row>'
        f'<Row><Cell><Data ss:Type="String">{cell}</Data></Cell></Row>'
        "</Table></Worksheet></Workbook>"
    ).encode()


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10))
    + "]>"
)


def zip_bomb(settings):
    """A roster with a member of zeros that unpacks to more than 20 times the upload limit."""
    settings.ROSTER_IMPORT_MAX_BYTES = 256 * 1024
    source, out = zipfile.ZipFile(io.BytesIO(roster_xlsx())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/media/image1.png", bytes(6 * 1024 * 1024))
    return out.getvalue()


def peak_mb_of_this_process():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture
def no_child(monkeypatch):
    """Fail the test if a file reaches the sandbox: the pre-scan must refuse it first, in this process."""

    def refuse(*args, **kwargs):
        raise AssertionError("the pre-scan let the file through")

    monkeypatch.setattr(sandbox, "read_in_sandbox", refuse)


# --------------------------------------------------------------------------- refused by the pre-scan


HOSTILE = [
    pytest.param(lambda settings: (far_cell_xlsx(), "名单.xlsx"), RANGE, id="xlsx-sparse-far-cell"),
    pytest.param(
        lambda settings: (
            ods_with(f'<table:table-row table:number-rows-repeated="1048000">{ods_cell()}</table:table-row>'),
            "名单.ods",
        ),
        RANGE,
        id="ods-repeated-rows",
    ),
    pytest.param(
        lambda settings: (ods_with(f"<table:table-row>{ods_cell(repeat_columns=16384)}</table:table-row>"), "名单.ods"),
        RANGE,
        id="ods-repeated-columns",
    ),
    pytest.param(lambda settings: (html_spans(), "名单.xls"), SPANS, id="html-rowspan-colspan"),
    pytest.param(
        lambda settings: (spreadsheet_ml(BILLION_LAUGHS, "&lol9;"), "名单.xls"), UNSAFE, id="xml-billion-laughs"
    ),
    pytest.param(
        lambda settings: (spreadsheet_ml('<!DOCTYPE x [<!ENTITY big "' + "x" * 1000 + '">]>', "&big;"), "名单.xls"),
        UNSAFE,
        id="xml-internal-entity",
    ),
    pytest.param(
        lambda settings: (
            rewrite(
                roster_xlsx(),
                "xl/worksheets/sheet1.xml",
                lambda x: '<!DOCTYPE w [<!ENTITY a "b">]>' + x.split("?>", 1)[-1],
            ),
            "名单.xlsx",
        ),
        UNSAFE,
        id="xlsx-part-with-dtd",
    ),
    pytest.param(
        lambda settings: (
            spreadsheet_ml().replace(b"<Row>", b'<Row ss:Index="1048576">', 1),
            "名单.xls",
        ),
        RANGE,
        id="xml-row-index-far-down",
    ),
]


@pytest.mark.parametrize(("make", "message"), HOSTILE)
def test_a_hostile_file_is_refused_by_the_pre_scan_with_one_clear_message(make, message, settings, no_child):
    data, filename = make(settings)
    assert len(data) < 20_000  # a few kilobytes each
    before = peak_mb_of_this_process()
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=message):
        open_book(data, filename)
    assert time.perf_counter() - started < 3
    assert peak_mb_of_this_process() - before < 64


def test_a_range_refusal_names_the_limits(settings, no_child):
    settings.ROSTER_IMPORT_MAX_ROWS = 300_000
    with pytest.raises(ImportFileError) as caught:
        open_book(far_cell_xlsx(), "名单.xlsx")
    assert str(caught.value) == "表格范围过大（超过 300050 行或 200 列），请只保留名单所在区域后另存再上传。"


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(settings):
    data = zip_bomb(settings)
    assert len(data) < 200_000
    with pytest.raises(ImportFileError, match="文件解压后太大"):
        open_book(data, "名单.xlsx")


def test_a_hostile_upload_writes_nothing(world, clerk_v1):
    for data, name in [(far_cell_xlsx(), "名单.xlsx"), (html_spans(), "名单.xls")]:
        with pytest.raises(ImportFileError, match=f"{RANGE}|{SPANS}"):
            upload(clerk_v1, world.v1, data, name=name)
    assert ImportJob.objects.count() == 0 and AuditEvent.objects.count() == 0 and untouched()


# --------------------------------------------------------------------------- what real files do passes


def test_libreoffice_padding_to_the_last_row_and_column_is_not_a_range():
    """LibreOffice ends every sheet with empty rows repeated down to row 1048576, and rows with empty cells
    repeated to column AMJ: only what holds a value counts."""
    padding = (
        '<table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    )
    book = open_book(ods_with(padding), "名单.ods")
    assert book.rows()[0] == HEADER


def test_a_huge_declared_dimension_over_a_small_sheet_is_read():
    data = rewrite(
        roster_xlsx(),
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', x),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert open_book(data, "名单.xlsx").rows()[0] == HEADER


@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_the_sandbox_reads_every_corpus_file_exactly_as_the_reader_does(case, settings):
    for name, value in case.settings.items():
        setattr(settings, name, value)
    outcomes = []
    for reader in (read_book, open_book):
        try:
            book = reader(case.content, case.filename)
            sheets = {name: _sheet(book, name) for name in book.sheets}
            outcomes.append((book.kind, book.sheets, book.encoding, sheets))
        except ImportFileError as exc:
            outcomes.append((type(exc), str(exc)))
    assert outcomes[0] == outcomes[1]


def _sheet(book, name):
    try:
        stream = book.stream(name)
        return stream.count, tuple(stream.merged), list(stream.iterator)
    except ImportFileError as exc:
        return type(exc), str(exc)


def test_a_real_roster_is_read_with_the_childs_peak_memory_measured(settings):
    book = open_book(roster_xlsx(), "名单.xlsx")
    assert book.rows()[0] == HEADER
    assert 0 < book.peak_kb < settings.ROSTER_IMPORT_SANDBOX_MEMORY_MB * 1024


# --------------------------------------------------------------------------- the sandbox's own limits


def test_unsandboxed_the_far_cell_kills_the_whole_process():
    """What the sandbox is for: read in this process, the file aborts it (here a throw-away interpreter)."""
    script = (
        "import io, sys, python_calamine\n"
        "book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))\n"
        "list(book.get_sheet_by_index(0).iter_rows())\n"
    )

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    done = subprocess.run(
        [sys.executable, "-c", script], input=far_cell_xlsx(), capture_output=True, preexec_fn=limit_memory, timeout=60
    )
    assert done.returncode < 0  # killed by a signal (SIGABRT), not an exception Python could catch
    assert b"memory allocation" in done.stderr


def test_past_the_pre_scan_the_memory_limit_stops_the_child_and_this_process_carries_on(settings):
    settings.ROSTER_IMPORT_SANDBOX_MEMORY_MB = 1024
    with pytest.raises(ImportFileError, match=LIMIT) as caught:
        sandbox.read_in_sandbox(far_cell_xlsx(), "名单.xlsx")  # the pre-scan skipped on purpose
    assert caught.value.peak_kb <= 1024 * 1024
    assert open_book(roster_xlsx(), "名单.xlsx").rows()[0] == HEADER  # and the next file reads as ever


def test_past_the_pre_scan_the_time_limit_stops_the_child(settings):
    settings.ROSTER_IMPORT_SANDBOX_SECONDS = 1
    settings.ROSTER_IMPORT_SANDBOX_MEMORY_MB = 1536
    open_book(roster_xlsx(), "名单.xlsx")  # the forkserver's one-time start is not what is timed here
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=LIMIT) as caught:
        sandbox.read_in_sandbox(html_spans(cells=40), "名单.xls")  # 40 million covered cells
    assert time.perf_counter() - started < 5
    assert 0 < caught.value.peak_kb <= 1536 * 1024
