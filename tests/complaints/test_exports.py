"""The complaint export an inspector can use: the text and the reply masked as on public pages, the outcome,
是/否 in every yes/no column, and nothing of who filed it."""

import datetime
import io

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from complaints import services
from complaints.models import Complaint

CHANGELIST = "admin:complaints_complaint_changelist"
HEADERS = [
    "查询码", "状态", "类别", "乡镇", "村", "办理单位", "办理层级", "来源", "提交时间", "当前期限", "是否逾期",
    "受理时间", "答复时间", "办结时间", "办理结果", "评价", "内容", "公开答复", "不予受理理由", "涉及村干部",
    "已延期", "复查",
]  # fmt: skip
YES_NO = ("是否逾期", "涉及村干部", "已延期", "复查")


def export(client, user, complaints):
    client.force_login(user)
    response = client.post(
        reverse(CHANGELIST), {"action": "export_xlsx", "_selected_action": [c.pk for c in complaints]}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]
    return rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def test_text_reply_outcome_and_yes_no(client, file_complaint, clerk_v1, reviewer_t1):
    replied = file_complaint(
        "environment",
        name="王五",
        phone="13700137000",
        text="村口垃圾没人清，我电话 13912345678，身份证 110101199003070011。",
    )
    services.complaint_accept(complaint=replied, actor=clerk_v1)
    services.complaint_start(complaint=replied, actor=clerk_v1)
    services.complaint_reply(
        complaint=replied, actor=clerk_v1, reply="已清运。联系人 13800138000。", outcome="substantiated"
    )
    late = file_complaint("environment", text="=HYPERLINK(\"http://x\",\"点我\")", concerns_cadres=True)
    Complaint.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))

    headers, by_code = export(client, reviewer_t1, [replied, late])  # one concerns cadres: not for the village
    assert headers == HEADERS
    first, second = by_code[replied.tracking_code], by_code[late.tracking_code]
    assert first["内容"] == "村口垃圾没人清，我电话 ***********，身份证 ******************。"
    assert first["公开答复"] == "已清运。联系人 ***********。" and first["办理结果"] == "属实"
    assert [first[h] for h in YES_NO] == ["否", "否", "否", "否"]  # never blank
    assert [second[h] for h in YES_NO] == ["是", "是", "否", "否"]
    assert second["内容"] == '=HYPERLINK("http://x","点我")'  # text, not a formula (openpyxl reads it back as text)
    assert second["公开答复"] is None and second["办理结果"] is None


def test_nothing_of_the_filer_reaches_the_export(client, file_complaint, clerk_v1):
    c = file_complaint("environment", name="王五", phone="13700137000", email="wangwu@example.com")
    _headers, by_code = export(client, clerk_v1, [c])
    text = str(by_code)
    for secret in ("王五", "13700137000", "wangwu@example.com", c.filer_phone_key, c.filer_name_enc):
        assert secret not in text
