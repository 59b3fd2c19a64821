"""The one registry of audit action codes: ``<object>.<past tense>``, each with its Chinese label.

``build_event`` refuses a code that is not here, so a service cannot write an action the admin,
the timelines and the README cannot name. Codes written before this registry existed stay readable
through ``LEGACY``: the log is append-only, so old rows keep their old codes and are shown with the
label of the code that replaced them.
"""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    # jurisdictions and staff (villages)
    "division.created": _("新增区划"),
    "division.changed": _("修改区划"),
    "division.deleted": _("删除区划"),
    "membership.granted": _("授予岗位"),
    "membership.changed": _("修改岗位"),
    "membership.revoked": _("撤销岗位"),
    "cadre.created": _("新增村干部"),
    "cadre.changed": _("修改村干部"),
    "cadre.deleted": _("删除村干部"),
    "relative.created": _("登记工作人员近亲属"),
    "relative.changed": _("修改工作人员近亲属"),
    "relative.deleted": _("删除工作人员近亲属"),
    "calendar_day.created": _("新增工作日历日期"),
    "calendar_day.changed": _("修改工作日历"),
    "calendar_day.deleted": _("删除工作日历日期"),
    # large exports made in the background (villages.export_jobs)
    "export_job.requested": _("提交导出任务"),
    "export_job.completed": _("导出任务完成"),
    "export_job.failed": _("导出任务失败"),
    "export_job.expired": _("导出文件到期删除"),
    "export_job.downloaded": _("下载导出文件"),
    # categories
    "category.created": _("新增公开类别"),
    "category.changed": _("修改公开类别"),
    # disclosures and their revisions
    "disclosure.created": _("新建公开事项"),
    "disclosure.submitted": _("提交审核"),
    "disclosure.township_approved": _("乡镇审核通过"),
    "disclosure.discipline_approved": _("纪委审核通过"),
    "disclosure.published": _("公开"),
    "disclosure.returned": _("退回"),
    "disclosure.confirmed": _("公示期满确认"),
    "disclosure.archived": _("归档"),
    "disclosure.taken_down": _("撤下并隐去个人信息"),
    "disclosure.bulletin_regenerated": _("重新生成公示栏 PDF"),
    "disclosure.anomalies_exported": _("导出异常线索"),
    "revision.opened": _("新建草稿版本"),
    "revision.correction_opened": _("开始更正"),
    "revision.content_changed": _("修改标题、正文或更正原因"),
    "revision.entries_replaced": _("替换名单"),
    "revision.entries_edited": _("逐行修改名单"),
    "revision.ledger_replaced": _("替换收支明细"),
    "revision.lead_acknowledged": _("核实异常线索"),
    # roster import
    "roster_import.uploaded": _("上传名单文件"),
    "roster_import.expired": _("导入预览过期"),
    # complaints
    "complaint.submitted": _("已提交"),
    "complaint.accepted": _("已受理"),
    "complaint.rejected": _("不予受理"),
    "complaint.started": _("开始办理"),
    "complaint.replied": _("已答复"),
    "complaint.closed": _("已办结"),
    "complaint.reopened": _("重新办理"),
    "complaint.escalated": _("上报上一级办理"),
    "complaint.transferred": _("转办"),
    "complaint.extended": _("办理期限延长"),
    "complaint.rated": _("留言人评价"),
    "complaint.contacted": _("已与留言人联系"),
    "complaint.publicity_set": _("设置公开摘要"),
    "complaint.identity_revealed": _("查看留言人身份"),
    "complaint.secret_reissued": _("重发查询密码（短信）"),
    "complaint_category.created": _("新增留言类别"),
    "complaint_category.changed": _("修改留言类别"),
    "complaint_clock.created": _("新增办理时限设置"),
    "complaint_clock.changed": _("修改办理时限设置"),
    "open311_key.issued": _("签发 Open311 密钥"),
    "open311_key.changed": _("修改 Open311 密钥"),
    # the log itself
    "audit.forgery_removed": _("移除伪造的审计记录"),
    # staff sign-in (villages.auth_audit; lockouts by django-axes)
    "auth.login_succeeded": _("工作人员登录"),
    "auth.login_failed": _("登录失败"),
    "auth.locked_out": _("登录失败次数过多，账号已锁定"),
    "auth.unlocked": _("解除登录锁定"),
    "auth.totp_enrolled": _("启用动态口令"),
    "auth.totp_verified": _("动态口令验证通过"),
    "auth.totp_failed": _("动态口令错误"),
    "auth.totp_removed": _("重置动态口令设备"),
}

# Codes written before the registry, mapped to the code that replaced them (display only; never written).
LEGACY = {
    "disclosure.submit": "disclosure.submitted",
    "disclosure.approve_township": "disclosure.township_approved",
    "disclosure.approve_discipline": "disclosure.discipline_approved",
    "disclosure.publish": "disclosure.published",
    "disclosure.return": "disclosure.returned",
    "disclosure.confirm": "disclosure.confirmed",
    "disclosure.archive": "disclosure.archived",
    "disclosure.take_down": "disclosure.taken_down",
}


# The kinds the audit log filters by (操作类别): each a label and the code prefixes (``<object>.``) it covers.
# Every registered code falls in exactly one kind (a test checks).
ACTION_KINDS = {
    "disclosure": (_("公开与名单"), ("disclosure.", "revision.", "category.")),
    "import": (_("名单导入"), ("roster_import.",)),
    "complaint": (_("留言投诉"), ("complaint.", "complaint_category.", "complaint_clock.", "open311_key.")),
    "account": (_("账户与登录"), ("auth.", "membership.")),
    "division": (_("区划与人员"), ("division.", "cadre.", "relative.", "calendar_day.")),
    "export": (_("导出"), ("export_job.",)),
    "system": (_("审计系统"), ("audit.",)),
}

# Actions a resident takes without a staff account (intake, rating, reopening, asking for a new password):
# an event of one of these with no staff actor was the resident's; any other event without one was the system's.
RESIDENT_ACTIONS = frozenset(
    {"complaint.submitted", "complaint.rated", "complaint.reopened", "complaint.secret_reissued"}
)


def action_kind(code):
    """The key of ``ACTION_KINDS`` a code (legacy codes included) belongs to, or None."""
    code = LEGACY.get(code, code)
    return next((kind for kind, (_label, prefixes) in ACTION_KINDS.items() if code.startswith(prefixes)), None)


def codes_of_kind(kind):
    """Every code a kind covers: the registered ones and the legacy codes they replaced."""
    return [code for code in [*ACTIONS, *LEGACY] if action_kind(code) == kind]


class UnregisteredAction(ValueError):
    """A service tried to write an action code that is not in ``ACTIONS``."""


def check_action(code):
    """``code`` if it may be written; raises :class:`UnregisteredAction` otherwise."""
    if code not in ACTIONS:
        raise UnregisteredAction(f"audit action {code!r} is not registered in sunshine.audit.actions.ACTIONS")
    return code


def action_label(code):
    """The Chinese label of a code as stored (legacy codes included); the code itself when unknown."""
    return ACTIONS.get(LEGACY.get(code, code), code)


def action_choices():
    """``(code, label)`` pairs for filters and forms, in registry order."""
    return list(ACTIONS.items())
