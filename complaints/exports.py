"""The complaint list export (admin action). Never identity: only what the queue shows."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sunshine.exports import ListExporter


class ComplaintExporter(ListExporter):
    """One row per complaint of ``queryset`` (select_related category, village, township, division)."""

    title = _("留言投诉")
    identifier = "complaints"

    def __init__(self, queryset):
        self.queryset = queryset

    def headers(self):
        return [
            _("查询码"),
            _("状态"),
            _("类别"),
            _("乡镇"),
            _("村"),
            _("办理单位"),
            _("办理层级"),
            _("来源"),
            _("提交时间"),
            _("当前期限"),
            _("是否逾期"),
            _("受理时间"),
            _("答复时间"),
            _("办结时间"),
            _("办理结果"),
            _("评价"),
        ]

    def rows(self):
        now = timezone.now()
        for c in self.queryset.iterator(chunk_size=2000):
            yield [
                c.tracking_code,
                c.get_status_display(),
                c.category.name,
                c.township.name,
                c.village.name,
                c.division.name,
                c.get_level_display(),
                c.get_channel_display(),
                c.submitted_at,
                c.due_at,
                _("是") if c.is_overdue(now) else "",
                c.accepted_at,
                c.replied_at,
                c.closed_at,
                c.get_outcome_display() if c.outcome else "",
                c.get_rating_display() if c.rating else "",
            ]
