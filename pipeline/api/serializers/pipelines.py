"""Pipelines and their stages as the API shows and accepts them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import TextField, id_field
from core.api.serializers import ModelSerializer
from pipeline.models import (
    EntryField,
    Pipeline,
    Stage,
    board_order,
)

STAGE_FIELDS = [
    "id",
    "pipeline",
    "name",
    "position",
    "kind",
    "probability",
    "rotting_days",
    "entry_fields",
    "entry_checklist",
]


class StageSerializer(ModelSerializer):
    entry_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=EntryField.choices),
        read_only=True,
        help_text=_("Deal fields a deal must have to enter."),
    )
    entry_checklist = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Items the rep must tick before a deal may enter."),
    )

    class Meta:
        model = Stage
        fields = STAGE_FIELDS
        read_only_fields = fields


class StageWriteSerializer(ModelSerializer):
    """An admin's stage settings; the pipeline and kind are chosen once, when adding it."""

    entry_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=EntryField.choices),
        required=False,
        max_length=len(EntryField.values),
        help_text=_("Deal fields a deal must have to enter."),
    )
    entry_checklist = serializers.ListField(
        child=TextField(max_length=100),
        required=False,
        max_length=20,
        help_text=_("Items the rep must tick before a deal may enter."),
    )

    class Meta:
        model = Stage
        fields = STAGE_FIELDS
        read_only_fields = ["position"]
        # The service checks the name against the stages in use and names the field.
        validators: list[Any] = []


class StageUpdateSerializer(StageWriteSerializer):
    class Meta(StageWriteSerializer.Meta):
        read_only_fields = ["pipeline", "kind", "position"]


class StageRemovalSerializer(serializers.Serializer):
    move_deals_to = id_field(
        required=False, help_text=_("The stage that takes this stage's deals.")
    )


class PipelineSerializer(ModelSerializer):
    stages = serializers.SerializerMethodField(help_text=_("Stages in use, in board order."))

    class Meta:
        model = Pipeline
        fields = ["id", "name", "position", "is_active", "stages"]
        read_only_fields = fields

    @extend_schema_field(StageSerializer(many=True))
    def get_stages(self, pipeline: Pipeline) -> list[dict[str, Any]]:
        # Prefetched by the view (stages in use only): no query per pipeline.
        return StageSerializer(board_order(pipeline.stages.all()), many=True).data
