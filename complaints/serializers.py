from rest_framework import serializers

from sunshine.masking import MaskedCharField

from .models import Complaint, ComplaintCategory, Outcome, Rating


class ComplaintCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplaintCategory
        fields = ("service_code", "name", "description", "owning_level", "is_objection")


class StaffComplaintSerializer(serializers.ModelSerializer):
    """What the staff queue shows; identity never travels through the API."""

    category = serializers.CharField(source="category.service_code")
    village = serializers.CharField(source="village.code")
    division = serializers.CharField(source="division.name")
    overdue = serializers.BooleanField(read_only=True)
    # A plain string: the role choices already have their enum (RoleEnum) in the schema.
    handler_role = serializers.CharField(read_only=True, help_text="village_clerk, township_reviewer, …")
    moves = serializers.SerializerMethodField(help_text="Moves you may take now: POST …/<id>/<move>/")
    # Empty until the complaint is answered (outcome) and rated (rating): declared so, not only the choices.
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True, read_only=True)
    rating = serializers.ChoiceField(choices=Rating.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Complaint
        fields = (
            "id",
            "tracking_code",
            "status",
            "category",
            "village",
            "division",
            "level",
            "handler_role",
            "text",
            "summary",
            "description_public",
            "concerns_cadres",
            "concerns_township_staff",
            "channel",
            "anonymous",
            "submitted_at",
            "due_at",
            "overdue",
            "accepted_at",
            "replied_at",
            "closed_at",
            "extended",
            "escalation_count",
            "is_review",
            "reject_reason",
            "reply",
            "outcome",
            "rating",
            "moves",
        )
        read_only_fields = fields

    def get_moves(self, obj) -> list[str]:
        from .moves import available_moves

        user = self.context.get("moves_for")
        return [move.name for move in available_moves(obj, user)] if user is not None else []


class PublicResultSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    summary = MaskedCharField()
    reply = MaskedCharField()
    township = serializers.CharField(source="township.name")
    village = serializers.CharField(source="village.name")

    class Meta:
        model = Complaint
        fields = (
            "tracking_code",
            "category",
            "township",
            "village",
            "summary",
            "reply",
            "outcome",
            "rating",
            "submitted_at",
            "accepted_at",
            "replied_at",
            "closed_at",
        )


class ComplaintReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ComplaintReplySerializer(serializers.Serializer):
    reply = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Outcome.choices)


class ComplaintTransferSerializer(serializers.Serializer):
    division = serializers.CharField(help_text="12-digit division code")
    reason = serializers.CharField()


class ComplaintRatingSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)


class ComplaintPublicitySerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description_public = serializers.BooleanField(default=False)


# The request body each kind of move input takes in the staff API (``Move.inputs``; none: no body).
MOVE_BODIES = {
    "reason": ComplaintReasonSerializer,
    "reply": ComplaintReplySerializer,
    "transfer": ComplaintTransferSerializer,
    "publicity": ComplaintPublicitySerializer,
    "rating": ComplaintRatingSerializer,
}
