"""Custom field definitions: everyone signed in reads them, to know what records may hold.

Admins define them in Settings; the values are each record's ``custom_fields``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.models import RecordField
from core.api.errors import error_responses
from core.custom_fields.models import CustomFieldDefinition
from pipeline.api.serializers.custom_fields import RECORDS, CustomFieldSerializer
from pipeline.services.custom_fields import active_deal_fields

EXAMPLE = OpenApiExample(
    "A deal field",
    value={
        "ref": "deal.tier",
        "record": "deal",
        "key": "tier",
        "label": "Tier",
        "kind": "choice",
        "help_text": "The customer's support tier.",
        "choices": [{"key": "gold", "label": "Gold"}, {"key": "silver", "label": "Silver"}],
        "currency": "",
        "required_from_stage": 12,
        "position": 0,
    },
    response_only=True,
)


def active_fields() -> list[CustomFieldDefinition]:
    """Every active field: deals' first, then companies', contacts', leads' (two queries)."""
    order = {record: index for index, record in enumerate(RECORDS)}
    others = sorted(
        RecordField.objects.filter(archived_at__isnull=True),
        key=lambda field: (order[field.record], field.position, field.pk),
    )
    return [*active_deal_fields(), *others]


class CustomFieldViewSet(viewsets.ViewSet):
    lookup_field = "ref"
    lookup_value_regex = r"(deal|company|contact|lead)\.[a-z][a-z0-9_]{0,49}"

    @extend_schema(
        summary="List custom fields",
        description=(
            "The active custom fields of deals, companies, contacts and leads, in their "
            "order. A record's values are its `custom_fields` object, by key."
        ),
        parameters=[
            OpenApiParameter(
                "record", enum=RECORDS, required=False, description="Only this kind's fields."
            )
        ],
        examples=[EXAMPLE],
        responses={200: CustomFieldSerializer(many=True), **error_responses(400)},
    )
    def list(self, request: Request) -> Response:
        given = [value for value in request.query_params.getlist("record") if value]
        if any(value not in RECORDS for value in given) or len(set(given)) > 1:
            raise ValidationError({"record": [_("Choose one of: %s.") % ", ".join(RECORDS)]})
        record = given[0] if given else None
        fields = [
            field
            for field in active_fields()
            if record is None or getattr(field, "record", "deal") == record
        ]
        return Response(CustomFieldSerializer(fields, many=True).data)

    @extend_schema(
        summary="Get a custom field",
        examples=[EXAMPLE],
        responses={200: CustomFieldSerializer, **error_responses(404)},
    )
    def retrieve(self, request: Request, ref: str, **kwargs: Any) -> Response:
        for field in active_fields():
            if f"{getattr(field, 'record', 'deal')}.{field.key}" == ref:
                return Response(CustomFieldSerializer(field).data)
        raise Http404
