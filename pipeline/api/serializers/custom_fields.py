"""Custom field definitions as the API shows them: deals', companies', contacts', leads'."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import RecordIdField, StrictBooleanField, TextField
from core.custom_fields.kinds import FieldKind
from core.custom_fields.models import CustomFieldDefinition
from pipeline.models import Stage


class RegexTextField(TextField):
    """A string matching ``regex``, refused (not converted) when JSON gives another type."""

    def __init__(self, regex: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.validators.append(RegexValidator(regex, message=_("This value is not valid.")))


RECORDS = ["deal", "company", "contact", "lead"]


def record_of(definition: CustomFieldDefinition) -> str:
    return str(getattr(definition, "record", "deal"))


class ChoiceSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("What records store; never changes."))
    label = serializers.CharField()


class CustomFieldSerializer(serializers.Serializer):
    ref = serializers.SerializerMethodField(
        help_text=_("The field's id in this API: record and key, e.g. deal.budget.")
    )
    record = serializers.SerializerMethodField(help_text=_("Which records hold the field."))
    key = serializers.CharField(
        read_only=True, help_text=_("Its name in a record's custom_fields; never changes.")
    )
    label = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=FieldKind.choices, read_only=True)
    help_text = serializers.CharField(read_only=True)
    choices = ChoiceSerializer(source="choice_list", many=True, read_only=True)
    currency = serializers.CharField(read_only=True, help_text=_("For money; else empty."))
    required_from_stage = serializers.SerializerMethodField(
        help_text=_("Deals only: the stage from which a deal needs a value (and every later one).")
    )
    position = serializers.IntegerField(read_only=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_ref(self, definition: CustomFieldDefinition) -> str:
        return f"{record_of(definition)}.{definition.key}"

    @extend_schema_field(serializers.ChoiceField(choices=RECORDS))
    def get_record(self, definition: CustomFieldDefinition) -> str:
        return record_of(definition)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_required_from_stage(self, definition: CustomFieldDefinition) -> int | None:
        return getattr(definition, "required_from_stage_id", None)


class ChoiceInputSerializer(serializers.Serializer):
    key = RegexTextField(
        r"^[a-z0-9_]{1,50}$",
        required=False,
        help_text=_("An existing choice's key, to keep it; left out, a new choice."),
    )
    label = TextField(max_length=100)


class CustomFieldWriteSerializer(serializers.Serializer):
    """What an admin says about a field; the key comes from the label, once, and stays."""

    label = TextField(max_length=100)
    kind = serializers.ChoiceField(
        choices=FieldKind.choices,
        help_text=_("A change is refused while stored values would not fit the new kind."),
    )
    help_text = TextField(max_length=300, required=False, allow_blank=True)
    choices = ChoiceInputSerializer(
        many=True,
        required=False,
        max_length=200,
        help_text=_("For the choice kinds, in the order forms offer them."),
    )
    currency = TextField(
        max_length=3, required=False, allow_blank=True, help_text=_("For money: ISO code.")
    )
    required_from_stage = RecordIdField(
        queryset=Stage.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Deals only: a deal needs a value from this stage of its pipeline on."),
    )


class CustomFieldCreateSerializer(CustomFieldWriteSerializer):
    record = serializers.ChoiceField(choices=RECORDS, help_text=_("Which records hold it."))


class CustomFieldArchiveSerializer(serializers.Serializer):
    archived = StrictBooleanField(
        help_text=_("True hides the field (its values stay); false brings it back.")
    )
