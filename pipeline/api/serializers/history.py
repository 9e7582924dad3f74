"""A deal's history as the API shows it: its moves and its edits, newest first."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pipeline.timeline import KIND_FIELD, KIND_STAGE


@extend_schema_field(OpenApiTypes.ANY)
class RecordedValueField(serializers.JSONField):
    """A value as the history keeps it: text, a number, an id, a list, or null."""


class DealHistoryEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[(KIND_STAGE, _("a move")), (KIND_FIELD, _("an edit"))],
        read_only=True,
        help_text=_("`stage` for a move between stages, `field` for an edit of a field."),
    )
    id = serializers.IntegerField(
        read_only=True, help_text=_("The move's or the edit's id; unique within its kind.")
    )
    at = serializers.DateTimeField(read_only=True)
    by = serializers.CharField(
        read_only=True,
        help_text=_("Who made the change, by name; empty when the user was deleted."),
    )
    field = serializers.CharField(
        read_only=True,
        help_text=_(
            "`stage` for a move; else the deal's field (`value`, `owner`), `line_items`, "
            "`buying_team` or `custom:<key>`."
        ),
    )
    field_label = serializers.CharField(read_only=True)
    old = serializers.CharField(
        read_only=True, help_text=_("What it was, as a person reads it (a stage's name).")
    )
    new = serializers.CharField(
        read_only=True, help_text=_("What it became, as a person reads it.")
    )
    old_value = RecordedValueField(
        read_only=True, allow_null=True, help_text=_("What it was, as stored; null for a move.")
    )
    new_value = RecordedValueField(
        read_only=True, allow_null=True, help_text=_("What it became, as stored.")
    )
