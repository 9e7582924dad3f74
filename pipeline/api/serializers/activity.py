"""Touchpoints and tasks as the API shows and accepts them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.fields import UserChoiceField
from accounts.assignment import assignable_users
from contacts.models import Company, Contact, Lead
from core.api.fields import VisibleRelatedField
from core.api.serializers import ModelSerializer
from pipeline.models import (
    Opportunity,
    Task,
    Touchpoint,
    TouchpointKind,
    TouchpointOutcome,
)


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
    company = VisibleRelatedField(Company, required=False, allow_null=True)
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
            "company",
            "external_id",
            "by",
            "by_name",
        ]
        # The id a record had in another CRM is set by imports, not by API writes.
        read_only_fields = ["by", "external_id"]
        extra_kwargs = {"summary": {"max_length": 5000}}

    def get_by_name(self, touchpoint: Touchpoint) -> str | None:
        return str(touchpoint.by) if touchpoint.by else None


class TaskSerializer(ModelSerializer):
    opportunity = VisibleRelatedField(Opportunity, required=False, allow_null=True)
    lead = VisibleRelatedField(Lead, required=False, allow_null=True)
    contact = VisibleRelatedField(Contact, required=False, allow_null=True)
    company = VisibleRelatedField(Company, required=False, allow_null=True)
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
            "company",
            "external_id",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["done_at", "overdue_since", "created_by", "created_at", "external_id"]
