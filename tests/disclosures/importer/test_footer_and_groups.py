"""A 合计 row checked against the rows, and group names written as the village registered them (issue 14)."""

from decimal import Decimal

import pytest

from disclosures.importer.groups import GroupNames, group_number
from disclosures.importer.validate import validate_rows
from disclosures.models import RosterEntry
from disclosures.selectors import roster_groups
from tests import factories as f
from villages.models import Role

from .corpus import HEADER, make_id
from .factories import roster_category
from .test_services import importer, roster_file, upload

pytestmark = pytest.mark.django_db  # the categories are rows
REGISTERED = ["第1村民小组", "第2村民小组", "第3村民小组", "第12村民小组"]


def household(n, amount, size=1, group="一组"):
    return [n, f"户主{n}", make_id(100 + n), group, size, Decimal(amount), "A类", ""]


def kinds(validation):
    return [w["kind"] for w in validation.warnings]


# ---------------------------------------------------------------- footer totals


def test_a_total_row_that_disagrees_with_the_rows_names_both_figures():
    rows = [
        HEADER,
        household(1, "1200"),
        household(2, "1400"),
        household(3, "1890"),
        ["合计", None, None, None, None, 4130],
    ]
    validation = validate_rows(rows, roster_category())
    (warning,) = [w for w in validation.warnings if w["kind"] == "total_mismatch"]
    assert warning["row"] == 5
    assert warning["text"].startswith("第 5 行的合计行写 4130，各行相加为 4490（「月保障金额」列）")
    assert [e.name for e in validation.entries] == ["户主1", "户主2", "户主3"]  # the footer is never a person


def test_a_total_row_that_agrees_is_skipped_and_not_imported(world, clerk_v1):
    rows = [HEADER, household(1, "1200", 2), household(2, "1400", 3), ["合计", None, None, None, 5, 2600]]
    validation = validate_rows(rows, roster_category())
    assert "total_mismatch" not in kinds(validation) and validation.skipped == 1
    job = upload(clerk_v1, world.v1, roster_file(rows))
    revision = importer.roster_import_confirm(job=job, actor=clerk_v1)
    assert list(RosterEntry.objects.filter(revision=revision).values_list("name", flat=True)) == ["户主1", "户主2"]


def test_the_head_count_of_a_total_row_is_checked_too():
    rows = [HEADER, household(1, "1200", 2), household(2, "1400", 3), ["总计", None, None, None, 6, 2600]]
    (warning,) = [w for w in validate_rows(rows, roster_category()).warnings if w["kind"] == "total_mismatch"]
    assert "总计行写 6，各行相加为 5（「保障人数」列）" in warning["text"]


def test_subtotals_sum_their_own_section_and_the_grand_total_every_row():
    rows = [
        HEADER,
        household(1, "100"),
        household(2, "200"),
        ["小计", None, None, None, None, 300],
        household(3, "400"),
        ["小计", None, None, None, None, 999],  # wrong: the section holds 400
        ["合计", None, None, None, None, 700],
    ]
    texts = [w["text"] for w in validate_rows(rows, roster_category()).warnings if w["kind"] == "total_mismatch"]
    assert len(texts) == 1 and texts[0].startswith("第 6 行的小计行写 999，各行相加为 400")


def test_a_row_refused_for_its_id_still_counts_towards_the_total():
    rows = [HEADER, household(1, "1200"), household(2, "1400"), ["合计", None, None, None, None, 2600]]
    rows[2][2] = rows[2][2][:-1] + ("0" if rows[2][2][-1] != "0" else "1")
    validation = validate_rows(rows, roster_category())
    assert len(validation.errors) == 1 and "total_mismatch" not in kinds(validation)


def test_float_totals_within_rounding_of_the_rows_are_no_alarm():
    rows = [HEADER, household(1, "308.875"), household(2, "601.6885"), ["合计", None, None, None, None, 910.5635]]
    rows[1][5], rows[2][5] = 308.875, 601.6885  # as Excel stores formula results
    assert "total_mismatch" not in kinds(validate_rows(rows, roster_category()))


# ---------------------------------------------------------------- group names


@pytest.mark.parametrize(
    ("written", "number"),
    [("1组", 1), ("一组", 1), ("第1组", 1), ("第一村民小组", 1), ("1社", 1), ("第十二组", 12), ("二十组", 20),
     ("东山组", None), ("第0组", None), ("", None)],
)  # fmt: skip
def test_group_numbers_from_every_spelling(written, number):
    assert group_number(written) == number


def test_every_spelling_becomes_the_registered_name_and_others_are_flagged():
    names = GroupNames(REGISTERED)
    for written in ("1组", "一组", "第1组", "第一村民小组", "1社", "第1村民小组"):
        assert names.normalize(written) == ("第1村民小组", True)
    assert names.normalize("十二组") == ("第12村民小组", True)
    assert names.normalize("七组") == ("七组", False)
    assert GroupNames([]).normalize("七组") == ("七组", False) and not GroupNames([])


def test_validation_writes_registered_names_and_warns_once_per_unknown_name():
    rows = [HEADER, household(1, "100", group="1组"), household(2, "100", group="第二组"),
            household(3, "100", group="七组"), household(4, "100", group="七组"),
            household(5, "100", group="第1村民小组")]  # fmt: skip
    validation = validate_rows(rows, roster_category(), groups=REGISTERED)
    assert [e.group for e in validation.entries] == ["第1村民小组", "第2村民小组", "七组", "七组", "第1村民小组"]
    renamed = [w["text"] for w in validation.warnings if w["kind"] == "group_renamed"]
    assert renamed == [
        "「村民小组」已按本村登记的小组名称统一：“1组”→“第1村民小组”（1 行）；“第二组”→“第2村民小组”（1 行）"
    ]
    (unknown,) = [w for w in validation.warnings if w["kind"] == "group_unknown"]
    assert unknown["row"] == 4 and unknown["text"].startswith(
        "第 4、5 行的「村民小组」写的是“七组”，不是本村登记的小组"
    )


def test_without_registered_groups_names_stay_as_written():
    rows = [HEADER, household(1, "100", group="1组"), household(2, "100", group="一组")]
    validation = validate_rows(rows, roster_category())
    assert [e.group for e in validation.entries] == ["1组", "一组"]
    assert not {"group_renamed", "group_unknown"} & set(kinds(validation))


def test_the_public_filter_lists_one_name_per_group(world):
    clerk_v2 = f.staff("clerk_v2", Role.VILLAGE_CLERK, world.v2)
    for number in (1, 2):
        f.group(world.v2, f"第{number}村民小组", sort_order=number)
    rows = [HEADER, household(1, "100", group="1组"), household(2, "100", group="第一村民小组"),
            household(3, "100", group="2社"), household(4, "100", group="第2村民小组")]  # fmt: skip
    revision = importer.roster_import_confirm(job=upload(clerk_v2, world.v2, roster_file(rows)), actor=clerk_v2)
    assert roster_groups(revision) == ["第1村民小组", "第2村民小组"]


def test_a_number_two_registered_groups_share_names_neither(world, clerk_v1):
    f.group(world.v1, "第1村民小组")  # 甲村 has 一组 registered already: which one is 1组?
    rows = [HEADER, household(1, "100", group="1组")]
    validation = validate_rows(rows, roster_category(), groups=["一组", "第1村民小组"])
    assert validation.entries[0].group == "1组" and "group_unknown" in kinds(validation)
