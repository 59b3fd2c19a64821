"""The complaint list export (admin action). Never identity: only what the queue shows.

The text, the public reply and the refusal reason are exported as the public pages show free text: through
``sunshine.masking.mask_free_text``, so a phone or ID number a filer typed into the text stays masked. Yes/no
columns say 是 or 否, never blank: a blank 是否逾期 read as "not known".
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sunshine.exports import ListExporter
from sunshine.masking import mask_free_text

from .models import Complaint


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
            _("内容"),
            _("公开答复"),
            _("不予受理理由"),
            _("涉及村干部"),
            _("已延期"),
            _("复查"),
        ]

    def rows(self):
        now = timezone.now()
        # Choice labels translated once per file, not once per cell (get_FOO_display per row was most of the time).
        label = {name: _labels(name) for name in ("status", "level", "channel", "outcome", "rating")}
        yes_no = {True: str(_("是")), False: str(_("否"))}
        for c in self.queryset.iterator(chunk_size=2000):
            yield [
                c.tracking_code,
                label["status"].get(c.status, c.status),
                c.category.name,
                c.township.name,
                c.village.name,
                c.division.name,
                label["level"].get(c.level, c.level),
                label["channel"].get(c.channel, c.channel),
                c.submitted_at,
                c.due_at,
                yes_no[bool(c.is_overdue(now))],
                c.accepted_at,
                c.replied_at,
                c.closed_at,
                label["outcome"].get(c.outcome, c.outcome) if c.outcome else "",
                label["rating"].get(c.rating, c.rating) if c.rating else "",
                mask_free_text(c.text),
                mask_free_text(c.reply),
                mask_free_text(c.reject_reason),
                yes_no[c.concerns_cadres],
                yes_no[c.extended],
                yes_no[c.is_review],
            ]


def _labels(field_name):
    """``{value: translated label}`` of a complaint field's choices, as ``get_<field>_display`` shows them."""
    return {value: str(text) for value, text in Complaint._meta.get_field(field_name).flatchoices}
