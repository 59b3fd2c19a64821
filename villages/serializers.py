from rest_framework import serializers

from .models import Division


class DivisionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Division
        fields = ("id", "code", "name", "level", "parent", "parent_code")
