"""The preview as plain lines of text (the command prints these; the admin page shows the same facts)."""

from django.utils.translation import gettext as _

from disclosures.models import ImportStatus

from .headers import label


def preview_lines(job, *, warning_text=None):
    """Lines describing ``job``'s preview; ``warning_text(warning)`` picks the text shown for a warning."""
    result = job.result or {}
    lines = [
        _("文件：%(name)s（%(format)s%(encoding)s）")
        % {
            "name": job.original_name,
            "format": result.get("format", ""),
            "encoding": f"，{result['encoding']}" if result.get("encoding") else "",
        },
        _("目标：%(village)s · %(category)s · %(period)s · %(phase)s")
        % {
            "village": job.division.name,
            "category": job.category.name,
            "period": job.period,
            "phase": job.get_phase_display(),
        },
        _("状态：%(status)s") % {"status": job.get_status_display()},
    ]
    if job.sheet_name:
        lines.append(_("工作表：%(sheet)s") % {"sheet": job.sheet_name})
    if job.status == ImportStatus.PENDING and not job.sheet_name and len(result.get("sheets", [])) > 1:
        lines.append(_("文件有多个工作表，请选择一个：%(sheets)s") % {"sheets": "、".join(result["sheets"])})
    if result.get("file_error"):
        lines.append(_("无法导入：%(error)s") % {"error": result["file_error"]})
    if job.status in (ImportStatus.PENDING, ImportStatus.VALIDATING) and job.rows_total:
        lines.append(_("校验进度：%(done)s / %(total)s 行") % {"done": job.rows_processed, "total": job.rows_total})
    counts = result.get("counts")
    if counts:
        if result.get("columns"):
            columns = "、".join(f"{label(f)}←「{text}」" for f, text in result["columns"].items())
            lines.append(
                _("表头在第 %(row)s 行，识别的列：%(columns)s") % {"row": result.get("header_row"), "columns": columns}
            )
        lines.append(
            _(
                "共 %(rows)s 行数据：%(valid)s 行可导入，%(invalid)s 行有错误（%(errors)s 处），"
                "%(warnings)s 条提醒，跳过 %(skipped)s 行空行/表尾；金额合计 %(total)s 元"
            )
            % {
                "rows": counts["rows"],
                "valid": counts["valid"],
                "invalid": counts["invalid_rows"],
                "errors": counts["errors"],
                "warnings": counts["warnings"],
                "skipped": counts["skipped"],
                "total": counts["amount_total"],
            }
        )
        if result.get("report_date"):
            lines.append(_("填报日期：%(date)s") % {"date": result["report_date"]})
        for error in result.get("errors", []):
            lines.append(_("错误：%(text)s") % {"text": error["text"]})
        if counts["errors"] > len(result.get("errors", [])):
            lines.append(_("……另有 %(n)s 处错误未列出") % {"n": counts["errors"] - len(result.get("errors", []))})
        for warning in result.get("warnings", []):
            text = warning_text(warning) if warning_text else warning["text"]
            lines.append(_("提醒：%(text)s") % {"text": text})
    return lines
