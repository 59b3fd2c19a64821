"""名单条目: every roster entry in the user's jurisdiction, searchable and paginated, read-only.

Rows change only through the revision services (the revision page, the import); this list finds people:
search by name, 村民小组 or part of the masked ID (a whole ID number is refused with a message: a search
is a GET, and a full ID must not sit in URLs, browser history and access logs), filter by village,
category, period and phase (through the revision's disclosure), and each row links to its revision.
Built for a county's million entries: newest first, never a sort of the whole table (see get_queryset), no
full-table count (Django's "全部 N 条" is switched off), filters whose choices come from the small
tables (divisions, categories, disclosures), never from the entries.
"""

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sunshine.identity import InvalidID, normalize_id
from villages.admin_mixins import JurisdictionAdminMixin, ReadOnlyAdminMixin
from villages.models import Division, Level
from villages.selectors import scope_for

from .models import Category, Disclosure, Kind, Phase, Revision, RosterEntry

VIEW_PERM = "disclosure.view"
COUNT_CAP = 10_000
REVISIONS_IN_LIST = 5000  # a township's two years of rosters; a county has more and is scoped by a join


def _is_whole_id(term):
    try:
        normalize_id(term)
    except InvalidID:
        return False
    return True


class VillageFilter(admin.SimpleListFilter):
    title = _("村")
    parameter_name = "village"

    def lookups(self, request, model_admin):
        villages = scope_for(Division.objects.filter(level=Level.VILLAGE), request.user, VIEW_PERM, "")
        return [(v.pk, v.name) for v in villages.order_by("path")]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(revision__disclosure__division_id=value) if value and value.isdigit() else queryset


class CategoryFilter(admin.SimpleListFilter):
    title = _("类别")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c.pk, c.name) for c in Category.objects.filter(kind=Kind.ROSTER)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(revision__disclosure__category_id=value) if value and value.isdigit() else queryset


class PeriodFilter(admin.SimpleListFilter):
    title = _("期间")
    parameter_name = "period"

    def lookups(self, request, model_admin):
        rosters = Disclosure.objects.filter(category__kind=Kind.ROSTER)
        scoped = scope_for(rosters, request.user, VIEW_PERM)
        # order_by() first: the model's ordering would otherwise join into the DISTINCT (one row per disclosure).
        periods = scoped.order_by().values_list("period", flat=True).distinct()
        return [(p, p) for p in sorted(periods, reverse=True)]

    def queryset(self, request, queryset):
        return queryset.filter(revision__disclosure__period=self.value()) if self.value() else queryset


class PhaseFilter(admin.SimpleListFilter):
    title = _("阶段")
    parameter_name = "phase"

    def lookups(self, request, model_admin):
        return Phase.choices

    def queryset(self, request, queryset):
        return queryset.filter(revision__disclosure__phase=self.value()) if self.value() in Phase.values else queryset


class CappedPaginator(Paginator):
    """Counts at most ``COUNT_CAP`` rows: the count of a county's million entries (joined for the jurisdiction)
    costs more than the page itself, and nobody pages past the hundredth page: they filter or search."""

    @cached_property
    def count(self):
        return min(self.object_list.order_by().values("pk")[:COUNT_CAP].count(), COUNT_CAP)


@admin.register(RosterEntry)
class RosterEntryAdmin(ReadOnlyAdminMixin, JurisdictionAdminMixin, admin.ModelAdmin):
    jurisdiction_field = "revision__disclosure__division"
    view_perm = VIEW_PERM
    list_display = [
        "name", "group", "id_masked", "household_size", "amount", "assistance_class",
        "village", "category", "period", "phase", "revision_link",
    ]  # fmt: skip
    list_display_links = None
    list_filter = [VillageFilter, CategoryFilter, PeriodFilter, PhaseFilter]
    list_select_related = ["revision__disclosure__division", "revision__disclosure__category"]
    search_fields = ["name"]  # the search itself is get_search_results below
    search_help_text = _("按姓名、村民小组或身份证号的前两位、后四位查找。超过一万条时只数到一万条，请用筛选缩小范围。")
    ordering = ["-id"]
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedPaginator
    actions = None

    @admin.display(description=_("村"))
    def village(self, obj):
        return obj.revision.disclosure.division.name

    @admin.display(description=_("类别"))
    def category(self, obj):
        return obj.revision.disclosure.category.name

    @admin.display(description=_("期间"))
    def period(self, obj):
        return obj.revision.disclosure.period

    @admin.display(description=_("阶段"))
    def phase(self, obj):
        return obj.revision.disclosure.get_phase_display()

    @admin.display(description=_("所在版本"))
    def revision_link(self, obj):
        url = reverse("admin:disclosures_revision_change", args=[obj.revision_id])
        return format_html('<a href="{}">v{} · {}</a>', url, obj.revision.number, obj.revision.get_state_display())

    def _few_revisions(self, request):
        """The user's revision ids when they are few (a village, a township), else None (once per request)."""
        if not hasattr(request, "_entry_admin_revisions"):
            revisions = scope_for(Revision.objects.all(), request.user, VIEW_PERM, "disclosure__division")
            ids = list(revisions.order_by().values_list("pk", flat=True)[: REVISIONS_IN_LIST + 1])
            request._entry_admin_revisions = ids if len(ids) <= REVISIONS_IN_LIST else None
        return request._entry_admin_revisions

    def get_queryset(self, request):
        """A village's or township's entries are fetched through their revisions (the (revision, position) index)
        and sorted, newest roster first; a county's, newest first on the primary key, scoped by a join. Ordered
        by id, a village's few rows would make the planner walk the whole table backwards to find them."""
        few = self._few_revisions(request)
        if few is not None:
            return admin.ModelAdmin.get_queryset(self, request).filter(revision_id__in=few)
        return super().get_queryset(request)

    def get_ordering(self, request):
        return ["-revision", "position", "id"] if self._few_revisions(request) is not None else ["-id"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if _is_whole_id(term):
            messages.warning(request, _("请不要输入完整身份证号查找（它会留在网址和日志里）；请输入前两位或后四位。"))
            return queryset.none(), False
        words = Q(name__contains=term) | Q(group__contains=term) | Q(id_masked__contains=term.upper())
        return queryset.filter(words), False

    def has_view_permission(self, request, obj=None):
        return self._can(request, self.view_perm, obj.revision.disclosure.division if obj is not None else None)
