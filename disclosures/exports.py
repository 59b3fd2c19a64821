"""The inspectors' lists as tables: shown on the admin pages and exported (``sunshine.exports``).

Names and masked IDs only: the entries are loaded without their encrypted ID or bank account, so
neither can reach a page or a workbook. A name typed as a formula (``=HYPERLINK(…)``) is exported as
text by the exporter base.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.exports import XLSX as XLSX  # re-exported: the import template and the import API name it here
from sunshine.exports import ListExporter, Sheet

from . import selectors
from .models import Phase, RevisionState


@dataclass
class Table:
    kind: str
    title: str
    help: str
    headers: list
    rows: list = field(default_factory=list)  # [(cells, admin url of the disclosure or "")]
    personal: bool = True  # holds names: exporting it is audited

    @property
    def shown(self):
        return self.rows[: selectors.ROW_LIMIT]

    @property
    def truncated(self):
        return len(self.rows) > selectors.ROW_LIMIT


def _admin_urls():
    """A function of a disclosure id giving its admin change URL. One reverse() per list, not one per row: a
    county's list has thousands of rows. (Not cached across requests: the URL carries the request's script
    prefix.)"""
    pattern = reverse("admin:disclosures_disclosure_change", args=[0])
    head, sep, tail = pattern.rpartition("/0/")
    assert sep, pattern
    return lambda disclosure_id: f"{head}/{disclosure_id}/{tail}"


def _entry_head(entry):
    d = entry.revision.disclosure
    return [
        selectors.where(d.division),
        d.category.name,
        d.period,
        str(Phase(d.phase).label),
        f"v{entry.revision.number} {RevisionState(entry.revision.state).label}",
        entry.name,
        entry.id_masked,
        entry.amount,
    ]


def _entry_headers():
    return [_("乡镇/村"), _("类别"), _("期间"), _("阶段"), _("版本"), _("姓名"), _("身份证号（脱敏）"), _("金额（元）")]


def _range(category):
    low = category.amount_min if category.amount_min is not None else 0
    high = category.amount_max if category.amount_max is not None else _("不限")
    return f"{low}–{high}"


ANOMALY_KINDS = {
    "cross_village": gettext_lazy("同一人在多个村同期名单上"),
    "related": gettext_lazy("工作人员近亲属、村干部本人"),
    "out_of_range": gettext_lazy("金额超出类别范围"),
    "reconciliation": gettext_lazy("发放核对异常"),
}


def _entry_table(kind, entries, help_text, extra_header, extra):
    """A list of roster entries: the common columns, then one column of its own (``extra(entry)``)."""
    table = Table(kind, str(ANOMALY_KINDS[kind]), help_text, [*_entry_headers(), extra_header])
    admin_url = _admin_urls()
    table.rows = [([*_entry_head(e), extra(e)], admin_url(e.revision.disclosure.pk)) for e in entries]
    return table


def anomaly_table(kind, user, filters):
    """One anomaly list of the user's jurisdiction as a ``Table``."""
    if kind == "cross_village":
        return _entry_table(
            kind,
            selectors.cross_village_entries(user, filters),
            _(
                "同一身份证号（按加密摘要比对）出现在同一类别、同一期间、同一阶段的多个村的名单上（已提交及以后的版本）。"
            ),
            _("也在这些村的名单上"),
            lambda e: "、".join(e.other_places),
        )
    if kind == "related":
        return _entry_table(
            kind,
            selectors.related_entries(user, filters),
            _("名单上的人与工作人员登记的近亲属或在任村干部是同一人（按身份证号加密摘要比对）。"),
            _("关联"),
            lambda e: "；".join(e.matches),
        )
    if kind == "out_of_range":
        return _entry_table(
            kind,
            selectors.out_of_range_entries(user, filters),
            _("金额低于或高于该类别设定的金额范围（公开类别中的“金额下限/上限”）。"),
            _("类别范围（元）"),
            lambda e: _range(e.revision.disclosure.category),
        )
    if kind != "reconciliation":
        raise KeyError(kind)
    pairs = selectors.reconciliation_anomalies(user, filters)
    admin_url = _admin_urls()
    table = Table(
        kind,
        str(ANOMALY_KINDS[kind]),
        _(
            "已公开的发放结果与公示名单、上期发放的核对：已发放但未公示、已公示但未发放、金额与公示不同或较上期变化"
            "但未公示。既无上期发放也无公示名单可比对的（系统中第一期）不列入。"
        ),
        [
            _("乡镇/村"),
            _("类别"),
            _("期间"),
            _("姓名"),
            _("村民小组"),
            _("核对结果"),
            _("公示金额"),
            _("上期金额"),
            _("本期发放"),
        ],
    )
    table.rows = [
        (
            [
                selectors.where(post.division),
                post.category.name,
                post.period,
                row.name,
                row.group,
                str(row.outcome_label),
                row.announced,
                row.previous,
                row.paid,
            ],
            admin_url(post.pk),
        )
        for post, row in pairs
    ]
    return table


def anomaly_tables(user, filters):
    return [anomaly_table(kind, user, filters) for kind in ANOMALY_KINDS]


def _pct(value):
    return f"{value}%" if value is not None else "—"


def township_tables(figures, categories, period):
    """The per-township figures as three tables: timeliness, payout rosters of ``period``, complaints.

    ``figures, categories`` come from ``portal.selectors.township_figures``, which owns 乡镇统计 because it
    combines disclosure and complaint figures (this app does not import complaints)."""
    timeliness = Table(
        "timeliness",
        _("公开及时性（近期各期）"),
        _("按各类别的公开周期统计已到期的应公开事项（月度近 3 期、季度近 2 期、年度近 1 期；名单按发放结果计）。"),
        [_("乡镇"), _("应公开"), _("按时公开"), _("逾期后公开"), _("逾期未公开"), _("未到期")],
        personal=False,
    )
    timeliness.rows = [([f.township.name, f.owed, f.on_time, f.late, f.overdue, f.pending], "") for f in figures]
    payouts = Table(
        "payouts",
        _("发放结果名单（%(period)s）") % {"period": period or "—"},
        _("已公开的发放结果名单：名单份数、人数、发放金额合计，按类别。"),
        [_("乡镇"), _("类别"), _("名单数"), _("人数"), _("发放金额（元）")],
        personal=False,
    )
    # One row per township and category (a missing payout shows as 0), readable on any screen width.
    for f in figures:
        for category in categories:
            cell = f.rosters.get(category.pk, {"rosters": 0, "people": 0, "paid": 0})
            payouts.rows.append(([f.township.name, category.name, cell["rosters"], cell["people"], cell["paid"]], ""))
    complaints = Table(
        "complaints",
        _("留言投诉"),
        _("括号内是样本数：有受理/办结期限结果的件数、有评价的件数。"),
        [_("乡镇"), _("收到"), _("按时受理"), _("按时办结"), _("满意（含基本满意）")],
        personal=False,
    )
    for f in figures:
        c = f.complaints
        if c is None:
            complaints.rows.append(([f.township.name, 0, "—", "—", "—"], ""))
            continue
        complaints.rows.append(
            (
                [
                    f.township.name,
                    c["received"],
                    f"{_pct(c['accept_pct'])} ({c['accept_n']})",
                    f"{_pct(c['conclude_pct'])} ({c['conclude_n']})",
                    f"{_pct(c['satisfaction_pct'])} ({c['rated_n']})",
                ],
                "",
            )
        )
    return [timeliness, payouts, complaints]


class TablesExporter(ListExporter):
    """Tables as one export, one sheet each: a filters line, the headers, every row (not only those shown)."""

    def __init__(self, tables, *, filters_line="", title="", identifier="export"):
        self.tables = tables
        self.filters_line = filters_line
        self.title = title
        self.identifier = identifier

    def sheets(self):
        preamble = [[self.filters_line]] if self.filters_line else []
        for table in self.tables:
            yield Sheet(table.title, table.headers, (cells for cells, _url in table.rows), preamble)


# The whole 异常线索 report: every list in one workbook, one sheet each (the page's main export button).
REPORT = "all"
REPORT_TITLE = gettext_lazy("全部异常线索")


def anomaly_report_tables(kind, user, filters):
    """The tables of an export: every list for ``REPORT``, else the one list ``kind``."""
    if kind == REPORT:
        return anomaly_tables(user, filters)
    return [anomaly_table(kind, user, filters)]


def anomaly_export(tables, filters_line, kind=REPORT):
    """Anomaly lists with the filters they were taken with: one workbook, a sheet per list (file 异常线索 or
    异常线索-<list>)."""
    title = _("异常线索") if kind == REPORT else _("异常线索-%(list)s") % {"list": tables[0].title}
    return TablesExporter(tables, filters_line=filters_line, title=title, identifier=f"anomalies-{kind}")


def xlsx(tables, filters_line=""):
    """The tables as an .xlsx workbook (bytes), one sheet each."""
    return TablesExporter(tables, filters_line=filters_line).xlsx()
