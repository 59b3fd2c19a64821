"""The seeded disclosure categories. County admins edit them in the admin afterwards."""

from .models import Cadence, Category, Kind, ReviewChain

# 低保 public fields follow 民发〔2021〕57号 art.24: name, village/group, household size, amount.
BASE_FIELDS = ["name", "group", "household_size", "amount"]
YEAR = 365

CATEGORIES = [
    # slug, name, kind, cadence, objection days, public fields, retention days, chain, stores full id
    (
        "dibao",
        "最低生活保障（低保）",
        Kind.ROSTER,
        Cadence.MONTHLY,
        7,
        [*BASE_FIELDS, "assistance_class"],
        3 * YEAR,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    (
        "tekun",
        "特困人员救助供养",
        Kind.ROSTER,
        Cadence.MONTHLY,
        7,
        [*BASE_FIELDS, "assistance_class"],
        3 * YEAR,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    (
        "linshi",
        "临时救助",
        Kind.ROSTER,
        Cadence.PER_EVENT,
        3,
        ["name", "group", "amount", "remark"],
        2 * YEAR,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    (
        "weifang",
        "农村危房改造",
        Kind.ROSTER,
        Cadence.YEARLY,
        7,
        ["name", "group", "amount", "assistance_class"],
        3 * YEAR,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    (
        "gengdi",
        "耕地地力保护补贴",
        Kind.ROSTER,
        Cadence.YEARLY,
        5,
        ["name", "group", "id_masked", "amount", "remark"],
        3 * YEAR,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        True,
    ),
    (
        "huinong",
        "其他惠农补贴",
        Kind.ROSTER,
        Cadence.YEARLY,
        5,
        ["name", "group", "amount", "assistance_class"],
        3 * YEAR,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    ("caiwu", "村级财务收支", Kind.LEDGER, Cadence.MONTHLY, 0, [], None, ReviewChain.REVIEWER_AND_DISCIPLINE, False),
    (
        "gongcheng",
        "工程项目",
        Kind.DOCUMENT,
        Cadence.PER_EVENT,
        0,
        [],
        None,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    (
        "yishiyiyi",
        "一事一议/集资",
        Kind.LEDGER,
        Cadence.PER_EVENT,
        0,
        [],
        None,
        ReviewChain.REVIEWER_AND_DISCIPLINE,
        False,
    ),
    ("xiaowei", "小微权力清单", Kind.DOCUMENT, Cadence.YEARLY, 0, [], None, ReviewChain.REVIEWER_ONLY, False),
    ("banshi", "办事指南", Kind.DOCUMENT, Cadence.PER_EVENT, 0, [], None, ReviewChain.REVIEWER_ONLY, False),
    ("tonggao", "通知公告", Kind.DOCUMENT, Cadence.PER_EVENT, 0, [], None, ReviewChain.REVIEWER_ONLY, False),
]


def seed_categories():
    """Create the categories that do not exist yet; never overwrite what a county admin edited. Idempotent."""
    created = 0
    for order, (slug, name, kind, cadence, days, fields, retention, chain, full_id) in enumerate(CATEGORIES, start=1):
        _, was_created = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "cadence": cadence,
                "objection_days": days,
                "public_fields": fields,
                "retention_days": retention,
                "review_chain": chain,
                "stores_full_id": full_id,
                "sort_order": order * 10,
            },
        )
        created += was_created
    return created
