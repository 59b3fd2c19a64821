from rest_framework import serializers

from .models import Division, Membership


class DivisionSerializer(serializers.ModelSerializer):
    # The county has no parent: null there (and so declared nullable in the schema).
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Division
        fields = ("id", "code", "name", "level", "parent", "parent_code")


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    division_code = serializers.CharField(source="division.code", read_only=True)

    class Meta:
        model = Membership
        fields = ("id", "username", "division", "division_code", "role", "created_at")
