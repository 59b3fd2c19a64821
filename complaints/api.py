"""Staff API (scoped, authenticated) and the public read of results."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, Case, Value, When
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from villages.api_permissions import HasRolePermission
from villages.models import Division

from . import selectors, services
from .models import MOVES, Complaint, ComplaintCategory, MoveActor, overdue_q
from .serializers import MOVE_BODIES, ComplaintCategorySerializer, PublicResultSerializer, StaffComplaintSerializer


class ComplaintFilter(django_filters.FilterSet):
    overdue = django_filters.BooleanFilter(field_name="overdue")
    category = django_filters.CharFilter(field_name="category__service_code")

    class Meta:
        model = Complaint
        fields = ("status", "level", "handler_role", "category", "overdue")


class StaffComplaintViewSet(viewsets.ReadOnlyModelViewSet):
    """Staff: complaints in your jurisdiction, open and overdue first. POST to a move to make it."""

    serializer_class = StaffComplaintSerializer
    permission_classes = [IsAuthenticated, HasRolePermission]
    required_perm = "complaint.view"
    filterset_class = ComplaintFilter

    def get_queryset(self):
        now = timezone.now()
        return selectors.staff_queue(self.request.user).annotate(
            overdue=Case(
                When(overdue_q(now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "moves_for": self.request.user}

    def take_move(self, move, body_class):
        """POST to a move: validate its body, take it through ``transition``, answer with the complaint."""
        data = {}
        if body_class is not None:
            body = body_class(data=self.request.data)
            body.is_valid(raise_exception=True)
            data = _resolve_division(body.validated_data)
        complaint = self.get_object()
        try:
            complaint = services.transition(complaint, move.name, self.request.user, **data)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
        fresh = self.get_queryset().filter(pk=complaint.pk).first()
        if fresh is None:  # moved out of the caller's jurisdiction (transfer, escalation)
            return Response({"id": complaint.pk, "tracking_code": complaint.tracking_code, "status": complaint.status})
        return Response(self.get_serializer(fresh).data)


def _resolve_division(data):
    """A transfer names its target by division code; an unknown code is a 404, as before."""
    data = dict(data)
    if "division" in data:
        division = Division.objects.filter(code=data["division"]).first()
        if division is None:
            raise NotFound("division")
        data["division"] = division
    return data


def _move_route(move):
    """``POST /api/v1/staff/complaints/<id>/<move>/`` for one staff move of the table."""
    body_class = MOVE_BODIES.get(move.inputs)

    def take(self, request, pk=None):
        return self.take_move(move, body_class)

    take.__name__ = move.name
    take.__doc__ = f"{move.label}（{move.name}）"
    return extend_schema(request=body_class, summary=str(move.label))(action(detail=True, methods=["post"])(take))


for _move in MOVES.values():
    if _move.offered and _move.actor != MoveActor.FILER:
        setattr(StaffComplaintViewSet, _move.name, _move_route(_move))


class ComplaintCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Public: the kinds of complaint (also Open311 services)."""

    queryset = ComplaintCategory.objects.filter(is_active=True)
    serializer_class = ComplaintCategorySerializer
    lookup_field = "service_code"
    pagination_class = None


class PublicResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Public: closed complaints as summary, reply, outcome and dates; never identity."""

    serializer_class = PublicResultSerializer
    lookup_field = "tracking_code"

    def get_queryset(self):
        return selectors.public_results()
