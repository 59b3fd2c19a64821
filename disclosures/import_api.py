"""Staff API for the roster import: upload → preview (poll) → confirm. Thin: it calls the importer services."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from villages.api_permissions import HasRolePermission
from villages.models import Division
from villages.selectors import scope_for

from .exports import XLSX
from .importer import ImportFileError
from .importer import services as importer
from .importer.tasks import validation_state, validation_tasks_of
from .models import Category, ImportJob, Kind
from .templates_xlsx import template_response

RESULT_KEYS = ("format", "encoding", "sheets", "file_error", "header_row", "columns", "report_date", "counts", "errors")


class ImportJobSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="division.code", read_only=True)
    village_name = serializers.CharField(source="division.name", read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True)
    result = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    preview = serializers.SerializerMethodField()
    needs_reason = serializers.SerializerMethodField()
    moves = serializers.SerializerMethodField(
        help_text="此刻你可以对这个导入做的操作：name、label，以及要 POST 的路径 path"
    )
    validation_task = serializers.SerializerMethodField(
        help_text="后台校验任务（大文件）：status（READY 排队中 / RUNNING 正在验证 / FAILED）、attempts、"
        "reason（最近一次失败）、final（已彻底失败，不会再校验：请重新上传）；不在排队或校验中时为 null"
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "village",
            "village_name",
            "category",
            "period",
            "phase",
            "original_name",
            "sha256",
            "sheet_name",
            "status",
            "rows_total",
            "rows_processed",
            "result",
            "warnings",
            "preview",
            "needs_reason",
            "moves",
            "validation_task",
            "disclosure",
            "revision",
            "created_at",
            "expires_at",
            "imported_at",
        ]
        read_only_fields = fields

    def get_result(self, job) -> dict:
        return {k: job.result[k] for k in RESULT_KEYS if k in (job.result or {})}

    def get_warnings(self, job) -> list:
        user = self.context["request"].user
        return [
            {"row": w["row"], "kind": w["kind"], "text": importer.warning_text_for(user, job, w)}
            for w in (job.result or {}).get("warnings", [])
        ]

    def get_preview(self, job) -> list:
        return (job.result or {}).get("preview", [])

    def get_needs_reason(self, job) -> bool:
        return job.status == "ready" and importer.correction_needed(job)

    def get_validation_task(self, job) -> dict | None:
        runs = self.context.get("validation_runs")  # a list page looks them up at once
        return validation_state(job) if runs is None else validation_state(job, runs)

    def get_moves(self, job) -> list[dict]:
        user = self.context["request"].user
        return [
            {"name": move.name, "label": str(move.label), "path": MOVE_ROUTES[move.name][0]}
            for move in importer.available_moves(job, user)
        ]


class UploadSerializer(serializers.Serializer):
    village = serializers.SlugRelatedField(slug_field="code", queryset=Division.objects.all(), help_text="区划代码")
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.filter(kind=Kind.ROSTER))
    period = serializers.CharField(max_length=10)
    phase = serializers.CharField(max_length=8, help_text="pre（拟享受名单公示）或 post（发放结果公开）")
    file = serializers.FileField()
    sheet = serializers.CharField(required=False, allow_blank=True, default="")


class SheetSerializer(serializers.Serializer):
    sheet = serializers.CharField()


class ConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


def _django_errors(exc):
    if isinstance(exc, ImportFileError):
        return ValidationError({"file": [str(exc)]})
    return ValidationError({"detail": exc.messages})


class RosterImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff: roster imports in your jurisdiction. POST a file, poll the preview, then POST confirm."""

    serializer_class = ImportJobSerializer
    permission_classes = [HasRolePermission]
    required_perm = "disclosure.view"
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ("status", "phase", "period")

    def get_queryset(self):
        queryset = ImportJob.objects.select_related("division", "category").order_by("-created_at")
        return scope_for(queryset, self.request.user, self.required_perm)

    def list(self, request, *args, **kwargs):
        """One page of jobs; their validation tasks are looked up together, not one query per job."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "validation_runs": validation_tasks_of(page)}
        return self.get_paginated_response(self.get_serializer_class()(page, many=True, context=context).data)

    @extend_schema(request=UploadSerializer, responses={201: ImportJobSerializer})
    def create(self, request):
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            job = importer.roster_import_upload(
                actor=request.user,
                division=data["village"],
                category=data["category"],
                period=data["period"],
                phase=data["phase"],
                file=data["file"],
                original_name=data["file"].name,
                sheet_name=data["sheet"],
            )
        except DjangoPermissionDenied:
            raise PermissionDenied
        except (ImportFileError, DjangoValidationError) as exc:
            raise _django_errors(exc)
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, XLSX): bytes})
    @action(detail=False, methods=["get"], url_path=r"templates/(?P<slug>[-\w]+)")
    def template(self, request, slug=None):
        category = Category.objects.filter(kind=Kind.ROSTER, is_active=True, slug=slug).first()
        if category is None:
            # A JSON body like every other API error (the schema declares one), not an empty answer.
            raise NotFound("没有这个名单类别。")
        return template_response(category)


def _choose_sheet(*, job, actor, sheet):
    importer.roster_import_choose_sheet(job=job, actor=actor, sheet_name=sheet)


def _confirm(*, job, actor, reason):
    importer.roster_import_confirm(job=job, actor=actor, reason=reason)


# One POST route per user move of ``models.IMPORT_MOVES``: (URL segment, request body, service call).
MOVE_ROUTES = importer.require_move_routes(
    {"choose_sheet": ("sheet", SheetSerializer, _choose_sheet), "confirm": ("confirm", ConfirmSerializer, _confirm)},
    "import API",
)


def _move_route(segment, body_class, call):
    def route(self, request, pk=None):
        job = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            call(job=job, actor=request.user, **body.validated_data)
        except DjangoPermissionDenied:
            raise PermissionDenied
        except (ImportFileError, DjangoValidationError) as exc:
            raise _django_errors(exc)
        job.refresh_from_db()
        return Response(self.get_serializer(job).data)

    route.__name__ = segment  # before @action: its method mapping names the view method
    route = action(detail=True, methods=["post"], url_path=segment, url_name=segment)(route)
    return extend_schema(request=body_class, responses=ImportJobSerializer)(route)


for _segment, _body, _call in MOVE_ROUTES.values():
    setattr(RosterImportViewSet, _segment, _move_route(_segment, _body, _call))
