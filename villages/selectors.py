"""Read-side queries shared by admin, API and views."""

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import CharField, F, Q, Value
from django.utils.translation import gettext as _

from .models import Division, Level
from .permissions import divisions_with


def scope_for(queryset, user, perm, field="division", path_field=None):
    """Restrict ``queryset`` to rows whose ``field`` lies in the user's jurisdiction for ``perm``.

    ``field`` is the lookup path to a Division ("" when the queryset is of divisions); ``path_field`` names a
    column that stores the division's path on the row itself (audit events), read instead of joining.
    Superusers see everything; users with no matching membership see nothing.
    """
    if user.is_superuser:
        return queryset
    divisions = divisions_with(user, perm)
    if not divisions:
        return queryset.none()
    lookup = f"{path_field}__startswith" if path_field else "path__startswith"
    condition = Q()
    for division in divisions:
        condition |= Q(**{lookup: division.path})
    if path_field or not field:
        return queryset.filter(condition)
    # ``field IN (the subtree's ids)``, not a join on the division's path: the database starts from the few
    # divisions of a village or township (the foreign key's index) instead of joining every row to its division
    # and testing a LIKE the planner misjudges (docs/decisions-perf2.md has the plans).
    return queryset.filter(**{f"{field}__in": Division.objects.filter(condition).values("id")})


def divisions_visible_to(user, perm="division.view"):
    return scope_for(Division.objects.all(), user, perm, field="")


def public_county_tree():
    """Counties with their townships and villages: three queries however large the tree."""
    counties = list(Division.objects.filter(level=Level.COUNTY).order_by("sort_order", "code", "name"))
    townships = list(Division.objects.filter(level=Level.TOWNSHIP).order_by("sort_order", "code", "name"))
    villages = list(Division.objects.filter(level=Level.VILLAGE).order_by("sort_order", "code", "name"))
    by_parent = {}
    for node in [*townships, *villages]:
        by_parent.setdefault(node.parent_id, []).append(node)
    for township in townships:
        township.village_list = by_parent.get(township.pk, [])
    for county in counties:
        county.township_list = by_parent.get(county.pk, [])
    return counties


def villages_in(division):
    return Division.objects.filter(level=Level.VILLAGE, path__startswith=division.path).order_by(
        "sort_order", "code", "name"
    )


# ---------------------------------------------------------------- where a report is about (Open311 POST)

EARTH_RADIUS_KM = 6371.0088
MICRODEGREE = Decimal("0.000001")
_CODE = re.compile(r"(?<!\d)\d{12}(?!\d)")
_SEPARATORS = re.compile(r"[\s,，、。.;；:：/\\|()（）\[\]【】\"'“”‘’<>《》_·-]+")
NAME_EXAMPLE = "城关镇 东村"


class Location(NamedTuple):
    village: Division
    lat: Decimal | None  # the reported point, when one was sent (private: never shown publicly)
    long: Decimal | None


def distance_km(lat1, long1, lat2, long2):
    """Great-circle (haversine) distance between two WGS-84 points."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(long2) - float(long1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _coordinate(raw, name, limit):
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not -limit <= value <= limit:
        example = "28.845" if name == "lat" else "115.553"
        raise ValidationError(
            {
                name: _("%(name)s 应是 -%(limit)s 到 %(limit)s 之间的十进制度数（WGS-84），例如 %(example)s。")
                % {"name": name, "limit": limit, "example": example}
            }
        )
    return value.quantize(MICRODEGREE, rounding=ROUND_HALF_UP)


def parse_coordinates(lat, long):
    """``(lat, long)`` as Decimals with 6 places, or ``(None, None)`` when neither was sent."""
    lat, long = str(lat or "").strip(), str(long or "").strip()
    if not lat and not long:
        return None, None
    if not lat or not long:
        raise ValidationError({"lat": _("lat 和 long 要同时发送（WGS-84 十进制度数，例如 lat=28.845&long=115.553）。")})
    return _coordinate(lat, "lat", 90), _coordinate(long, "long", 180)


def _villages(within=None):
    qs = Division.objects.filter(level=Level.VILLAGE).select_related("parent__parent")
    return qs.filter(path__startswith=within.path) if within is not None else qs


def village_by_code(code, within=None):
    return _villages(within).filter(code=unicodedata.normalize("NFKC", str(code)).strip()).first()


def nearest_village(lat, long, *, max_km, within=None):
    """``(village, km)`` for the village centroid nearest to the point, if one lies within ``max_km``."""
    lat, long = Decimal(str(lat)), Decimal(str(long))
    # A box around the point that holds every place within max_km (a degree of latitude is at least
    # 110.574 km; a degree of longitude shrinks towards the pole, so take the box's poleward edge).
    dlat = max_km / 110.574
    dlong = max_km / (111.320 * max(math.cos(math.radians(min(abs(float(lat)) + dlat, 89.9))), 0.001))
    box = _villages(within).filter(
        lat__range=(lat - Decimal(str(dlat)), lat + Decimal(str(dlat))),
        long__range=(long - Decimal(str(dlong)), long + Decimal(str(dlong))),
    )
    best = min(
        ((distance_km(lat, long, v.lat, v.long), v.code or "", v) for v in box),
        key=lambda row: row[:2],
        default=None,
    )
    if best is None or best[0] > max_km:
        return None, None
    return best[2], best[0]


def _normalized(text):
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text)))


def _named_in(queryset, text):
    """Rows of ``queryset`` whose name occurs in ``text`` (one query; the database does the matching)."""
    needle = Value(text, output_field=CharField())
    return list(queryset.exclude(name="").annotate(_needle=needle).filter(_needle__contains=F("name")))


def _spans(text, names):
    spans = []
    for name in set(names):
        start = text.find(name)
        while start != -1:
            spans.append((start, start + len(name)))
            start = text.find(name, start + 1)
    return spans


def _stands_alone(name, text, spans):
    """True when ``name`` occurs somewhere in ``text`` not inside a longer matched name (东村 inside 新东村)."""
    start = text.find(name)
    while start != -1:
        end = start + len(name)
        if not any(s <= start and end <= e and e - s > len(name) for s, e in spans):
            return True
        start = text.find(name, start + 1)
    return False


def _label(village):
    return f"{village.parent.name} {village.name}（{village.code or '—'}）"


def villages_in_address(address_string, within=None):
    """The village an ``address_string`` names: by a 12-digit code in it, else by name (and township name).

    Raises ``ValidationError({"address_string": …})`` when it names none, or several and the township
    does not tell them apart.
    """
    raw = unicodedata.normalize("NFKC", str(address_string)).strip()
    match = _CODE.search(raw)
    if match:
        village = village_by_code(match.group(), within)
        if village is None:
            raise ValidationError(
                {
                    "address_string": _(
                        "address_string 中的 %(code)s 不是本系统中村的 12 位区划代码。"
                        "请核对代码，或只写乡镇名和村名（例如“%(example)s”）。"
                    )
                    % {"code": match.group(), "example": NAME_EXAMPLE}
                }
            )
        return village
    text = _normalized(raw)
    if not text:
        raise ValidationError({"address_string": _("address_string 是空的。")})
    villages = _named_in(_villages(within), text)
    townships = _named_in(_areas(Level.TOWNSHIP, within), text)
    counties = _named_in(_areas(Level.COUNTY, within), text)
    spans = _spans(text, [d.name for d in (*villages, *townships, *counties)])
    villages = [v for v in villages if _stands_alone(v.name, text, spans)]
    townships = [t for t in townships if _stands_alone(t.name, text, spans)]
    counties = [c for c in counties if _stands_alone(c.name, text, spans)]
    if not villages:
        if townships:
            message = _(
                "address_string “%(value)s” 只写到了乡镇（%(township)s），请写明村名（例如“%(township)s 某某村”），"
                "或改发 address_id（村的 12 位区划代码）或 lat/long。"
            ) % {"value": raw, "township": townships[0].name}
        else:
            message = _(
                "address_string “%(value)s” 中找不到本系统的村名。请写明村名，可加乡镇名（例如“%(example)s”），"
                "或改发 address_id（村的 12 位区划代码）或 lat/long。"
            ) % {"value": raw, "example": NAME_EXAMPLE}
        raise ValidationError({"address_string": message})
    for areas, of in ((counties, lambda v: v.parent.parent_id), (townships, lambda v: v.parent_id)):
        ids = {a.pk for a in areas}
        if ids:
            narrowed = [v for v in villages if of(v) in ids]
            if not narrowed:
                raise ValidationError(
                    {
                        "address_string": _(
                            "address_string “%(value)s”：%(area)s 下没有名为 %(village)s 的村（找到的是 %(found)s）。"
                            "请核对乡镇名和村名，或改发 address_id（村的 12 位区划代码）。"
                        )
                        % {
                            "value": raw,
                            "area": "、".join(a.name for a in areas),
                            "village": "、".join(dict.fromkeys(v.name for v in villages)),
                            "found": "、".join(_label(v) for v in villages[:10]),
                        }
                    }
                )
            villages = narrowed
    if len(villages) > 1:
        villages.sort(key=lambda v: (v.parent.name, v.code or ""))
        raise ValidationError(
            {
                "address_string": _(
                    "address_string “%(value)s” 对应 %(count)s 个村：%(choices)s。"
                    "请加上乡镇名（例如“%(example)s”），或改发 address_id（括号里的区划代码）。"
                )
                % {
                    "value": raw,
                    "count": len(villages),
                    "choices": "、".join(_label(v) for v in villages[:10]),
                    "example": f"{villages[0].parent.name} {villages[0].name}",
                }
            }
        )
    return villages[0]


def _areas(level, within=None):
    qs = Division.objects.filter(level=level)
    if within is None:
        return qs
    # The county itself and what lies in it (a county-scoped lookup may still name its own county).
    return qs.filter(path__startswith=within.path)


def resolve_location(*, address_id="", lat="", long="", address_string="", within=None, max_km=None):
    """The village an Open311 report is about, and the reported point (kept private).

    Tried in this order, the first that finds a village wins: ``address_id`` (the village's 12-digit
    division code), ``lat``/``long`` (the nearest village centroid within ``max_km``, default
    ``settings.OPEN311_MAX_DISTANCE_KM``), ``address_string`` (a code in it, else village name with
    or without the township name). A malformed or half coordinate pair is an error even when another
    location finds the village; when nothing finds one, the error names what each input lacked.
    ``within``: a county that limits the search. Raises ``ValidationError`` keyed by parameter.
    """
    point_lat, point_long = parse_coordinates(lat, long)
    address_id = str(address_id or "").strip()
    address_string = str(address_string or "").strip()
    if not (address_id or point_lat is not None or address_string):
        raise ValidationError(
            {
                "location": _(
                    "请发送位置，三者之一：address_id（村的 12 位区划代码）、lat 和 long（WGS-84），"
                    "或 address_string（乡镇名和村名，例如“%(example)s”）。"
                )
                % {"example": NAME_EXAMPLE}
            }
        )
    problems = {}
    if address_id:
        village = village_by_code(address_id, within)
        if village is not None:
            return Location(village, point_lat, point_long)
        problems["address_id"] = [
            _("address_id “%(value)s” 不是本系统中村的 12 位区划代码（统计用区划代码）。") % {"value": address_id}
        ]
    if point_lat is not None:
        if max_km is None:
            max_km = settings.OPEN311_MAX_DISTANCE_KM
        village, _km = nearest_village(point_lat, point_long, max_km=max_km, within=within)
        if village is not None:
            return Location(village, point_lat, point_long)
        problems["lat"] = [
            _(
                "lat/long 周围 %(km)s 公里内没有登记了位置的村。"
                "请改发 address_id（村的 12 位区划代码）或 address_string（乡镇名和村名，例如“%(example)s”）。"
            )
            % {"km": f"{max_km:g}", "example": NAME_EXAMPLE}
        ]
    if address_string:
        try:
            return Location(villages_in_address(address_string, within), point_lat, point_long)
        except ValidationError as exc:
            problems.update(exc.message_dict)
    raise ValidationError(problems)
