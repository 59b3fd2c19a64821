"""Demo rosters that really go through the importer: an office-style .xlsx is written, uploaded and confirmed.

``disclosures.demo`` can call :func:`import_people` instead of building RosterEntry objects, so the
demo county's rosters come from files imported the way a clerk imports them.
"""

import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from openpyxl import Workbook

from disclosures.models import Phase

from .services import roster_import_confirm, roster_import_upload

HEADER = ["序号", "户主姓名", "公民身份号码", "所在组", "保障人数", "月保障金额（元）", "保障类别", "备注"]


def office_workbook(people, *, title, unit="", report_date=""):
    """The .xlsx an office would produce: merged title, unit/date line, header, rows, 合计 and signatures."""
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append([f"填报单位：{unit}", None, None, None, None, f"填报日期：{report_date}" if report_date else None])
    ws.append(HEADER)
    total = Decimal("0")
    for index, p in enumerate(people, start=1):
        amount = Decimal(str(p.get("amount") or 0))
        total += amount
        ws.append(
            [
                index,
                p["name"],
                p["id_number"],
                p.get("group", ""),
                p.get("household_size"),
                float(amount),
                p.get("assistance_class", ""),
                p.get("remark", ""),
            ]
        )
        ws.cell(row=ws.max_row, column=3).number_format = "@"
    ws.append(["合计", None, None, None, None, float(total)])
    ws.append([])
    ws.append(["制表人：", None, None, "审核人："])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_people(*, actor, division, category, period, phase, people, title="", reason=""):
    """Write ``people`` (dicts with name, id_number, group, household_size, amount, assistance_class, remark)
    into an office-style file and import it; returns the draft revision. Raises ValidationError on any error."""
    data = office_workbook(people, title=title or f"{division.name}{period}{category.name}名单", unit=division.name)
    job = roster_import_upload(
        actor=actor,
        division=division,
        category=category,
        period=period,
        phase=phase,
        file=data,
        # named as an office names its file (the import list shows it to Chinese-reading staff)
        original_name=f"{division.name}{category.name}{period}{Phase(phase).label}.xlsx",
        background=False,
    )
    if job.status != "ready":
        problems = [e["text"] for e in job.result.get("errors", [])[:5]] or [job.result.get("file_error", job.status)]
        raise ValidationError(problems)
    return roster_import_confirm(job=job, actor=actor, reason=reason)
