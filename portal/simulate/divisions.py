"""Counties, townships, villages and their registered 村民小组, and one staff login per role and place.

The first county is the demo county (``villages.demo``: the same logins and password as ``seed_demo``),
topped up to the asked number of villages; further counties get their own codes and logins prefixed
``cNNN_``. Passwords are hashed once and the hash is copied (412 PBKDF2 runs would take minutes).
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from villages.demo import seed_divisions_and_staff
from villages.models import Division, Level, Membership, Role

TOWNSHIP_NAMES = "青山白水红星石桥龙潭凤岭长岗新塘高田马鞍金溪桃花梅林杨柳铁炉双溪黄坪东港西湖南岭北坡"
VILLAGE_WORDS = "东西南北上下新老大小前后中高低"
VILLAGE_STEMS = "坪岭门源口塘田泉坑湾坳冲垅陂港洲桥庄埠岗"


@dataclass
class Village:
    division: Division
    township: Division
    county: Division
    groups: list
    clerk: tuple  # (user id, username) of the village's clerk, and of its township's reviewer and discipline
    reviewer: tuple
    discipline: tuple
    inspector: tuple
    index: int  # 0-based, across the whole region

    @property
    def clerk_id(self):
        return self.clerk[0] if self.clerk else None


@dataclass
class County:
    division: Division
    townships: list
    villages: list = field(default_factory=list)
    staff: list = field(default_factory=list)  # (user id, username, division id, role)


def _village_name(n):
    return VILLAGE_WORDS[n % len(VILLAGE_WORDS)] + VILLAGE_STEMS[(n // len(VILLAGE_WORDS)) % len(VILLAGE_STEMS)] + "村"


def _bulk_divisions(rows):
    """Insert divisions (``(code, name, level, parent, sort_order)``) in bulk, then set their paths."""
    made = Division.objects.bulk_create(
        [Division(code=c, name=n, level=lv, parent=p, sort_order=o) for c, n, lv, p, o in rows], batch_size=2000
    )
    for division in made:
        division.path = f"{division.parent.path if division.parent_id else '/'}{division.pk}/"
    Division.objects.bulk_update(made, ["path"], batch_size=2000)
    return made


class StaffMaker:
    """Staff accounts and memberships in bulk, all with the demo password's hash."""

    def __init__(self):
        self.users, self.memberships = [], []
        self.password = None  # read once the demo county (and so clerk_v01) exists

    def add(self, username, full_name, division, role):
        if self.password is None:
            self.password = get_user_model().objects.get(username="clerk_v01").password
        user = get_user_model()(username=username, first_name=full_name, is_staff=True, password=self.password)
        self.users.append(user)
        self.memberships.append((user, division, role))
        return user

    def save(self):
        get_user_model().objects.bulk_create(self.users, batch_size=2000)
        Membership.objects.bulk_create(
            [Membership(user=u, division=d, role=r) for u, d, r in self.memberships], batch_size=2000
        )


def _demo_county():
    seed_divisions_and_staff()
    county = Division.objects.get(code="360123000000")
    return county, list(county.children.order_by("sort_order", "pk"))


def build_county(k, *, villages, townships, staff):
    """County ``k`` (0 = the demo county) with ``villages`` villages over about ``townships`` townships.

    Returns the county division; staff are added to ``staff`` (saved later, in one go)."""
    if k == 0:
        county, towns = _demo_county()
        prefix = ""
    else:
        code = f"36{1 + k // 99:02d}{1 + k % 99:02d}000000"
        (county,) = _bulk_divisions([(code, f"模拟{k + 1}县", Level.COUNTY, None, k)])
        towns, prefix = [], f"c{k + 1:03d}_"
        staff.add(f"{prefix}county_admin", "县管理员", county, Role.COUNTY_ADMIN)
        staff.add(f"{prefix}inspector", "县纪委监督员", county, Role.COUNTY_INSPECTOR)
    existing = Division.objects.filter(level=Level.VILLAGE, parent__parent=county).count()
    towns = _add_townships(county, towns, townships, prefix, staff)
    made = _add_villages(towns, existing, villages, prefix, staff)
    _add_groups(made)
    return county


def describe_county(county, villages, first_index):
    """The county's first ``villages`` villages with their groups and staff, as the other builders need them."""
    roles = {}
    result = County(division=county, townships=list(county.children.order_by("sort_order", "pk")))
    for user_id, username, division_id, role in Membership.objects.filter(
        division__path__startswith=county.path
    ).values_list("user_id", "user__username", "division_id", "role"):
        roles.setdefault((division_id, role), (user_id, username))
        result.staff.append((user_id, username, division_id, role))
    towns = {t.pk: t for t in result.townships}
    divisions = list(
        Division.objects.filter(level=Level.VILLAGE, parent__parent=county).order_by(
            "parent__sort_order", "sort_order", "pk"
        )[:villages]
    )
    groups = {}
    for village_id, name in (
        Division.objects.filter(level=Level.GROUP, parent__in=divisions)
        .order_by("sort_order")
        .values_list("parent_id", "name")
    ):
        groups.setdefault(village_id, []).append(name)
    for n, village in enumerate(divisions):
        result.villages.append(
            Village(
                division=village,
                township=towns[village.parent_id],
                county=county,
                groups=groups.get(village.pk) or ["第1村民小组"],
                clerk=roles.get((village.pk, Role.VILLAGE_CLERK)),
                reviewer=roles.get((village.parent_id, Role.TOWNSHIP_REVIEWER)),
                discipline=roles.get((village.parent_id, Role.TOWNSHIP_DISCIPLINE)),
                inspector=roles.get((county.pk, Role.COUNTY_INSPECTOR)),
                index=first_index + n,
            )
        )
    return result


def _add_townships(county, towns, wanted, prefix, staff):
    rows = []
    for t in range(len(towns) + 1, max(wanted, 1) + 1):
        name = TOWNSHIP_NAMES[(2 * t) % len(TOWNSHIP_NAMES)] + TOWNSHIP_NAMES[(2 * t + 1) % len(TOWNSHIP_NAMES)]
        rows.append(
            (f"{county.code[:6]}{100 + t:03d}000", f"{name}{'镇' if t % 2 else '乡'}", Level.TOWNSHIP, county, t)
        )
    made = _bulk_divisions(rows)
    for t, township in enumerate(made, start=len(towns) + 1):
        staff.add(f"{prefix}reviewer_t{t}", f"{township.name}乡镇审核员", township, Role.TOWNSHIP_REVIEWER)
        staff.add(f"{prefix}discipline_t{t}", f"{township.name}乡镇纪委", township, Role.TOWNSHIP_DISCIPLINE)
    return list(towns) + made


def _add_villages(towns, existing, wanted, prefix, staff):
    """Villages beyond the demo's, spread over the townships the demo did not fill."""
    missing = wanted - existing
    if missing <= 0:
        return []
    open_towns = [t for t in towns if not t.children.exists()] or towns
    rows = []
    for n in range(missing):
        township = open_towns[n % len(open_towns)]
        number = n // len(open_towns) + 1 + (10 if township.children.exists() else 0)
        rows.append((f"{township.code[:9]}{number:03d}", _village_name(existing + n), Level.VILLAGE, township, number))
    made = _bulk_divisions(rows)
    for n, village in enumerate(made, start=existing + 1):
        staff.add(f"{prefix}clerk_v{n:02d}", f"{village.name}村务公开员", village, Role.VILLAGE_CLERK)
    return made


def _add_groups(villages):
    rows = []
    for n, village in enumerate(villages):
        for g in range(1, 4 + n % 6 + 1):
            rows.append((None, f"第{g}村民小组", Level.GROUP, village, g))
    _bulk_divisions(rows)
