"""A record's custom fields in the API: one ``custom_fields`` object, typed per definition.

``CustomFieldsField(definitions)`` reads and writes the object; ``definitions`` is called
once per serializer (one query for a whole list page). The OpenAPI schema describes the
object with a property per active field, in its kind's type, as the fields stand when the
schema is generated: the schema follows what admins define.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from core.custom_fields.kinds import (
    DECIMAL_PLACES,
    MAX_DIGITS,
    TEXT_MAX_LENGTH,
    FieldKind,
)
from core.custom_fields.models import CustomFieldDefinition
from core.custom_fields.values import clean_values

Definitions = Callable[[], Sequence[CustomFieldDefinition]]
INTEGER_DIGITS = MAX_DIGITS - DECIMAL_PLACES
DECIMAL_PATTERN = rf"^-?\d{{1,{INTEGER_DIGITS}}}(\.\d{{1,{DECIMAL_PLACES}}})?$"


class CustomFieldsField(serializers.Field):
    """``{"<key>": value, ...}``: every active field, null when empty. Writing sets the
    given keys only (null empties one); values are checked by kind, each error by key."""

    default_error_messages = {"not_an_object": _("Give an object of field keys and values.")}

    def __init__(self, definitions: Definitions, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Custom fields by key; see /api/custom-fields/."))
        self.load_definitions = definitions
        self._definitions: list[CustomFieldDefinition] | None = None
        super().__init__(**kwargs)

    @property
    def definitions(self) -> list[CustomFieldDefinition]:
        if self._definitions is None:
            self._definitions = [d for d in self.load_definitions() if not d.is_archived]
        return self._definitions

    def to_representation(self, value: Any) -> dict[str, Any]:
        held = value or {}
        return {definition.key: held.get(definition.key) for definition in self.definitions}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_an_object")
        try:
            clean_values(self.definitions, data)
        except ValidationError as error:
            prefix = "custom_fields."
            raise serializers.ValidationError(
                {
                    name.removeprefix(prefix): messages
                    for name, messages in error.message_dict.items()
                }
            ) from None
        return dict(data)


def kind_schema(definition: CustomFieldDefinition) -> dict[str, Any]:
    """The OpenAPI schema of one field's value (null empties it)."""
    keys = [choice.key for choice in definition.choice_list]
    schema: dict[str, Any]
    if definition.kind in (FieldKind.NUMBER, FieldKind.MONEY):
        schema = {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN}
    elif definition.kind == FieldKind.DATE:
        schema = {"type": "string", "format": "date"}
    elif definition.kind == FieldKind.BOOLEAN:
        schema = {"type": "boolean"}
    elif definition.kind == FieldKind.CHOICE:
        schema = {"type": "string", "enum": keys}
    elif definition.kind == FieldKind.CHOICES:
        schema = {"type": "array", "items": {"type": "string", "enum": keys}, "uniqueItems": True}
    else:
        schema = {"type": "string", "maxLength": TEXT_MAX_LENGTH, "pattern": "^[^\\u0000]*$"}
    schema["nullable"] = True
    description = definition.label + (f": {definition.help_text}" if definition.help_text else "")
    if definition.kind == FieldKind.MONEY and definition.currency:
        description += f" ({definition.currency})"
    schema["description"] = description
    return schema


class CustomFieldsFieldSchema(OpenApiSerializerFieldExtension):
    target_class = CustomFieldsField

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        field = self.target
        assert isinstance(field, CustomFieldsField)
        try:
            definitions = field.definitions
        except (DatabaseError, RuntimeError):
            # Generated with no database to read (a build step, a test collecting the
            # schema): documented as it is before any field is defined.
            definitions = []
        return {
            "type": "object",
            "description": str(field.help_text or ""),
            "properties": {d.key: kind_schema(d) for d in definitions},
            "additionalProperties": False,
        }
