"""Demo data for the demo county: every category published, both roster phases, a correction,
a reconciliation with anomalies, an open objection window, a roster waiting for review and one lead of
every kind on the inspectors' 异常线索 page.

Idempotent: an existing disclosure for the same village, category, period and phase is left alone.
Everything goes through the services, as a clerk and the two reviewers would do it by hand.
"""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from sunshine.identity import check_char
from villages.models import Division, StaffRelative, VillageCadre

from . import services as s
from .categories import seed_categories
from .importer.demo import import_people
from .models import Category, Disclosure, LedgerLine, RosterEntry

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂兰", "建国", "志强", "玉梅", "德明", "春花", "永福", "海燕", "国华", "淑珍", "长林", "金凤", "红军"]


def demo_id(n):
    body = f"360123{1940 + n % 60:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + check_char(body)


def person(n, amount, *, category, group_count=3, cls="A"):
    id_number = demo_id(n)
    entry = RosterEntry(
        name=SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 3 + n // 20) % len(GIVEN)],
        group=f"第{1 + n % group_count}村民小组",
        household_size=1 + n % 4,
        amount=Decimal(amount),
        assistance_class=cls,
    )
    s.entry_set_identity(entry, id_number=id_number, category=category)
    entry.demo_id_number = id_number  # the demo imports its rosters from office-style files
    return entry


def import_rows(*, actor, revision, rows, reason=""):
    """Fill a roster draft the way a clerk does: write an office-style .xlsx and import it."""
    disclosure = revision.disclosure
    people = [
        {
            "name": e.name,
            "id_number": e.demo_id_number,
            "group": e.group,
            "household_size": e.household_size,
            "amount": e.amount,
            "assistance_class": e.assistance_class,
            "remark": e.remark,
        }
        for e in rows
    ]
    return import_people(
        actor=actor,
        division=disclosure.division,
        category=disclosure.category,
        period=disclosure.period,
        phase=disclosure.phase,
        people=people,
        reason=reason,
    )


class Demo:
    def __init__(self):
        users = get_user_model().objects.in_bulk(
            ["clerk_v01", "clerk_v02", "clerk_v03", "reviewer_t1", "discipline_t1"], field_name="username"
        )
        self.clerk, self.clerk2, self.clerk3 = users["clerk_v01"], users["clerk_v02"], users["clerk_v03"]
        self.reviewer, self.discipline = users["reviewer_t1"], users["discipline_t1"]
        self.cat = {c.slug: c for c in Category.objects.all()}
        self.created = 0

    def exists(self, village, slug, period, phase):
        return Disclosure.objects.filter(division=village, category=self.cat[slug], period=period, phase=phase).first()

    def draft(self, village, slug, period, phase="single", *, rows=None, lines=None, title="", body="", pre=None,
              clerk=None):  # fmt: skip
        clerk = clerk or self.clerk
        revision = s.disclosure_open_draft(
            actor=clerk, division=village, category=self.cat[slug], period=period, phase=phase, title=title,
            pre_disclosure=pre,
        )  # fmt: skip
        if title or body:
            s.revision_update_content(actor=clerk, revision=revision, title=title, body=body)
        if rows is not None:
            import_rows(actor=clerk, revision=revision, rows=rows)
        if lines is not None:
            s.revision_replace_ledger(actor=clerk, revision=revision, lines=lines, source={"demo": True})
        self.created += 1
        return revision.disclosure

    def publish(self, disclosure, clerk=None):
        s.disclosure_submit(disclosure=disclosure, actor=clerk or self.clerk)
        acknowledge_leads(disclosure, self.reviewer)
        s.disclosure_approve_township(disclosure=disclosure, actor=self.reviewer)
        if disclosure.category.review_chain == "reviewer_discipline":
            acknowledge_leads(disclosure, self.discipline)
            s.disclosure_approve_discipline(disclosure=disclosure, actor=self.discipline)
            s.disclosure_publish(disclosure=disclosure, actor=self.discipline)
        else:
            s.disclosure_publish(disclosure=disclosure, actor=self.reviewer)
        return disclosure

    def roster_pair(self, village, slug, period, pre_people, paid_people, clerk=None):
        pre = self.exists(village, slug, period, "pre")
        if pre is None:
            pre = self.publish(self.draft(village, slug, period, "pre", rows=pre_people(), clerk=clerk), clerk)
        post = self.exists(village, slug, period, "post")
        if post is None:
            post = self.publish(
                self.draft(village, slug, period, "post", rows=paid_people(), pre=pre, clerk=clerk), clerk
            )
        return pre, post


def acknowledge_leads(disclosure, actor, note="演示数据：已核实（发放名单与公示的差异系演示所设）"):
    """The demo's published rosters pass review like any other: each anomaly lead acknowledged with a note."""
    revision = s.working_revision(disclosure)
    revision.disclosure = disclosure
    move = s.pending_review_move(revision)
    for lead in s.open_leads(revision, move) if move else []:
        s.lead_acknowledge(actor=actor, revision=revision, lead_key=lead.key, note=note)


def line(date, voucher_no, summary, income="0", expense="0"):
    return LedgerLine(
        date=date, voucher_no=voucher_no, summary=summary, income=Decimal(income), expense=Decimal(expense)
    )


def backdate(disclosure, days):
    """Demo history: make an old publication look old (timestamps only; status moves stay with the tick)."""
    when = timezone.now() - dt.timedelta(days=days)
    Disclosure.objects.filter(pk=disclosure.pk).update(
        first_published_at=when, objection_ends_at=s.objection_window_end(when, disclosure.category.objection_days)
        if disclosure.phase == "pre" else None,
    )  # fmt: skip
    disclosure.revisions.filter(published_at__isnull=False).update(published_at=when)


def seed():
    seed_categories()
    if not get_user_model().objects.filter(username="clerk_v01").exists():
        return "disclosures: demo staff missing, run villages' seed first"
    village = Division.objects.get(code="360123100001")  # 青山镇 东坪村
    village2 = Division.objects.get(code="360123100002")  # 青山镇 西岭村
    with transaction.atomic():
        demo = Demo()
        _seed_rosters(demo, village)
        _seed_ledgers_and_documents(demo, village)
        _seed_in_review(demo, village2)
        _seed_anomalies(demo, village2)
        _seed_demo_resident(demo, Division.objects.get(code="360123100003"))  # 青山镇 石门村
    # Old objection windows are closed by portal's seed_demo, which runs the tick with the complaints' answer.
    return f"disclosures: {Category.objects.count()} categories, {demo.created} demo disclosures created"


def _seed_rosters(demo, village):
    dibao = demo.cat["dibao"]
    # 低保 September payout: everyone paid.
    sep = demo.exists(village, "dibao", "2026-09", "post")
    if sep is None:
        sep = demo.publish(
            demo.draft(village, "dibao", "2026-09", "post", rows=[person(n, 620, category=dibao) for n in range(1, 31)])
        )
        backdate(sep, 50)
    # October: two households newly approved, one amount adjusted; the payout has one person paid but never
    # announced and one announced household not paid: the reconciliation shows both.
    pre, post = demo.roster_pair(
        village, "dibao", "2026-10",
        lambda: [person(101, 620, category=dibao), person(102, 480, category=dibao), person(5, 700, category=dibao)],
        lambda: [
            *(person(n, 700 if n == 5 else 620, category=dibao) for n in range(1, 31) if n != 7),
            person(101, 620, category=dibao),
            person(103, 620, category=dibao),
        ],
    )  # fmt: skip
    if pre.first_published_at and pre.first_published_at > timezone.now() - dt.timedelta(days=20):
        backdate(pre, 30)
        backdate(post, 22)
    # A correction: the payout of 王秀英 (n=3) was typed as 620 but is 650.
    if post.current_revision.number == 1 and not s.working_revision(post):
        revision = s.disclosure_open_correction(
            actor=demo.clerk, disclosure=post, reason="第1村民小组一户金额录入错误，应为 650 元"
        )
        rows = [person(n, 650 if n == 3 else (700 if n == 5 else 620), category=dibao) for n in range(1, 31) if n != 7]
        rows += [person(101, 620, category=dibao), person(103, 620, category=dibao)]
        import_rows(actor=demo.clerk, revision=revision, rows=rows, reason="第1村民小组一户金额录入错误，应为 650 元")
        demo.publish(post)
    # November pre-disbursement notice: objection window open now.
    if demo.exists(village, "dibao", "2026-11", "pre") is None:
        demo.publish(
            demo.draft(village, "dibao", "2026-11", "pre", rows=[person(104, 560, category=dibao),
                                                                 person(105, 620, category=dibao)])
        )  # fmt: skip
    for slug, period, amount in (
        ("tekun", "2026-10", "1100"),
        ("linshi", "2026-10-15", "2000"),
        ("weifang", "2026", "32000"),
        ("gengdi", "2026", "1365.50"),
        ("huinong", "2026", "300"),
    ):
        cat = demo.cat[slug]
        base = {"tekun": 200, "linshi": 300, "weifang": 400, "gengdi": 500, "huinong": 600}[slug]
        pre, post = demo.roster_pair(
            village, slug, period,
            lambda cat=cat, base=base, amount=amount: [person(base + n, amount, category=cat) for n in range(6)],
            lambda cat=cat, base=base, amount=amount: [person(base + n, amount, category=cat) for n in range(6)],
        )  # fmt: skip
        if pre.status == "published" and pre.first_published_at > timezone.now() - dt.timedelta(days=20):
            backdate(pre, 30)
            backdate(post, 20)


def _seed_ledgers_and_documents(demo, village):
    if demo.exists(village, "yishiyiyi", "2026-09-01", "single") is None:
        lines = [
            line(dt.date(2026, 9, 1), "议-01", "村民一事一议筹资（修建组道）", income="61500"),
            line(dt.date(2026, 9, 5), "议-02", "财政奖补资金到账", income="20000"),
            line(dt.date(2026, 9, 12), "议-03", "购买水泥砂石", expense="5200"),
            line(dt.date(2026, 9, 20), "议-04", "测量设计费", expense="1633"),
        ]  # fmt: skip
        demo.publish(
            demo.draft(village, "yishiyiyi", "2026-09-01", lines=lines, title="东坪村组道硬化一事一议筹资收支",
                       body="经村民代表会议表决，筹资修建第2村民小组组道。")
        )  # fmt: skip
    if demo.exists(village, "caiwu", "2026-10", "single") is None:
        lines = [
            line(dt.date(2026, 10, 1), "记-001", "上月结余", income="18230.40"),
            line(dt.date(2026, 10, 8), "记-002", "集体山林承包费", income="12000"),
            line(dt.date(2026, 10, 15), "记-003", "村部电费", expense="386.20"),
            line(dt.date(2026, 10, 25), "记-004", "保洁员工资", expense="1800"),
        ]  # fmt: skip
        demo.publish(demo.draft(village, "caiwu", "2026-10", lines=lines, title="东坪村 2026 年 10 月财务收支"))
    documents = [
        ("gongcheng", "2026-08-18", "东坪村饮水安全巩固提升工程公示",
         "工程名称：饮水安全巩固提升工程\n中标单位：某某建设有限公司\n合同金额：186,000 元\n工期：2026年8月至11月"),
        ("xiaowei", "2026", "东坪村小微权力清单（2026 年版）",
         "一、村级重大事项决策\n二、村级财务管理\n三、低保、特困等救助对象初审\n四、宅基地申请初审"),
        ("banshi", "2026-03-01", "低保申请办事指南",
         "申请条件：家庭人均收入低于当地低保标准且财产状况符合规定。\n所需材料：户口簿、身份证、收入证明。\n"
         "办理流程：申请 → 村级初审公示 → 乡镇审核 → 县级审批。"),
        ("tonggao", "2026-11-20", "关于开展冬季森林防火的通知", "11月20日起进入森林防火期，严禁野外用火。"),
    ]  # fmt: skip
    for slug, period, title, body in documents:
        if demo.exists(village, slug, period, "single") is None:
            demo.publish(demo.draft(village, slug, period, title=title, body=body))


def _seed_in_review(demo, village):
    """A roster of 西岭村 waiting for the township reviewer: follow it by hand in the admin."""
    if demo.exists(village, "dibao", "2026-11", "pre") is None:
        dibao = demo.cat["dibao"]
        disclosure = demo.draft(
            village, "dibao", "2026-11", "pre", rows=[person(700 + n, 620, category=dibao) for n in range(4)],
            clerk=demo.clerk2,
        )  # fmt: skip
        s.disclosure_submit(disclosure=disclosure, actor=demo.clerk2)


def _seed_anomalies(demo, village):
    """A 特困 pre roster of 西岭村 submitted for review that the inspectors' 异常线索 page flags: one person also
    on 东坪村's roster of the same period, one amount above the category's range, a staff member's registered
    relative and a village cadre. Typed in (not imported): the importer would refuse the out-of-range amount."""
    tekun = demo.cat["tekun"]
    shared = person(200, "1100", category=tekun)  # also on 东坪村's 2026-10 特困 rosters
    high = person(720, "2600", category=tekun)
    relative = person(721, "1100", category=tekun)
    cadre = person(722, "1100", category=tekun)
    StaffRelative.objects.get_or_create(
        user=demo.reviewer, person_key=relative.person_key, defaults={"name": relative.name, "relation": "妹妹"}
    )
    VillageCadre.objects.get_or_create(
        division=village, person_key=cadre.person_key, defaults={"name": cadre.name, "position": "村委会委员"}
    )
    if demo.exists(village, "tekun", "2026-10", "pre") is None:
        revision = s.disclosure_open_draft(
            actor=demo.clerk2, division=village, category=tekun, period="2026-10", phase="pre"
        )
        s.revision_replace_entries(actor=demo.clerk2, revision=revision, entries=[shared, high, relative, cadre])
        s.disclosure_submit(disclosure=revision.disclosure, actor=demo.clerk2)
        demo.created += 1
    if tekun.amount_min is None and tekun.amount_max is None:  # never overwrite what a county admin set
        Category.objects.filter(pk=tekun.pk).update(amount_min=Decimal("300"), amount_max=Decimal("2000"))


# The demo resident of 我的补贴 (README): announced on 东坪村's 2026-10 低保 notice (480 元) but missing from that
# month's payout, and paid as announced on two yearly subsidies of 石门村 (where the family farms).
DEMO_RESIDENT = 102
DEMO_RESIDENT_NAME = "张志强"
DEMO_RESIDENT_ID = demo_id(DEMO_RESIDENT)


def _seed_demo_resident(demo, village):
    for slug, amount in (("gengdi", "862.40"), ("huinong", "300")):
        cat = demo.cat[slug]
        people = [person(DEMO_RESIDENT, amount, category=cat), *(person(n, amount, category=cat) for n in (730, 731))]
        pre, post = demo.roster_pair(
            village, slug, "2026", lambda people=people: people, lambda people=people: people, clerk=demo.clerk3
        )
        if pre.status == "published" and pre.first_published_at > timezone.now() - dt.timedelta(days=20):
            backdate(pre, 30)
            backdate(post, 20)
