"""Read-side queries shared by admin, API and views."""

from django.db.models import Count, Q

from .models import Division, Level
from .permissions import divisions_with


def scope_for(queryset, user, perm, field="division"):
    """Restrict ``queryset`` to rows whose ``field`` lies in the user's jurisdiction for ``perm``.

    ``field`` is the lookup path to a Division ("" when the queryset is of divisions).
    Superusers see everything; users with no matching membership see nothing.
    """
    if user.is_superuser:
        return queryset
    divisions = divisions_with(user, perm)
    if not divisions:
        return queryset.none()
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    condition = Q()
    for division in divisions:
        condition |= Q(**{lookup: division.path})
    return queryset.filter(condition)


def divisions_visible_to(user, perm="division.view"):
    return scope_for(Division.objects.all(), user, perm, field="")


def public_county_tree():
    """Counties with their townships and villages: three queries however large the tree."""
    counties = list(Division.objects.filter(level=Level.COUNTY).order_by("sort_order", "code", "name"))
    townships = list(Division.objects.filter(level=Level.TOWNSHIP).order_by("sort_order", "code", "name"))
    villages = list(
        Division.objects.filter(level=Level.VILLAGE)
        .annotate(group_count=Count("children"))
        .order_by("sort_order", "code", "name")
    )
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
