"""manage.py import_roster prints the preview, fails on errors, imports otherwise."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from disclosures.models import ImportJob, RosterEntry

from .corpus import HEADER, bad_checksum_id, rows_sheet, standard_rows, xlsx_bytes
from .factories import roster_category


def write(tmp_path, rows, name="名单.xlsx", sheets=None):
    def build(wb):
        if sheets:
            wb.remove(wb.active)
            for title in sheets:
                rows_sheet(wb.create_sheet(title), rows)
        else:
            rows_sheet(wb.active, rows)

    path = tmp_path / name
    path.write_bytes(xlsx_bytes(build))
    return path


def run(path, *extra, user="clerk_v1"):
    out = StringIO()
    args = [str(path), "--village", "990101001000", "--category", "dibao", "--period", "2026-11", "--phase", "pre"]
    call_command("import_roster", *args, "--user", user, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def dibao(db):
    return roster_category()


def test_dry_run_prints_the_preview_and_imports_nothing(tmp_path, clerk_v1, dibao):
    output = run(write(tmp_path, [HEADER, *standard_rows()]), "--dry-run")
    assert "共 3 行数据：3 行可导入" in output and "金额合计 2740.50 元" in output
    assert "未导入" in output
    assert RosterEntry.objects.count() == 0


def test_import_lands_in_the_draft(tmp_path, clerk_v1, dibao):
    output = run(write(tmp_path, [HEADER, *standard_rows()]))
    assert "已导入 3 行" in output
    assert RosterEntry.objects.count() == 3


def test_errors_print_each_row_and_exit_non_zero(tmp_path, clerk_v1, dibao):
    rows = [HEADER, *standard_rows()]
    rows[2][2] = bad_checksum_id(12)
    out = StringIO()
    with pytest.raises(CommandError, match="有 1 处错误，未导入"):
        call_command(
            "import_roster",
            str(write(tmp_path, rows)),
            *("--village", "990101001000", "--category", "dibao", "--period", "2026-11", "--phase", "pre"),
            *("--user", "clerk_v1"),
            stdout=out,
        )
    assert "错误：第 3 行 李四 的「身份证号码」写的是 35*************120，校验位错误：" in out.getvalue()
    assert RosterEntry.objects.count() == 0


def test_a_bad_file_is_one_message(tmp_path, clerk_v1, dibao):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="文件是空的"):
        run(path)
    assert ImportJob.objects.count() == 0


def test_several_sheets_need_sheet(tmp_path, clerk_v1, dibao):
    path = write(tmp_path, [HEADER, *standard_rows()], sheets=["一", "二"])
    with pytest.raises(CommandError, match="未导入"):
        run(path)
    assert "已导入 3 行" in run(path, "--sheet", "二")


def test_someone_outside_the_village_is_refused(tmp_path, clerk_v3, dibao):
    with pytest.raises(CommandError, match="没有导入"):
        run(write(tmp_path, [HEADER, *standard_rows()]), user="clerk_v3")
