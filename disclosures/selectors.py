"""Read-side queries shared by the public pages, feeds, API and admin."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sunshine.masking import mask_free_text
from villages.models import Division, Level, Role, StaffRelative, VillageCadre
from villages.selectors import scope_for

from .models import (
    CLOSED_REVISION_STATES,
    MOVES,
    ON_REVISION,
    PUBLIC_STATUSES,
    Category,
    Disclosure,
    Kind,
    Phase,
    Revision,
    RevisionState,
    RosterEntry,
    Status,
)
from .public_text import FREE_TEXT_FIELDS, public_fields_of
from .reconciliation_sql import anomaly_rows

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


def next_actors(disclosure, role):
    """``(division, users)``: where a roster waits for ``role`` (the village for its clerk, else the township above it,
    or the disclosure's own division for a township's roster) and the active users holding that role there."""
    division = disclosure.division
    if role != Role.VILLAGE_CLERK:
        division = division.ancestor_at(Level.TOWNSHIP) or division
    users = get_user_model().objects.filter(memberships__division=division, memberships__role=role, is_active=True)
    return division, users.distinct().order_by("username")


def waiting_for(disclosure, revision):
    """Who must act next on ``revision``: ``(division, role, users)`` from the move that brought it to its state
    (``Move.notifies``: a submitted roster waits for the township reviewer), or None when nobody is waited for."""
    move = next(
        (m for m in MOVES.values() if m.on == ON_REVISION and m.target == revision.state and m.notifies),
        None,
    )
    if move is None:
        return None
    division, users = next_actors(disclosure, move.notifies)
    return division, Role(move.notifies), users


def registered_groups(division):
    """The names of a village's registered groups (村民小组), in their order; none for a township."""
    return list(
        Division.objects.filter(parent=division, level=Level.GROUP)
        .order_by("sort_order", "name")
        .values_list("name", flat=True)
    )


def staff_label(user):
    return user.get_full_name() or user.get_username()


def public_disclosures():
    """Disclosures anyone may read (published, confirmed, archived), with a current revision."""
    return Disclosure.objects.filter(status__in=PUBLIC_STATUSES, current_revision__isnull=False)


def payouts_of(pre):
    """The public payout (post) disclosures that name ``pre`` as their announcement, oldest period first."""
    return list(public_disclosures().filter(pre_disclosure=pre).order_by("period"))


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


@dataclass
class ObjectionTarget:
    """What an objection link (``?disclosure=N&entry=M``) may name: a publicly visible disclosure and, during its
    objection window, an entry of its current published revision. ``entry_label`` holds allow-listed public
    fields only, masked; ``entry_refused`` says an entry was named but is not one the public can object to."""

    disclosure: Disclosure | None = None
    entry: RosterEntry | None = None
    entry_label: str = ""
    entry_refused: bool = False


def objection_window_open(disclosure):
    """A pre-publication roster whose current revision is published and whose objection period runs."""
    return (
        disclosure.phase == Phase.PRE
        and disclosure.status == Status.PUBLISHED
        and disclosure.current_revision_id is not None
        and disclosure.objection_ends_at is not None
        and disclosure.objection_ends_at > timezone.now()
    )


def objection_target(disclosure_id, entry_id):
    """Resolve an objection link; anything not public (drafts, taken down, other revisions' rows) is dropped."""
    target = ObjectionTarget()
    if not (disclosure_id and str(disclosure_id).isdigit()):
        return target
    target.disclosure = (
        Disclosure.objects.filter(
            pk=disclosure_id, status__in=(Status.PUBLISHED, Status.CONFIRMED), current_revision__isnull=False
        )
        .select_related("division", "category")
        .first()
    )
    if target.disclosure is None or not entry_id:
        return target
    entry = None
    if str(entry_id).isdigit() and objection_window_open(target.disclosure):
        fields = [f for f in public_fields_of(target.disclosure.category) if f in ("name", "group")]
        entry = (
            RosterEntry.objects.filter(pk=entry_id, revision_id=target.disclosure.current_revision_id)
            .only("pk", "revision_id", "person_key", *fields)
            .first()
        )
    if entry is None:
        target.entry_refused = True
        return target
    target.entry = entry
    target.entry_label = " ".join(mask_free_text(getattr(entry, f)) for f in fields if getattr(entry, f))
    return target


def public_revision(disclosure, number):
    return get_object_or_404(
        Revision.objects.filter(state__in=CLOSED_REVISION_STATES),
        disclosure=disclosure,
        number=number,
    )


def public_revisions(disclosure):
    return list(disclosure.revisions.filter(state__in=CLOSED_REVISION_STATES).order_by("number"))


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
    if field in FREE_TEXT_FIELDS:
        return mask_free_text(value)
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
            state__in=CLOSED_REVISION_STATES,
            disclosure__status__in=PUBLIC_STATUSES,
            disclosure__division__path__startswith=division.path,
        )
        .select_related("disclosure__division", "disclosure__category")
        .order_by("-published_at", "-pk")[:limit]
    )


# ---------------------------------------------------------------- anomalies and figures for inspectors

ANOMALY_PERM = "disclosure.anomalies"
# Rosters count once submitted: drafts and returned revisions are still the clerk's; superseded ones are history.
REVIEWED_STATES = (
    RevisionState.SUBMITTED,
    RevisionState.TOWNSHIP_APPROVED,
    RevisionState.DISCIPLINE_APPROVED,
    RevisionState.PUBLISHED,
)
ENTRY_FIELDS = (
    "id", "person_key", "name", "group", "amount", "id_masked",
    "revision__id", "revision__number", "revision__state",
    "revision__disclosure__id", "revision__disclosure__period", "revision__disclosure__phase",
    "revision__disclosure__division__name", "revision__disclosure__division__level",
    "revision__disclosure__division__parent__name", "revision__disclosure__division__path",
    "revision__disclosure__category__name", "revision__disclosure__category__amount_min",
    "revision__disclosure__category__amount_max",
)  # fmt: skip
ROW_LIMIT = 500  # rows shown per list on the page; the Excel export holds them all


@dataclass
class AnomalyFilters:
    category: object = None
    period: str = ""
    township: object = None


def reviewed_entries():
    """Entries of roster revisions submitted or later, of disclosures not taken down (personal data gone)."""
    return RosterEntry.objects.filter(revision__state__in=REVIEWED_STATES).exclude(
        revision__disclosure__status=Status.TAKEN_DOWN
    )


def _filter_disclosures(queryset, filters, prefix=""):
    if filters.category is not None:
        queryset = queryset.filter(**{f"{prefix}category": filters.category})
    if filters.period:
        queryset = queryset.filter(**{f"{prefix}period": filters.period})
    if filters.township is not None:
        queryset = queryset.filter(**{f"{prefix}division__path__startswith": filters.township.path})
    return queryset


def _entries_in_scope(user, filters):
    entries = scope_for(reviewed_entries(), user, ANOMALY_PERM, "revision__disclosure__division")
    entries = _filter_disclosures(entries, filters, "revision__disclosure__")
    return entries.select_related("revision__disclosure__division__parent", "revision__disclosure__category").only(
        *ENTRY_FIELDS
    )


def _ordered(entries):
    return entries.order_by(
        "revision__disclosure__division__path",
        "revision__disclosure__category__sort_order",
        "-revision__disclosure__period",
        "revision__disclosure__phase",
        "revision__number",
        "position",
        "id",
    )


def where(division):
    """``乡镇 村`` for a village, the township's own name for a township-level disclosure."""
    parent = division.parent.name if division.level == Level.VILLAGE and division.parent_id else ""
    return f"{parent} {division.name}".strip()


def cross_village_entries(user, filters):
    """Entries whose person is also on a reviewed roster of the same category, period and phase in another
    village, each with ``other_places`` (names of those villages, wherever they are). Two queries."""
    disclosure = "revision__disclosure__"
    elsewhere = (
        same_slot_entries(OuterRef(f"{disclosure}category_id"), OuterRef(f"{disclosure}period"),
                          OuterRef(f"{disclosure}phase"))
        .filter(person_key=OuterRef("person_key"), revision__state__in=REVIEWED_STATES)
        .exclude(revision__disclosure__status=Status.TAKEN_DOWN)
        .exclude(revision__disclosure__division_id=OuterRef(f"{disclosure}division_id"))
    )  # fmt: skip
    entries = list(_ordered(_entries_in_scope(user, filters).exclude(person_key="").filter(Exists(elsewhere))))
    if not entries:
        return entries
    places = {}
    slots = (
        reviewed_entries()
        .filter(person_key__in={e.person_key for e in entries})
        .values_list(
            "person_key",
            f"{disclosure}category_id",
            f"{disclosure}period",
            f"{disclosure}phase",
            f"{disclosure}division_id",
            f"{disclosure}division__name",
            f"{disclosure}division__parent__name",
        )
        .order_by()
        .distinct()
    )
    for key, category_id, period, phase, division_id, name, parent in slots:
        places.setdefault((key, category_id, period, phase), {})[division_id] = f"{parent or ''} {name}".strip()
    for entry in entries:
        d = entry.revision.disclosure
        found = places.get((entry.person_key, d.category_id, d.period, d.phase), {})
        entry.other_places = sorted(name for division_id, name in found.items() if division_id != d.division_id)
    return entries


def related_entries(user, filters):
    """Entries whose person is a staff member's registered relative or an active village cadre, each with
    ``matches``: one text per match naming the staff member or cadre and the relation. Three queries."""
    cadres = VillageCadre.objects.filter(is_active=True).exclude(person_key="")
    relatives = registered_relatives()
    entries = list(
        _ordered(
            _entries_in_scope(user, filters).filter(
                Q(person_key__in=relatives.values("person_key")) | Q(person_key__in=cadres.values("person_key"))
            )
        )
    )
    if not entries:
        return entries
    keys = {e.person_key for e in entries}
    matches = {}
    for relative in relatives.filter(person_key__in=keys).order_by("pk"):
        matches.setdefault(relative.person_key, []).append(
            _("工作人员 %(staff)s 登记的近亲属（%(relation)s）")
            % {"staff": staff_label(relative.user), "relation": relative.relation}
        )
    for cadre in cadres.filter(person_key__in=keys).select_related("division__parent").order_by("pk"):
        matches.setdefault(cadre.person_key, []).append(
            _("%(place)s 村干部 %(name)s（%(position)s）本人")
            % {"place": where(cadre.division), "name": cadre.name, "position": cadre.position}
        )
    for entry in entries:
        entry.matches = matches.get(entry.person_key, [])
    return entries


def out_of_range_entries(user, filters):
    """Entries whose amount lies outside their category's configured range (amount_min/amount_max). One query."""
    category = "revision__disclosure__category__"
    return list(
        _ordered(
            _entries_in_scope(user, filters)
            .filter(amount__isnull=False)
            .filter(Q(amount__lt=F(f"{category}amount_min")) | Q(amount__gt=F(f"{category}amount_max")))
        )
    )


def reconciliation_anomalies(user, filters):
    """``[(post roster, reconciliation row)]`` for the anomalous rows of every published post roster in the
    user's jurisdiction, as ``disclosures.reconciliation`` would compute them, computed in the database
    (``disclosures.reconciliation_sql``). Two queries, whatever the number of rosters and entries.

    A payout with neither an earlier payout nor a pre roster to compare with (the first one entered) is left
    out: every person on it would count as paid but never announced."""
    posts = scope_for(public_disclosures().filter(phase=Phase.POST, category__kind=Kind.ROSTER), user, ANOMALY_PERM)
    posts = _filter_disclosures(posts, filters)
    by_post = anomaly_rows(posts)
    if not by_post:
        return []
    ordered = (
        Disclosure.objects.filter(pk__in=by_post)
        .select_related("division__parent", "category")
        .order_by("division__path", "category__sort_order", "-period")
    )
    return [(post, row) for post in ordered for row in by_post[post.pk]]


def anomaly_filter_choices(user):
    """Categories, periods (newest first) and townships to filter by (three queries)."""
    categories = list(Category.objects.filter(kind=Kind.ROSTER).order_by("sort_order", "slug"))
    scoped = scope_for(Disclosure.objects.filter(category__kind=Kind.ROSTER), user, ANOMALY_PERM)
    periods = scoped.exclude(status=Status.DRAFT).order_by().values_list("period", flat=True).distinct()
    return categories, sorted(periods, reverse=True), list(townships_for(user))


def anomaly_default_period(user, periods=None):
    """The period 异常线索 opens on: that of the latest payout (乡镇统计 opens on it too), else the newest
    period with a roster past its draft. ``periods``: ``anomaly_filter_choices``'s, when already read."""
    _periods, latest_payout = payout_periods(user)
    if latest_payout:
        return latest_payout
    if periods is None:
        _categories, periods, _townships = anomaly_filter_choices(user)
    return current_period(periods)


def current_period(periods):
    """The period 异常线索 opens on: the newest month (most rosters are monthly), else the newest period."""
    months = [p for p in periods if len(p) == 7 and "Q" not in p]
    return max(months, default=max(periods, default=""))


def townships_for(user):
    return scope_for(Division.objects.filter(level=Level.TOWNSHIP), user, ANOMALY_PERM, "").order_by(
        "sort_order", "code", "name"
    )


@dataclass
class TownshipFigures:
    township: Division
    owed: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0
    rosters: dict = field(default_factory=dict)  # category id → {"rosters", "people", "paid"}
    complaints: dict | None = None  # filled by portal (乡镇统计 combines complaint figures), never here


def township_disclosure_figures(user, *, period="", today=None):
    """Per township in the user's jurisdiction: the disclosure calendar's standing for the recent periods
    and published payout rosters (count, people, total paid) per category for ``period``. Five queries
    whatever the number of townships. ``portal.selectors.township_figures`` adds the complaint figures."""
    from .calendar import Standing, standings

    townships = list(townships_for(user))
    figures = {t.pk: TownshipFigures(township=t) for t in townships}
    villages = list(Division.objects.filter(level=Level.VILLAGE, parent__in=townships).only("pk", "parent_id"))
    township_of = {village.pk: village.parent_id for village in villages}
    attribute = {
        Standing.PENDING: "pending",
        Standing.ON_TIME: "on_time",
        Standing.LATE: "late",
        Standing.OVERDUE: "overdue",
    }
    for (village_id, standing), count in standings(villages, today=today).items():
        row = figures[township_of[village_id]]
        setattr(row, attribute[standing], getattr(row, attribute[standing]) + count)
        if standing != Standing.PENDING:
            row.owed += count
    categories = list(Category.objects.filter(kind=Kind.ROSTER).order_by("sort_order", "slug"))
    if period:
        sums = (
            public_disclosures()
            .filter(phase=Phase.POST, category__kind=Kind.ROSTER, period=period)
            .filter(Q(division__in=townships) | Q(division__parent__in=townships))
            .values("division_id", "division__parent_id", "division__level", "category_id")
            .annotate(
                rosters=Count("id"),
                people=Sum("current_revision__entry_count"),
                paid=Sum("current_revision__amount_total"),
            )
        )
        for row in sums:
            township_id = row["division_id"] if row["division__level"] == Level.TOWNSHIP else row["division__parent_id"]
            cell = figures[township_id].rosters.setdefault(
                row["category_id"], {"rosters": 0, "people": 0, "paid": Decimal("0")}
            )
            cell["rosters"] += row["rosters"]
            cell["people"] += row["people"] or 0
            cell["paid"] += row["paid"] or 0
    return list(figures.values()), categories


# Period keys by kind (``services.PERIOD_PATTERNS``): 乡镇统计 offers one picker per kind, not one mixed list.
PERIOD_KINDS = (
    ("month", gettext_lazy("月度")),
    ("quarter", gettext_lazy("季度")),
    ("year", gettext_lazy("年度")),
    ("date", gettext_lazy("按次（日期）")),
)


def period_kind(period):
    if len(period) == 4:
        return "year"
    if "Q" in period:
        return "quarter"
    return "date" if len(period) == 10 else "month"


@dataclass
class PeriodPicker:
    kind: str
    label: str
    periods: list  # newest first
    selected: str = ""  # the period shown, when it is of this kind


def period_pickers(periods, selected=""):
    """One picker per period kind: month, quarter and year always (an empty one says so), by date only when
    some category pays per event."""
    pickers = []
    for kind, label in PERIOD_KINDS:
        own = [p for p in periods if period_kind(p) == kind]
        if own or kind != "date":
            chosen = selected if selected in own else ""
            pickers.append(PeriodPicker(kind=kind, label=str(label), periods=own, selected=chosen))
    return pickers


def payout_periods(user):
    """Periods that have a published payout roster in the user's jurisdiction, newest first; a month first."""
    periods = scope_for(public_disclosures().filter(phase=Phase.POST), user, ANOMALY_PERM)
    periods = sorted(periods.order_by().values_list("period", flat=True).distinct(), reverse=True)
    return periods, current_period(periods)
