"""Pipelines, stages, deals, touchpoints and tasks as the API shows and accepts them.

Fields only the services set (version, position, status, stage_entered_at, ...) are read
only: a client sending them changes nothing. Related records are named by id and resolved
through ``visible_to``, owners and assignees through ``assignable_users``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.fields import UserChoiceField
from accounts.assignment import assignable_users
from contacts.models import Company, Contact, Lead
from core.api.fields import RecordIdField, TextField, VisibleRelatedField, id_field
from core.api.serializers import ModelSerializer
from core.currencies import validate_currency
from pipeline.models import (
    EntryField,
    Opportunity,
    Pipeline,
    Stage,
    Task,
    Touchpoint,
    TouchpointKind,
    TouchpointOutcome,
    board_order,
)

# Versions beyond what the column holds are refused as input, not sent to the database.
MAX_VERSION = 2**31 - 1


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("The deal's version as you last read it; 409 if it changed."),
    )


# What a stage shows and an admin sets, in one order for reading and writing.
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


class OpportunitySerializer(ModelSerializer):
    company = VisibleRelatedField(Company)
    company_name = serializers.CharField(source="company.name", read_only=True)
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    owner = UserChoiceField(assignable_users, required=False)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    probability = serializers.IntegerField(source="stage.probability", read_only=True)
    checklist_done = serializers.ListField(
        child=TextField(max_length=100),
        required=False,
        max_length=50,
        help_text=_("Checklist items done, by their text."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "title",
            "company",
            "company_name",
            "contact",
            "lead",
            "owner",
            "owner_name",
            "pipeline",
            "stage",
            "stage_name",
            "probability",
            "status",
            "value",
            "currency",
            "expected_close_date",
            "forecast_category",
            "checklist_done",
            "lost_reason",
            "position",
            "version",
            "stage_entered_at",
            "last_touch_at",
            "stale_since",
            "closed_at",
            "external_id",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "lead",
            "pipeline",
            "stage",
            "status",
            "lost_reason",
            "position",
            "version",
            "stage_entered_at",
            "last_touch_at",
            "stale_since",
            "closed_at",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "value": {"min_value": 0},
            "currency": {"validators": [validate_currency]},
        }

    def validate_checklist_done(self, items: list[str]) -> list[str]:
        return sorted(set(items))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        company = attrs.get("company", getattr(self.instance, "company", None))
        contact = attrs.get("contact", getattr(self.instance, "contact", None))
        if contact is not None and company is not None and contact.company_id != company.pk:
            raise serializers.ValidationError(
                {"contact": _("Choose a contact of this deal's company.")}
            )
        return attrs


class OpportunityCreateSerializer(OpportunitySerializer):
    """A new deal: its pipeline and, optionally, its first stage are chosen once, here."""

    pipeline = RecordIdField(queryset=Pipeline.objects.all())
    stage = RecordIdField(
        queryset=Stage.objects.in_use(),
        required=False,
        allow_null=True,
        help_text=_("An open stage of the pipeline; default: its first."),
    )

    class Meta(OpportunitySerializer.Meta):
        read_only_fields = [
            name
            for name in OpportunitySerializer.Meta.read_only_fields
            if name not in {"pipeline", "stage"}
        ]


class MoveSerializer(serializers.Serializer):
    """A move to a stage and/or a place in its column, with what the stage may require."""

    stage = id_field(help_text=_("The target stage, in the deal's pipeline."))
    version = version_field()
    after = id_field(
        required=False,
        allow_null=True,
        help_text=_("Position hint: the deal that will sit just above this one."),
    )
    before = id_field(
        required=False,
        allow_null=True,
        help_text=_("Position hint: the deal that will sit just below this one."),
    )
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    contact = id_field(required=False, allow_null=True)
    checklist_done = serializers.ListField(
        child=TextField(max_length=100),
        required=False,
        allow_null=True,
        max_length=50,
        help_text=_("The checklist items now done; replaces the deal's list."),
    )
    lost_reason = TextField(required=False, allow_blank=True, max_length=200)


class WonSerializer(serializers.Serializer):
    version = version_field()
    value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    contact = id_field(required=False, allow_null=True)
    checklist_done = serializers.ListField(
        child=TextField(max_length=100), required=False, allow_null=True, max_length=50
    )


class LostSerializer(serializers.Serializer):
    version = version_field()
    lost_reason = TextField(max_length=200, help_text=_("Why the deal was lost."))


class CurrentDealSerializer(ModelSerializer):
    """Where a deal really is, for a client that lost a race."""

    stage_name = serializers.CharField(source="stage.name", read_only=True)
    updated_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "stage",
            "stage_name",
            "status",
            "position",
            "version",
            "updated_by",
            "updated_by_name",
        ]
        read_only_fields = fields

    def get_updated_by_name(self, deal: Opportunity) -> str | None:
        return str(deal.updated_by) if deal.updated_by else None


class MoveConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = CurrentDealSerializer()


class TouchpointSerializer(ModelSerializer):
    kind = serializers.ChoiceField(choices=TouchpointKind.choices)
    outcome = serializers.ChoiceField(
        choices=TouchpointOutcome.choices, required=False, allow_blank=True
    )
    at = serializers.DateTimeField(
        required=False, help_text=_("When it happened (default: now); never in the future.")
    )
    opportunity = VisibleRelatedField(Opportunity, required=False, allow_null=True)
    lead = VisibleRelatedField(Lead, required=False, allow_null=True)
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "kind",
            "at",
            "outcome",
            "summary",
            "opportunity",
            "lead",
            "contact",
            "by",
            "by_name",
        ]
        read_only_fields = ["by"]
        extra_kwargs = {"summary": {"max_length": 5000}}

    def get_by_name(self, touchpoint: Touchpoint) -> str | None:
        return str(touchpoint.by) if touchpoint.by else None


class TaskSerializer(ModelSerializer):
    opportunity = VisibleRelatedField(Opportunity, required=False, allow_null=True)
    lead = VisibleRelatedField(Lead, required=False, allow_null=True)
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    assignee = UserChoiceField(
        assignable_users, required=False, help_text=_("Default: you. Reps assign only themselves.")
    )
    assignee_name = serializers.CharField(source="assignee.__str__", read_only=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "notes",
            "due_at",
            "done_at",
            "is_done",
            "overdue_since",
            "assignee",
            "assignee_name",
            "opportunity",
            "lead",
            "contact",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["done_at", "overdue_since", "created_by", "created_at"]


class ConvertLeadSerializer(serializers.Serializer):
    """What the new deal needs; the company and contact come from the lead."""

    pipeline = id_field(help_text=_("The pipeline the deal starts in (its first open stage)."))
    title = TextField(max_length=200)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    currency = TextField(validators=[validate_currency], required=False)
    expected_close_date = serializers.DateField(required=False, allow_null=True)
    company = id_field(
        required=False,
        allow_null=True,
        help_text=_(
            "An existing company you can see; default: one with the lead's domain, else new."
        ),
    )
