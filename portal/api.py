"""``POST /api/v1/lookup/``: 我的补贴 for scripts and apps, the same lookup, answers and limits as the page."""

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from sunshine.identity import InvalidID, normalize_id, person_key

from . import selfquery


class LookupRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, help_text="姓名，与名单上的写法一致")
    id_number = serializers.CharField(
        max_length=30, write_only=True, help_text="18 位身份证号（15 位旧号也可）；只用来计算匹配用的密钥哈希，不保存"
    )

    @sensitive_variables()
    def validate_id_number(self, value):
        try:
            return person_key(normalize_id(value))  # the number is replaced by its keyed hash at once
        except InvalidID as exc:
            raise serializers.ValidationError(str(exc)) from None


class LookupSideSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="金额（元）；类别不公开金额时为 null"
    )
    group = serializers.CharField(help_text="村民小组；类别不公开时为空")
    url = serializers.CharField(help_text="公开名单页面的地址")


class LookupLineSerializer(serializers.Serializer):
    category = serializers.CharField()
    category_slug = serializers.CharField()
    township = serializers.CharField()
    village = serializers.CharField()
    division_code = serializers.CharField()
    period = serializers.CharField()
    announced = LookupSideSerializer(allow_null=True, help_text="拟享受名单公示上的记录")
    paid = LookupSideSerializer(allow_null=True, help_text="发放结果公开上的记录")
    published = LookupSideSerializer(allow_null=True, help_text="不分公示、发放两个阶段的名单上的记录")
    flag = serializers.ChoiceField(choices=selfquery.Flag.choices)
    flag_label = serializers.CharField()
    is_anomaly = serializers.BooleanField(help_text="公示了但未发放、金额不一致或未经公示直接发放")


class LookupAnswerSerializer(serializers.Serializer):
    lines = LookupLineSerializer(many=True, help_text="空列表：没有与姓名和身份证号都相符的已公开记录")


class LookupErrorSerializer(serializers.Serializer):
    name = serializers.ListField(child=serializers.CharField(), required=False)
    id_number = serializers.ListField(child=serializers.CharField(), required=False)


class LookupRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()


class LookupView(APIView):
    """Anonymous (no session, so no CSRF to carry); limited per address and per person like the page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="lookup_create",
        summary="我的补贴：按姓名和身份证号查询本人在所有已公开名单上的记录",
        description=(
            "与网页 /my/ 相同的查询：每个村、类别、期间一行，公示（拟享受）与发放并列，并给出结论。"
            "身份证号只用来计算匹配用的密钥哈希，不保存、不记录、不返回。查无此人与姓名不符的回答完全相同。"
            "同一地址每小时、同一身份证号每天的查询次数有限（429，见 Retry-After）。"
        ),
        request=LookupRequestSerializer,
        responses={
            200: LookupAnswerSerializer,
            400: OpenApiResponse(LookupErrorSerializer, description="输入有误：字段名 → 错误信息列表"),
            429: OpenApiResponse(LookupRefusalSerializer, description="查询次数太多（见 Retry-After）"),
        },
    )
    @sensitive_variables()
    def post(self, request):
        incoming = LookupRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        key = incoming.validated_data["id_number"]
        refusal = selfquery.refuse(request, key, session=False)
        if refusal:
            message = _("查询次数太多，请明天再试。")
            return Response(
                {"detail": message},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(refusal.retry_after)},
            )
        lines = selfquery.lookup(name=incoming.validated_data["name"], key=key)
        return Response(LookupAnswerSerializer({"lines": lines}).data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"  # every answer, errors included: it is about one person
        return response
