from rest_framework import serializers

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
        )
        read_only_fields = fields


class PublicResultSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
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
