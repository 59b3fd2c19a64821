"""The demo county: three townships, twelve villages with groups, one login per role and place."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from .models import Division, Level, Membership, Role

DEMO_PASSWORD = "sunshine-demo-2026"

COUNTY = ("360123000000", "阳光县")
TOWNSHIPS = [
    ("360123100000", "青山镇", "t1", ["东坪村", "西岭村", "石门村", "桃源村"]),
    ("360123200000", "白水乡", "t2", ["河口村", "柳塘村", "新田村", "龙泉村"]),
    ("360123300000", "红星镇", "t3", ["建设村", "光明村", "和平村", "前进村"]),
]
GROUPS_PER_VILLAGE = 3
# Made-up but plausible centroids (WGS-84) in hilly northern Jiangxi: each township seat, and each village's
# offset from it in degrees (about 1.5–2 km), so a report sent as lat/long finds the nearest village.
TOWNSHIP_SEATS = {"t1": (28.905, 115.480), "t2": (28.790, 115.615), "t3": (28.850, 115.545)}
VILLAGE_OFFSETS = [(0.014, -0.012), (0.012, 0.016), (-0.015, 0.011), (-0.011, -0.017)]


def _division(code, name, level, parent, sort_order):
    division, _ = Division.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "parent": parent, "sort_order": sort_order}
    )
    return division


def _user(username, full_name):
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": full_name, "is_staff": True}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _role(user, division, role):
    Membership.objects.get_or_create(user=user, division=division, role=role)


def seed_divisions_and_staff():
    """Idempotent. Returns ``[(username, role label, division name)]`` for the printout."""
    logins = []
    county = _division(COUNTY[0], COUNTY[1], Level.COUNTY, None, 0)
    for username, name, role in (
        ("county_admin", "县管理员", Role.COUNTY_ADMIN),
        ("inspector", "县纪委监督员", Role.COUNTY_INSPECTOR),
    ):
        _role(_user(username, name), county, role)
        logins.append((username, Role(role).label, county.name))
    village_no = 0
    for t_index, (t_code, t_name, t_key, villages) in enumerate(TOWNSHIPS, start=1):
        township = _division(t_code, t_name, Level.TOWNSHIP, county, t_index)
        for prefix, role in (("reviewer", Role.TOWNSHIP_REVIEWER), ("discipline", Role.TOWNSHIP_DISCIPLINE)):
            username = f"{prefix}_{t_key}"
            _role(_user(username, f"{t_name}{Role(role).label}"), township, role)
            logins.append((username, Role(role).label, t_name))
        for v_index, v_name in enumerate(villages, start=1):
            village_no += 1
            v_code = f"{t_code[:9]}{v_index:03d}"
            village = _division(v_code, v_name, Level.VILLAGE, township, v_index)
            _place(village, TOWNSHIP_SEATS[t_key], VILLAGE_OFFSETS[v_index - 1])
            for g in range(1, GROUPS_PER_VILLAGE + 1):
                _group(village, g)
            username = f"clerk_v{village_no:02d}"
            _role(_user(username, f"{v_name}村务公开员"), village, Role.VILLAGE_CLERK)
            logins.append((username, Role.VILLAGE_CLERK.label, f"{t_name} {v_name}"))
    return logins


def _place(village, seat, offset):
    """Give a demo village its centroid once; never overwrite what an admin entered."""
    if village.lat is None and village.long is None:
        village.lat = Decimal(str(round(seat[0] + offset[0], 6)))
        village.long = Decimal(str(round(seat[1] + offset[1], 6)))
        village.save(update_fields=["lat", "long"])


def _group(village, number):
    name = f"第{number}村民小组"
    Division.objects.update_or_create(
        parent=village, name=name, level=Level.GROUP, defaults={"sort_order": number, "code": None}
    )
