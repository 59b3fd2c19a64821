"""API: public read of published disclosures and their rows; staff drafts and transitions (scoped)."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from villages.api_permissions import HasRolePermission
from villages.models import Division
from villages.selectors import scope_for

from . import selectors, services, validators
from .models import CLOSED_REVISION_STATES, MOVES, Category, Disclosure, Kind, Phase, Revision, RosterEntry
from .public_text import public_fields_of
from .serializers import (
    DraftCreateSerializer,
    EntryInputSerializer,
    LedgerLineSerializer,
    PublicDisclosureSerializer,
    PublicEntrySerializer,
    PublicRevisionSerializer,
    ReasonSerializer,
    StaffDisclosureSerializer,
)


class DisclosureFilter(django_filters.FilterSet):
    township = django_filters.CharFilter(method="filter_township", label="乡镇区划代码")
    village = django_filters.CharFilter(field_name="division__code", label="村（或乡镇本级）区划代码")
    category = django_filters.CharFilter(field_name="category__slug", label="类别代码，如 dibao")
    period = django_filters.CharFilter(field_name="period", label="期间，如 2026-11")
    phase = django_filters.ChoiceFilter(field_name="phase", choices=Phase.choices)
    kind = django_filters.ChoiceFilter(field_name="category__kind", choices=Kind.choices)

    class Meta:
        model = Disclosure
        fields = ("township", "village", "category", "period", "phase", "kind")

    def filter_township(self, queryset, name, value):
        township = Division.objects.filter(code=value).first()
        return queryset.filter(division__path__startswith=township.path) if township else queryset.none()


class EntryFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="姓名（包含）")
    group = django_filters.CharFilter(field_name="group", label="村民小组")

    class Meta:
        model = RosterEntry
        fields = ("name", "group")


class PublicDisclosureViewSet(viewsets.ReadOnlyModelViewSet):
    """Published disclosures (published, confirmed after the objection window, archived)."""

    serializer_class = PublicDisclosureSerializer
    filterset_class = DisclosureFilter
    queryset = (
        selectors.public_disclosures()
        .select_related("division", "category", "current_revision")
        .order_by("-current_revision__published_at", "-pk")
    )

    # A disclosure has a handful of versions: one plain list, not paginated (and so declared).
    @extend_schema(responses=PublicRevisionSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="revisions", url_name="revisions", pagination_class=None)
    def revisions(self, request, pk=None):
        """Every published version (corrections included), oldest first; each stays readable."""
        disclosure = self.get_object()
        revisions = selectors.public_revisions(disclosure)
        return Response(PublicRevisionSerializer(revisions, many=True).data)

    @extend_schema(
        responses=PublicEntrySerializer(many=True),
        filters=False,
        parameters=[OpenApiParameter("revision", int, description="版本号（默认当前版本）"),
                    OpenApiParameter("name", str, description="姓名（包含）"),
                    OpenApiParameter("group", str, description="村民小组")],
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path="entries", url_name="entries")
    def entries(self, request, pk=None):
        """Rows of a roster version (current by default): only the category's allow-listed fields."""
        disclosure = self.get_object()
        if disclosure.category.kind != Kind.ROSTER:
            raise exceptions.NotFound()
        revision_id = disclosure.current_revision_id
        if request.GET.get("revision"):
            try:
                number = int(request.GET["revision"])
            except ValueError:
                raise exceptions.ValidationError({"revision": "版本号应为整数。"}) from None
            revision_id = selectors.public_revision(disclosure, number).pk
        fields = public_fields_of(disclosure.category)
        queryset = RosterEntry.objects.filter(revision_id=revision_id).order_by("position", "id")
        queryset = EntryFilter(request.GET, queryset=queryset).qs.only("id", *fields)
        page = self.paginate_queryset(queryset)
        serializer = PublicEntrySerializer(page, many=True, context={"category": disclosure.category})
        return self.get_paginated_response(serializer.data)

    @extend_schema(responses=LedgerLineSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="ledger", url_name="ledger")
    def ledger(self, request, pk=None):
        """Ledger lines of the current revision, with running balances."""
        disclosure = self.get_object()
        if disclosure.category.kind != Kind.LEDGER:
            raise exceptions.NotFound()
        page = self.paginate_queryset(disclosure.current_revision.ledger_lines.all())
        return self.get_paginated_response(LedgerLineSerializer(page, many=True).data)


def _drf(exc):
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exceptions.ValidationError({"detail": exc.messages})


# One POST route per move of ``models.MOVES`` a person can make (``confirm`` is the tick's alone).
ROUTED_MOVES = [m for m in MOVES.values() if m.perm is not None]


class StaffDisclosureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff: disclosures in your jurisdiction, drafts and every review move (session+CSRF or token)."""

    serializer_class = StaffDisclosureSerializer
    permission_classes = [IsAuthenticated, HasRolePermission]
    required_perm = "disclosure.view"
    filterset_class = DisclosureFilter

    def get_queryset(self):
        working = Revision.objects.exclude(state__in=CLOSED_REVISION_STATES).order_by("-number")
        queryset = (
            Disclosure.objects.select_related("division", "category", "current_revision")
            .prefetch_related(Prefetch("revisions", queryset=working, to_attr="open_revisions"))
            .order_by("-pk")
        )
        return scope_for(queryset, self.request.user, self.required_perm)

    def paginate_queryset(self, queryset):
        """The page, with the anomaly leads of its revisions under review computed at once: each row's
        ``moves`` leaves out an approval whose leads are not acknowledged, in a fixed number of queries."""
        page = super().paginate_queryset(queryset)
        working = []
        for disclosure in page if page is not None else []:
            for revision in disclosure.open_revisions[:1]:
                revision.disclosure = disclosure
                working.append(revision)
        services.prefetch_open_leads(working)
        return page

    @extend_schema(request=DraftCreateSerializer, responses=StaffDisclosureSerializer)
    def create(self, request):
        """Open (or reopen) the draft for a village, category, period and phase."""
        data = DraftCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        division = get_object_or_404(Division, code=values["division_code"])
        category = get_object_or_404(Category, slug=values["category"])
        pre = None
        if values["pre_disclosure"]:
            pre = get_object_or_404(self.get_queryset(), pk=values["pre_disclosure"])
        try:
            revision = services.disclosure_open_draft(
                actor=request.user, division=division, category=category, period=values["period"],
                phase=values["phase"], title=values["title"], pre_disclosure=pre,
            )  # fmt: skip
            content = {k: values[k] for k in ("body", "reason") if values[k]}
            if revision.number == 1:
                content.pop("reason", None)
            if content:
                services.revision_update_content(actor=request.user, revision=revision, **content)
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise _drf(exc) from exc
        disclosure = self.get_queryset().get(pk=revision.disclosure_id)
        return Response(self.get_serializer(disclosure).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EntryInputSerializer(many=True), responses=StaffDisclosureSerializer)
    @action(detail=True, methods=["post"], url_path="entries")
    def replace_entries(self, request, pk=None):
        """Replace the rows of the open draft (all or nothing; row-numbered errors)."""
        disclosure = self.get_object()
        rows = EntryInputSerializer(data=request.data, many=True)
        rows.is_valid(raise_exception=True)
        entries, errors = [], []
        for number, row in enumerate(rows.validated_data, start=1):
            raw = row.pop("id_number")
            # The same rules as the admin's entry form and the importer (disclosures.validators).
            row_errors = validators.entry_messages(row, disclosure.category)
            errors += [f"第 {number} 行「{validators.LABELS[field]}」{message}" for field, message in row_errors]
            entry = RosterEntry(**row)
            if raw:
                try:
                    normalized = validators.id_number(raw)
                except DjangoValidationError as exc:
                    errors.append(f"第 {number} 行「身份证号」{exc.messages[0]}")
                    continue
                services.entry_set_identity(entry, id_number=normalized, category=disclosure.category)
            if not row_errors:
                entries.append(entry)
        if errors:
            raise exceptions.ValidationError({"detail": errors})
        try:
            revision = services.working_revision(disclosure)
            if revision is None or not revision.is_editable:
                raise DjangoValidationError("没有可修改的草稿；已公开的内容请先新建更正版本。")
            services.revision_replace_entries(
                actor=request.user, revision=revision, entries=entries, source={"api": True}
            )
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise _drf(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=disclosure.pk)).data)

    def _move(self, request, move):
        """403 when the role or jurisdiction does not allow the move, 400 when the state (or reason) does not."""
        disclosure = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.transition(disclosure, move, request.user, reason=body.validated_data["reason"])
        except (DjangoValidationError, DjangoPermissionDenied) as exc:
            raise _drf(exc) from exc
        return Response(self.get_serializer(self.get_queryset().get(pk=disclosure.pk)).data)


def _move_action(move):
    def view(self, request, pk=None):
        return self._move(request, move)

    view.__name__ = f"move_{move.name}"
    view.__doc__ = f"Move: {move.name} ({move.label}). Body: reason{' (required)' if move.needs_reason else ''}."
    return extend_schema(request=ReasonSerializer, responses=StaffDisclosureSerializer)(
        action(detail=True, methods=["post"], url_path=move.route, url_name=move.route)(view)
    )


for _move in ROUTED_MOVES:
    setattr(StaffDisclosureViewSet, f"move_{_move.name}", _move_action(_move))
