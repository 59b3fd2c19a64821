"""Read queries shared by admin, API and views."""

from django.db.models import Count, Q

from villages.models import Division, Level
from villages.permissions import divisions_with

from .models import OPEN_STATES, Complaint, Status


def complaints_visible_to(user, perm="complaint.view", queryset=None):
    """Complaints in the user's jurisdiction for ``perm``.

    Conflict-of-interest routing: one concerning village cadres is invisible to every
    village-level account, one concerning township staff to every township-level account.
    """
    queryset = Complaint.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    divisions = divisions_with(user, perm)
    if not divisions:
        return queryset.none()
    condition = Q()
    for division in divisions:
        # ``division_id IN (the subtree's ids)``, not a join on the path: the database then starts from the few
        # divisions of a township (the division_id index) instead of walking every complaint. Complaints sit only
        # at a village, a township or a county (``LEVEL_ORDER``), so a village's subtree is the village itself: an
        # equality the planner estimates right (the path's LIKE made it expect 30 divisions and scan the table).
        within = Q(division_id__in=Division.objects.filter(path__startswith=division.path).values("id"))
        if division.level == Level.VILLAGE:
            within = Q(division_id=division.pk, concerns_cadres=False, concerns_township_staff=False)
        elif division.level == Level.TOWNSHIP:
            within &= Q(concerns_township_staff=False)
        condition |= within
    return queryset.filter(condition)


# The staff queue's order: running clocks first (``queue_rank`` 0), earliest deadline first, so the overdue ones
# lead; answered, rejected and closed ones last. ``complaint_queue_idx`` holds exactly this order.
QUEUE_ORDER = ("queue_rank", "due_at", "-submitted_at", "-id")


def staff_queue(user):
    """The user's work: visible complaints, open ones first, overdue (earliest deadline) first."""
    return complaints_visible_to(user).select_related("category", "village", "division").order_by(*QUEUE_ORDER)


def unresolved_objection_disclosure_ids(disclosure_ids):
    """Of ``disclosure_ids``, those with objections not yet replied, closed or rejected (they block confirmation)."""
    return set(
        Complaint.objects.filter(disclosure_id__in=list(disclosure_ids), status__in=OPEN_STATES)
        .values_list("disclosure_id", flat=True)
        .distinct()
    )


def public_results():
    """Closed complaints for 晒单: never identity (callers render only public fields)."""
    return (
        Complaint.objects.filter(status=Status.CLOSED)
        .select_related("category", "village", "township")
        .only(
            "tracking_code",
            "summary",
            "reply",
            "outcome",
            "rating",
            "submitted_at",
            "accepted_at",
            "replied_at",
            "closed_at",
            "category__name",
            "village__name",
            "village__code",
            "township__name",
            "status",
        )
        .order_by("-closed_at")
    )


def township_figures():
    """Per township: received, accepted on time, concluded on time, satisfaction — each with its sample size."""
    rows = (
        Complaint.objects.values("township_id", "township__name", "township__code")
        .annotate(
            received=Count("id"),
            accept_n=Count("id", filter=Q(accepted_on_time__isnull=False)),
            accept_ok=Count("id", filter=Q(accepted_on_time=True)),
            conclude_n=Count("id", filter=Q(concluded_on_time__isnull=False)),
            conclude_ok=Count("id", filter=Q(concluded_on_time=True)),
            rated_n=Count("id", filter=~Q(rating="")),
            satisfied=Count("id", filter=Q(rating__in=["satisfied", "basic"])),
        )
        .order_by("township__code", "township__name")
    )
    result = []
    for row in rows:
        for key, ok, n in (
            ("accept", "accept_ok", "accept_n"),
            ("conclude", "conclude_ok", "conclude_n"),
            ("satisfaction", "satisfied", "rated_n"),
        ):
            row[f"{key}_pct"] = round(100 * row[ok] / row[n]) if row[n] else None
        result.append(row)
    return result


def recent_public_results(village, limit=3):
    return list(public_results().filter(village=village)[:limit])


def timeline(complaint):
    """Audit events of this complaint, oldest first (labels only on public pages)."""
    from django.contrib.contenttypes.models import ContentType

    from sunshine.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Complaint), object_id=str(complaint.pk)
        ).order_by("id")
    )


# ---------------------------------------------------------------- Open311 public reads

CLOSED_STATES = (Status.CLOSED, Status.REJECTED)  # "closed" in Open311 terms
_PUBLIC_FIELDS = (
    "tracking_code",
    "status",
    "reply",
    "reject_reason",
    "text",
    "summary",
    "description_public",
    "submitted_at",
    "closed_at",
    "rejected_at",
    "updated_at",
    "due_at",
    "category__name",
    "category__service_code",
    "division__name",
    "township__name",
    "village__name",
    "village__code",
)


def open311_requests(*, codes=None, service_codes=None, statuses=None, start=None, end=None, county=None):
    """Complaints for Open311 GET, newest first, loading public fields only (never identity or location).

    ``codes`` (tracking codes) overrides the other filters, as the spec says for ``service_request_id``;
    ``statuses`` is a set of "open"/"closed"; ``start``/``end`` bound ``submitted_at``.
    """
    qs = Complaint.objects.select_related("category", "division", "township", "village").only(*_PUBLIC_FIELDS)
    if county is not None:
        qs = qs.filter(county=county)
    if codes is not None:
        return qs.filter(tracking_code__in=codes).order_by("-submitted_at")
    if start is not None:
        qs = qs.filter(submitted_at__gte=start)
    if end is not None:
        qs = qs.filter(submitted_at__lte=end)
    if service_codes:
        qs = qs.filter(category__service_code__in=service_codes)
    if statuses == {"open"}:
        qs = qs.exclude(status__in=CLOSED_STATES)
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=CLOSED_STATES)
    return qs.order_by("-submitted_at")
