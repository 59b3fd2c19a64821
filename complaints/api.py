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
from .models import Complaint, ComplaintCategory, overdue_q
from .serializers import (
    ComplaintCategorySerializer,
    ComplaintReasonSerializer,
    ComplaintReplySerializer,
    ComplaintTransferSerializer,
    PublicResultSerializer,
    StaffComplaintSerializer,
)


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

    def _run(self, call):
        complaint = self.get_object()
        try:
            complaint = call(complaint)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
        fresh = self.get_queryset().filter(pk=complaint.pk).first()
        if fresh is None:  # moved out of the caller's jurisdiction (transfer, escalation)
            return Response({"id": complaint.pk, "tracking_code": complaint.tracking_code, "status": complaint.status})
        return Response(self.get_serializer(fresh).data)

    def _simple(self, service):
        return self._run(lambda c: service(complaint=c, actor=self.request.user))

    def _with(self, serializer_class, call):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return self._run(lambda c: call(c, serializer.validated_data))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._simple(services.complaint_accept)

    @extend_schema(request=ComplaintReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._with(
            ComplaintReasonSerializer,
            lambda c, d: services.complaint_reject(complaint=c, actor=request.user, reason=d["reason"]),
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._simple(services.complaint_start)

    @extend_schema(request=ComplaintReplySerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._with(
            ComplaintReplySerializer,
            lambda c, d: services.complaint_reply(
                complaint=c, actor=request.user, reply=d["reply"], outcome=d["outcome"]
            ),
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._simple(services.complaint_close)

    @extend_schema(request=ComplaintReasonSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._with(
            ComplaintReasonSerializer,
            lambda c, d: services.complaint_escalate(complaint=c, actor=request.user, reason=d["reason"]),
        )

    @extend_schema(request=ComplaintReasonSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        return self._with(
            ComplaintReasonSerializer,
            lambda c, d: services.complaint_extend(complaint=c, actor=request.user, reason=d["reason"]),
        )

    @extend_schema(request=ComplaintTransferSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        def call(c, d):
            division = Division.objects.filter(code=d["division"]).first()
            if division is None:
                raise NotFound("division")
            return services.complaint_transfer(complaint=c, actor=request.user, division=division, reason=d["reason"])

        return self._with(ComplaintTransferSerializer, call)


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
