"""Deals as the API shows and accepts them, and the answers of a move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.fields import UserChoiceField
from accounts.assignment import assignable_users
from contacts.models import Company, Contact
from core.api.custom_fields import CustomFieldsField
from core.api.fields import RecordIdField, TextField, VisibleRelatedField, id_field
from core.api.serializers import ModelSerializer
from core.currencies import validate_currency
from pipeline.models import (
    Opportunity,
    Pipeline,
    Stage,
)
from pipeline.services.custom_fields import active_deal_fields

MAX_VERSION = 2**31 - 1


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text=_("The deal's version as you last read it; 409 if it changed."),
    )


# What a stage shows and an admin sets, in one order for reading and writing.


class OpportunitySerializer(ModelSerializer):
    custom_fields = CustomFieldsField(active_deal_fields)
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
            "custom_fields",
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


class NewLineItemSerializer(serializers.Serializer):
    """A product to put on a new deal; checked again, with the catalogue, by the service."""

    product = id_field(help_text=_("An active product of the catalogue."))
    quantity = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("9999999999.99"),
    )
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        help_text=_("In the deal's currency; left out, the product's catalogue price in it."),
    )
    discount = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        help_text=_("Percent off, 0 to 100."),
    )


def line_item_error_key(index: int, field: str) -> str:
    """How a create answer names a bad field of one of its line items."""
    return f"line_items[{index}].{field}"


class OpportunityCreateSerializer(OpportunitySerializer):
    """A new deal: its pipeline and, optionally, its first stage are chosen once, here.

    A deal needs a company or a contact; given only a contact, it is with the contact's
    company.
    """

    pipeline = RecordIdField(queryset=Pipeline.objects.all())
    company = VisibleRelatedField(
        Company,
        required=False,
        allow_null=True,
        help_text=_("The deal's company; default: the contact's. A company, a contact or both."),
    )
    stage = RecordIdField(
        queryset=Stage.objects.in_use(),
        required=False,
        allow_null=True,
        help_text=_("An open stage of the pipeline; default: its first."),
    )
    line_items = NewLineItemSerializer(
        many=True,
        required=False,
        write_only=True,
        max_length=100,
        help_text=_("Products on the new deal, created with it; its value is then their total."),
    )

    class Meta(OpportunitySerializer.Meta):
        fields = [*OpportunitySerializer.Meta.fields, "line_items"]
        read_only_fields = [
            name
            for name in OpportunitySerializer.Meta.read_only_fields
            if name not in {"pipeline", "stage"}
        ]

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(_flat_line_item_errors(error.detail)) from None


def _flat_line_item_errors(detail: Any) -> Any:
    """DRF nests a list's errors ({1: {"quantity": [...]}}); name them as the create
    answers the service's refusals, ``line_items[1].quantity``, so that both read alike."""
    if not isinstance(detail, dict):
        return detail
    nested = detail.get("line_items")
    if isinstance(nested, list):
        nested = dict(enumerate(nested))
    if not isinstance(nested, dict) or not all(isinstance(e, dict) for e in nested.values()):
        return detail
    del detail["line_items"]
    for index, item in nested.items():
        for field, messages in item.items():
            detail[line_item_error_key(int(index), field)] = messages
    return detail


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
