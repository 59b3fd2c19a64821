"""What the preview tells the clerk without refusing the file: per household (an old 15-digit ID converted,
a 性别 that contradicts the ID, an amount of 0) and once for the whole file (family members folded, household
sizes counted from rows, amounts rounded to the fen).

A warning is ``{"row", "kind", "text", "public_text"}``; ``row`` is None for a whole-file warning.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from sunshine.identity import mask_id

from . import cells
from .fields import sex_mismatch


def warning(row, kind, text):
    return {"row": row, "kind": kind, "text": str(text), "public_text": str(text)}


def entry_warnings(entry, row, id_cell, header):
    """The warnings about one accepted household ``entry`` read from ``row`` (``id_cell``: its raw ID cell)."""
    found = []
    if (type(id_cell) is not str or len(id_cell) != 18) and cells.is_old_id(id_cell):
        found.append(
            warning(
                entry.row,
                "old_id",
                _("第 %(row)s 行「%(column)s」是 15 位旧号码，已转换为 18 位（%(id)s），请与户口簿核对")
                % {"row": entry.row, "column": header.label("id_number"), "id": mask_id(entry.id_number)},
            )
        )
    sex_index = header.columns.get("sex")
    if sex_index is not None and sex_index < len(row):
        mismatch = sex_mismatch(row[sex_index], entry.id_number)
        if mismatch:
            found.append(_sex_warning(entry, header, *mismatch))
    if entry.amount is not None and not entry.amount:
        found.append(
            warning(
                entry.row,
                "zero_amount",
                _("第 %(row)s 行 %(name)s 的「%(column)s」为 0")
                % {"row": entry.row, "name": entry.name, "column": header.label("amount")},
            )
        )
    return found


def _sex_warning(entry, header, written, expected):
    text = _(
        "第 %(row)s 行 %(name)s 的「%(column)s」是“%(written)s”，"
        "身份证号第 17 位表示“%(expected)s”，请核对身份证号和性别"
    ) % {
        "row": entry.row,
        "name": entry.name,
        "column": header.label("sex"),
        "written": written,
        "expected": expected,
    }
    return warning(entry.row, "sex", text)


def summary_warnings(*, members, derived, amount_memo, header):
    """Whole-file warnings: ``members`` family-member rows folded, ``derived`` households whose size was
    counted from their rows, and float amounts that had to be rounded (read from the amount column's memo,
    which holds every distinct raw amount with its parsed value)."""
    found = []
    if members:
        found.append(
            warning(
                None,
                "members",
                _("%(n)s 行是家庭成员（与户主关系不是“户主”），已并入各自户主那一行，不单独导入") % {"n": members},
            )
        )
    if derived:
        found.append(
            warning(
                None,
                "household_size",
                _("%(n)s 户的「保障人数」没有填写，按该户在表中的行数（户主和家庭成员）计算") % {"n": derived},
            )
        )
    rounded = sorted(
        key[1]
        for key, value in (amount_memo or {}).items()
        if type(key) is tuple and key[0] is float and Decimal(repr(key[1])) != value
    )
    if rounded and header.scales.get("amount", 1) == 1:
        found.append(
            warning(
                None,
                "rounded",
                _("「%(column)s」有带两位以上小数的数字（如 %(examples)s，多为公式结果），已按四舍五入到分导入")
                % {"column": header.label("amount"), "examples": "、".join(f"{r:.10g}" for r in rounded[:3])},
            )
        )
    return found


def _rows_text(rows, limit=8):
    shown = "、".join(str(r) for r in rows[:limit])
    return shown + (_("等 %(n)s 行") % {"n": len(rows)} if len(rows) > limit else "")


def group_warnings(*, renamed, unknown, registered, column):
    """Whole-file notes on group names: the spellings written as the registered name (one note), and each name that
    matches no registered group of the village (a warning per name, with its rows)."""
    found = []
    if renamed:
        pairs = "；".join(
            _("“%(written)s”→“%(name)s”（%(n)s 行）") % {"written": written, "name": name, "n": len(rows)}
            for (written, name), rows in sorted(renamed.items(), key=lambda item: item[1][0])
        )
        found.append(
            warning(
                None,
                "group_renamed",
                _("「%(column)s」已按本村登记的小组名称统一：%(pairs)s") % {"column": column, "pairs": pairs},
            )
        )
    for written, rows in sorted(unknown.items(), key=lambda item: item[1][0]):
        text = _(
            "第 %(rows)s 行的「%(column)s」写的是“%(written)s”，不是本村登记的小组（%(registered)s）："
            "请改为登记的名称；如果本村确有这个小组，请县管理员在区划里登记"
        ) % {"rows": _rows_text(rows), "column": column, "written": written, "registered": "、".join(registered)}
        found.append(warning(rows[0], "group_unknown", text))
    return found
