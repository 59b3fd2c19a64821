"""Read-side queries shared by the public pages, feeds, API and admin."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from villages.models import Division, StaffRelative

from .models import PUBLIC_STATUSES, Disclosure, Revision, RevisionState, RosterEntry, Status
from .services import public_fields_of, scrub

# Column headings for the public fields (the allow-list decides which appear).
FIELD_LABELS = {
    "name": "姓名",
    "group": "村民小组",
    "household_size": "保障人数",
    "amount": "金额（元）",
    "assistance_class": "类别/档次",
    "id_masked": "身份证号（脱敏）",
    "remark": "备注",
}
NUMERIC_FIELDS = {"household_size", "amount"}


def same_slot_entries(category, period, phase):
    """Entries on the rosters of one category, period and phase in any village, superseded revisions left out.

    "The same person on another village's roster" starts here, for the import's warning and the inspectors'
    anomaly list alike (``category``, ``period`` and ``phase`` may be ``OuterRef``s).
    """
    return RosterEntry.objects.filter(
        revision__disclosure__category=category,
        revision__disclosure__period=period,
        revision__disclosure__phase=phase,
    ).exclude(revision__state=RevisionState.SUPERSEDED)


def registered_relatives():
    """Staff members' registered relatives that can be matched (those with a person_key)."""
    return StaffRelative.objects.exclude(person_key="").select_related("user")


def staff_label(user):
    return user.get_full_name() or user.get_username()


def public_disclosures():
    """Disclosures anyone may read (published, confirmed, archived), with a current revision."""
    return Disclosure.objects.filter(status__in=PUBLIC_STATUSES, current_revision__isnull=False)


def in_subtree(queryset, division, field="division"):
    return queryset.filter(**{f"{field}__path__startswith": division.path})


def division_by_code(code):
    return get_object_or_404(Division.objects.select_related("parent", "parent__parent"), code=code)


def disclosure_for_page(*, code, slug, period, phase):
    """The disclosure behind a public URL, published or taken down (the page then says so); else 404."""
    return get_object_or_404(
        Disclosure.objects.select_related(
            "division__parent__parent", "category", "current_revision", "pre_disclosure"
        ).filter(status__in=(*PUBLIC_STATUSES, Status.TAKEN_DOWN), current_revision__isnull=False),
        division__code=code,
        category__slug=slug,
        period=period,
        phase=phase,
    )


def public_revision(disclosure, number):
    return get_object_or_404(
        Revision.objects.filter(state__in=(RevisionState.PUBLISHED, RevisionState.SUPERSEDED)),
        disclosure=disclosure,
        number=number,
    )


def public_revisions(disclosure):
    return list(
        disclosure.revisions.filter(state__in=(RevisionState.PUBLISHED, RevisionState.SUPERSEDED)).order_by("number")
    )


def roster_entries(revision, *, q="", group=""):
    entries = RosterEntry.objects.filter(revision=revision)
    if q:
        entries = entries.filter(name__icontains=q.strip())
    if group:
        entries = entries.filter(group=group)
    return entries.order_by("position", "id")


def roster_groups(revision):
    return list(
        RosterEntry.objects.filter(revision=revision)
        .exclude(group="")
        .order_by("group")
        .values_list("group", flat=True)
        .distinct()
    )


def _cell(value, field):
    if value is None or value == "":
        return ""
    if field == "amount":
        return f"{value:,.2f}"
    if field in ("name", "group", "remark", "assistance_class"):
        return scrub(value)
    return str(value)


def roster_rows(entries, fields):
    """Rows of formatted public cells: only allow-listed fields are ever read."""
    values = entries.values_list("id", *fields)
    return [(row[0], [_cell(v, f) for v, f in zip(row[1:], fields)]) for row in values]


def columns(category):
    fields = public_fields_of(category)
    return fields, [(FIELD_LABELS[f], f in NUMERIC_FIELDS) for f in fields]


def latest_public_by_category(division):
    """The newest public disclosure of each category for a division (one query)."""
    latest = {}
    rows = (
        public_disclosures()
        .filter(division=division)
        .select_related("category", "current_revision")
        .order_by("category__sort_order", "-period", "phase")
    )
    for disclosure in rows:
        latest.setdefault(disclosure.category_id, []).append(disclosure)
    return [items[:2] for items in latest.values()]


def feed_revisions(division, limit=50):
    return (
        Revision.objects.filter(
            state__in=(RevisionState.PUBLISHED, RevisionState.SUPERSEDED),
            disclosure__status__in=PUBLIC_STATUSES,
            disclosure__division__path__startswith=division.path,
        )
        .select_related("disclosure__division", "disclosure__category")
        .order_by("-published_at", "-pk")[:limit]
    )


def search_public(division, q):
    return public_disclosures().filter(Q(title__icontains=q) | Q(category__name__icontains=q), division=division)
