from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    content_type = serializers.CharField(source="content_type.model", default=None, read_only=True)

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "created_at",
            "actor_label",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "division",
            "changes",
            "reason",
            "data",
        )
