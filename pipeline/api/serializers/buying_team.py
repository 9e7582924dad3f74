"""The buying team in the API: roles, and the contacts on a deal with their role."""

from __future__ import annotations

from rest_framework import serializers

from core.api.fields import StrictBooleanField, TextField, id_field
from pipeline.api.serializers.deals import MAX_VERSION
from pipeline.models import BuyingRole, DealContact


class BuyingRoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = BuyingRole
        fields = ["id", "name", "decides", "position", "is_active"]
        read_only_fields = ["id", "position"]
        extra_kwargs = {"name": {"max_length": 60}}


class BuyingRoleWriteSerializer(serializers.Serializer):
    """What an admin sends to add or change a role; ``is_active`` false retires it."""

    name = TextField(max_length=60, required=False)
    decides = StrictBooleanField(required=False)
    is_active = StrictBooleanField(required=False)


class DealContactSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)
    role_name = serializers.CharField(source="role.name", read_only=True, allow_null=True)
    decides = serializers.SerializerMethodField()

    class Meta:
        model = DealContact
        fields = [
            "id",
            "contact",
            "contact_name",
            "role",
            "role_name",
            "decides",
            "is_primary",
            "created_at",
        ]
        read_only_fields = fields

    def get_decides(self, member: DealContact) -> bool:
        """Whether the member's role counts as the decision maker."""
        return bool(member.role is not None and member.role.decides)


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text="The deal's version you saw; when given, a deal changed since answers 409.",
    )


class DealContactAddSerializer(serializers.Serializer):
    contact = id_field()
    role = id_field(required=False, allow_null=True)
    is_primary = StrictBooleanField(required=False, default=False)
    version = _version()


class DealContactChangeSerializer(serializers.Serializer):
    """A new role (null: none) and/or ``is_primary: true`` (the primary is changed by making
    another member primary, or removing this one)."""

    role = id_field(required=False, allow_null=True)
    is_primary = StrictBooleanField(required=False)
    version = _version()

    def validate_is_primary(self, value: bool) -> bool:
        if value is False:
            raise serializers.ValidationError(
                "Make another member primary instead, or remove this one."
            )
        return value


class DealContactRemoveSerializer(serializers.Serializer):
    version = _version()
