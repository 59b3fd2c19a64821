"""Demo complaints for the demo county: every state, every route, a few public results. Idempotent."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from villages.models import Division, Level, VillageCadre

from . import services
from .categories import seed_categories
from .models import Channel, Complaint, ComplaintCategory

DEMO_COUNTY = "360123000000"


def link_objection_categories():
    """One objection category per roster disclosure category (低保, 特困 …), routed to the township."""
    try:
        from disclosures.models import Category, Kind
    except ImportError:  # pragma: no cover
        return 0
    created = 0
    for order, category in enumerate(Category.objects.filter(kind=Kind.ROSTER), start=1):
        _, was_created = ComplaintCategory.objects.get_or_create(
            service_code=f"objection-{category.slug}"[:32],
            defaults={
                "name": f"{category.name}公示异议"[:64],
                "owning_level": Level.TOWNSHIP,
                "is_objection": True,
                "disclosure_category": category,
                "description": "对公示名单有异议",
                "sort_order": 900 + order,
            },
        )
        created += was_created
    return created


def _user(username):
    return get_user_model().objects.get(username=username)


class _Filer:
    """Files demo complaints and walks them through the moves, dated ``days`` ago."""

    def __init__(self, now):
        self.now = now
        self.cat = {c.service_code: c for c in ComplaintCategory.objects.all()}

    def ago(self, days):
        return self.now - datetime.timedelta(days=days)

    def file(self, code, village, text, days=0, **kw):
        complaint, _ = services.complaint_submit(
            category=self.cat[code], village=village, text=text, now=self.ago(days), **kw
        )
        return complaint

    def answer(self, c, actor, reply, outcome, days, summary):
        services.complaint_accept(complaint=c, actor=actor, now=self.ago(days - 1))
        services.complaint_start(complaint=c, actor=actor, now=self.ago(days - 2))
        services.complaint_reply(complaint=c, actor=actor, reply=reply, outcome=outcome, now=self.ago(days - 6))
        services.complaint_set_public(complaint=c, actor=actor, summary=summary, description_public=False)
        return c


def _seed_open(f, v):
    """Submitted (fresh, and overdue for the tick), accepted, in progress with an extension, replied."""
    clerk1, reviewer_t1 = _user("clerk_v01"), _user("reviewer_t1")
    f.file("environment", v["东坪村"], "东坪村村口垃圾池满了，一个多星期没人清运。", name="陈桂英", phone="13907910001")
    f.file("roads-water", v["西岭村"], "西岭村三组的灌溉渠塌了一段，影响插秧。", days=20)
    c = f.file("roads-water", v["东坪村"], "东坪村到镇上的村道有个大坑，晚上看不清。", days=5)
    services.complaint_accept(complaint=c, actor=clerk1)
    c = f.file("subsidy", v["石门村"], "今年的耕地地力保护补贴到现在还没发到卡上。", days=30, phone="13907910002")
    services.complaint_accept(complaint=c, actor=reviewer_t1, now=f.ago(28))
    services.complaint_start(complaint=c, actor=reviewer_t1, now=f.ago(27))
    services.complaint_extend(complaint=c, actor=reviewer_t1, reason="需与县农业农村局核对发放批次")
    c = f.file("village-affairs", v["西岭村"], "村务公开栏三个月没更新了。", days=12)
    f.answer(c, _user("clerk_v02"), "已更新公开栏，今后每月 10 日前更新。", "substantiated", 12, "村务公开栏未按时更新")


def _seed_answered(f, v):
    """Closed with ratings (public results), rejected, and 不满意 → review at the township."""
    clerk1, clerk2, reviewer_t1 = _user("clerk_v01"), _user("clerk_v02"), _user("reviewer_t1")
    for village, text, reply, outcome, rating, days, summary in [
        ("东坪村", "东坪村路灯坏了好几盏。", "已更换 6 盏路灯。", "substantiated", "satisfied", 40, "村内路灯损坏"),
        (
            "西岭村",
            "低保名单里有人家里开了厂。",
            "经入户核查，该户已于上月退出低保。",
            "partly",
            "basic",
            35,
            "低保对象家庭经济状况存疑",
        ),
    ]:
        clerk = clerk1 if village == "东坪村" else clerk2
        code = "environment" if village == "东坪村" else "social-assistance"
        actor = clerk if code == "environment" else reviewer_t1
        c = f.file(code, v[village], text, days=days)
        f.answer(c, actor, reply, outcome, days, summary)
        services.complaint_close(complaint=c, actor=actor, now=f.ago(days - 8))
        services.complaint_rate(complaint=c, rating=rating)
    c = f.file("other", v["桃源村"], "要求村里给我家修院墙。", days=3)
    services.complaint_reject(complaint=c, actor=_user("clerk_v04"), reason="属于个人财产修缮，不属于村务受理范围。")
    c = f.file("environment", v["东坪村"], "养猪场臭味太大，晚上都睡不着。", days=25)
    f.answer(c, clerk1, "已要求养殖户清理粪污。", "partly", 25, "养殖场异味扰民")
    services.complaint_rate(complaint=c, rating="unsatisfied", comment="还是很臭")


def _seed_routed(f, v):
    """Concerning a listed village cadre → township discipline; township staff → county; entered by phone."""
    f.file("conduct", v["东坪村"], "周德胜把危房改造名额给了自己亲戚。", days=2)
    f.file("conduct", v["河口村"], "乡里干部办事要好处费。", days=1, concerns_township_staff=True)
    services.complaint_submit(
        category=f.cat["roads-water"],
        village=v["河口村"],
        text="电话反映：河口村自来水浑浊。",
        channel=Channel.PHONE,
        entered_by=_user("reviewer_t2"),
        name="刘大爷",
    )


@transaction.atomic
def seed():
    seed_categories()
    linked = link_objection_categories()
    county = Division.objects.filter(code=DEMO_COUNTY).first()
    if county is None:
        return "complaints: demo county missing"
    existing = Complaint.objects.filter(county=county).count()
    if existing:
        return f"complaints: demo already present ({existing}), {linked} objection categories linked"
    v = {d.name: d for d in Division.objects.filter(level=Level.VILLAGE, path__startswith=county.path)}
    VillageCadre.objects.get_or_create(division=v["东坪村"], name="周德胜", defaults={"position": "村委会主任"})
    filer = _Filer(timezone.now())
    _seed_open(filer, v)
    _seed_answered(filer, v)
    _seed_routed(filer, v)
    return (
        f"complaints: {Complaint.objects.filter(county=county).count()} demo complaints in every state, "
        f"{linked} objection categories linked"
    )
