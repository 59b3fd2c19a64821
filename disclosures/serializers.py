"""API shapes. Roster entries expose only their category's allow-listed public fields, never full IDs."""

from django.urls import reverse
from rest_framework import serializers

from sunshine.masking import MaskedCharField, mask_free_text

from .models import Disclosure, LedgerLine, Phase
from .public_text import public_fields_of
from .services import available_moves
from .views import disclosure_url


class PublicDisclosureSerializer(serializers.ModelSerializer):
    division_code = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")
    division_level = serializers.CharField(source="division.level")
    category = serializers.CharField(source="category.slug")
    category_name = serializers.CharField(source="category.name")
    kind = serializers.CharField(source="category.kind")
    revision = serializers.IntegerField(source="current_revision.number")
    is_correction = serializers.SerializerMethodField()
    title = MaskedCharField()
    correction_reason = MaskedCharField(source="current_revision.reason")
    published_at = serializers.DateTimeField(source="current_revision.published_at")
    entry_count = serializers.IntegerField(source="current_revision.entry_count")
    amount_total = serializers.DecimalField(source="current_revision.amount_total", max_digits=14, decimal_places=2)
    checksum = serializers.CharField(source="current_revision.checksum")
    page_url = serializers.SerializerMethodField()
    entries_url = serializers.SerializerMethodField()

    class Meta:
        model = Disclosure
        fields = (
            "id", "division_code", "division_name", "division_level", "category", "category_name", "kind", "period",
            "phase", "title", "status", "revision", "is_correction", "correction_reason", "published_at",
            "first_published_at", "objection_ends_at", "pre_disclosure", "entry_count", "amount_total", "checksum",
            "page_url", "entries_url",
        )  # fmt: skip

    def get_is_correction(self, obj) -> bool:
        return obj.current_revision.number > 1

    def get_page_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(disclosure_url(obj))

    def get_entries_url(self, obj) -> str | None:
        name = {"roster": "public-disclosure-entries", "ledger": "public-disclosure-ledger"}.get(obj.category.kind)
        if name is None:
            return None
        return self.context["request"].build_absolute_uri(reverse(name, args=[obj.pk]))


class PublicEntrySerializer(serializers.Serializer):
    """One roster row; the fields present are the category's allow-list (name, group, amount …)."""

    name = serializers.CharField(required=False)
    group = serializers.CharField(required=False)
    household_size = serializers.IntegerField(required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    assistance_class = serializers.CharField(required=False)
    id_masked = serializers.CharField(required=False)
    remark = serializers.CharField(required=False)

    def to_representation(self, instance):
        """Only the allow-listed fields, read one by one: the view loads just those columns (``only``), and
        touching any other would fetch it from the database once per row."""
        data = {}
        for key in public_fields_of(self.context["category"]):
            field = self.fields.get(key)
            if field is None:
                continue
            value = getattr(instance, key)
            value = None if value is None else field.to_representation(value)
            data[key] = mask_free_text(value) if isinstance(value, str) and key != "amount" else value
        return data


class LedgerLineSerializer(serializers.ModelSerializer):
    summary = MaskedCharField()

    class Meta:
        model = LedgerLine
        fields = ("date", "voucher_no", "summary", "income", "expense", "balance")


class StaffDisclosureSerializer(serializers.ModelSerializer):
    division_code = serializers.CharField(source="division.code", read_only=True)
    category = serializers.CharField(source="category.slug", read_only=True)
    working_revision = serializers.SerializerMethodField()
    # Null until the first publication.
    current_revision_number = serializers.IntegerField(
        source="current_revision.number", default=None, read_only=True, allow_null=True
    )
    moves = serializers.SerializerMethodField(help_text="此刻您可以执行的操作（POST 到同名子路径）")

    class Meta:
        model = Disclosure
        fields = (
            "id", "division_code", "category", "period", "phase", "title", "status", "current_revision_number",
            "working_revision", "objection_ends_at", "first_published_at", "pre_disclosure", "moves",
        )  # fmt: skip

    def get_moves(self, obj) -> list[str]:
        revisions = getattr(obj, "open_revisions", None)
        user = self.context["request"].user
        return [m.route for m in available_moves(obj, user, revision=revisions[0] if revisions else None)]

    def get_working_revision(self, obj) -> dict | None:
        revisions = getattr(obj, "open_revisions", None)
        revision = revisions[0] if revisions else None
        if revision is None:
            return None
        return {"number": revision.number, "state": revision.state, "reason": revision.reason,
                "entry_count": revision.entry_count, "amount_total": str(revision.amount_total)}  # fmt: skip


class DraftCreateSerializer(serializers.Serializer):
    division_code = serializers.CharField()
    category = serializers.SlugField()
    period = serializers.CharField(max_length=10)
    phase = serializers.ChoiceField(choices=Phase.choices, default=Phase.SINGLE)
    title = serializers.CharField(required=False, allow_blank=True, default="")
    pre_disclosure = serializers.IntegerField(required=False, allow_null=True, default=None)
    body = serializers.CharField(required=False, allow_blank=True, default="", help_text="正文（文件类公开）")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="更正原因：已公开的事项会新建更正版本，提交前必须填写"
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EntryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    group = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    household_size = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, default=None)
    assistance_class = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)
    remark = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PublicRevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    state = serializers.CharField()
    reason = MaskedCharField()
    published_at = serializers.DateTimeField()
    checksum = serializers.CharField()
    entry_count = serializers.IntegerField()
    amount_total = serializers.DecimalField(max_digits=14, decimal_places=2)
