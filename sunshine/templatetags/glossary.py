"""Plain-word explanations of the public site's terms, shown in place: ``{% explain "pre" %}`` renders a closed
``<details>`` “拟享受名单公示”是什么？ (no JavaScript) beside the term. One table, so a term reads the same on every
page."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

TERMS = {
    "pre": (
        _("拟享受名单公示"),
        _(
            "发钱之前，先把打算给谁、给多少贴出来，请大家看看有没有不该给的、漏掉的。"
            "公示期内谁都可以提出异议；公示期满、异议都答复了，才按名单发放。"
        ),
    ),
    "post": (
        _("发放结果公开"),
        _("钱发下去以后，公开实际发给了谁、发了多少，可以和之前公示的名单对照。"),
    ),
    "class": (
        _("类别 / 档次"),
        _(
            "同一项补贴按家庭困难程度分成几档（如 A 类、B 类或一档、二档），档次不同，领到的钱不同。"
            "各档标准见本页说明，或向村委会询问。"
        ),
    ),
    "checksum": (
        _("内容校验码（SHA-256）"),
        _(
            "由这份名单的全部内容算出的一串字符，像名单的“指纹”：名单改动一个字，这串字符就完全不同。"
            "公示栏上贴的纸质版印着同一串字符，可以核对网上和墙上的名单是否一致。"
        ),
    ),
    "atom": (
        _("订阅（Atom）"),
        _("给新闻阅读软件用的更新地址：把链接加到阅读软件里，有新的公开内容会自动提醒。不用的话可以不管它。"),
    ),
    "reconciliation": (
        _("核对结果"),
        _(
            "把实际发放的名单和之前公示的名单逐人对照。公示了却没发的、发了却没公示过的、"
            "金额和公示不一样的，都标为“需核实”。"
        ),
    ),
    "outcome": (
        _("办理结果"),
        _(
            "属实：反映的情况经核查是真的。部分属实：反映的情况有一部分是真的，有一部分不是。"
            "不属实：经核查不是这样。不属于受理范围：应由其他部门办理，答复里会告诉您找谁。"
        ),
    ),
    "tracking": (
        _("查询码和密码"),
        _("提交留言后给您的两串字符，凭它们可以随时查看办理进度和答复。请抄下来或拍照保存。"),
    ),
}


@register.inclusion_tag("_explain.html")
def explain(term):
    label, text = TERMS[term]
    return {"label": label, "text": text}
