"""Excel exports of complaint lists (openpyxl). Never identity: only what the queue shows."""

import io

from django.utils import timezone
from openpyxl import Workbook

COLUMNS = [
    "查询码",
    "状态",
    "类别",
    "乡镇",
    "村",
    "办理单位",
    "办理层级",
    "来源",
    "提交时间",
    "当前期限",
    "是否逾期",
    "受理时间",
    "答复时间",
    "办结时间",
    "办理结果",
    "评价",
]


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def rows(queryset):
    now = timezone.now()
    for c in queryset.iterator(chunk_size=2000):
        yield [
            c.tracking_code,
            c.get_status_display(),
            c.category.name,
            c.township.name,
            c.village.name,
            c.division.name,
            c.get_level_display(),
            c.get_channel_display(),
            _local(c.submitted_at),
            _local(c.due_at),
            "是" if c.is_overdue(now) else "",
            _local(c.accepted_at),
            _local(c.replied_at),
            _local(c.closed_at),
            c.get_outcome_display() if c.outcome else "",
            c.get_rating_display() if c.rating else "",
        ]


def complaints_xlsx(queryset):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("留言投诉")
    sheet.append(COLUMNS)
    for row in rows(queryset):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
