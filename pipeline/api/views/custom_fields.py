"""Custom field definitions: everyone signed in reads them, to know what records may hold.

Admins define, change and archive them, here as in Settings, through the same services
(so a change of kind that stored values would not fit is refused, naming ``kind``); the
values are each record's ``custom_fields``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from contacts.models import RecordField
from contacts.services.custom_fields import (
    archive_record_field,
    change_record_field,
    define_record_field,
)
from core.api.errors import error_responses
from core.custom_fields.definitions import make_key
from core.custom_fields.kinds import Choice
from core.custom_fields.models import CustomFieldDefinition
from core.custom_fields.services import FieldSpec, check_admin
from pipeline.api.serializers.custom_fields import (
    RECORDS,
    CustomFieldArchiveSerializer,
    CustomFieldCreateSerializer,
    CustomFieldSerializer,
    CustomFieldWriteSerializer,
    record_of,
)
from pipeline.models import DealField
from pipeline.services.custom_fields import (
    active_deal_fields,
    archive_deal_field,
    change_deal_field,
    define_deal_field,
)

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


WRITE_EXAMPLE = OpenApiExample(
    "A new deal field",
    value={
        "record": "deal",
        "label": "Tier",
        "kind": "choice",
        "choices": [{"label": "Gold"}, {"label": "Silver"}],
    },
    request_only=True,
)


def any_field(ref: str) -> CustomFieldDefinition:
    """The field ``ref`` names, archived or not (Http404 if none)."""
    record, _dot, key = ref.partition(".")
    if record == "deal":
        found: CustomFieldDefinition | None = DealField.objects.filter(key=key).first()
    else:
        found = RecordField.objects.filter(record=record, key=key).first()
    if found is None:
        raise Http404
    return found


def _spec(data: dict[str, Any], current: CustomFieldDefinition | None = None) -> FieldSpec:
    """The spec the request gives, the rest as ``current`` has it; new choices get keys."""

    if "choices" in data:
        kept = [item["key"] for item in data["choices"] if item.get("key")]
        choices: list[Choice] = []
        for item in data["choices"]:
            key = item.get("key") or make_key(item["label"], [*kept, *(c.key for c in choices)])
            choices.append(Choice(key, item["label"]))
    else:
        choices = current.choice_list if current is not None else []
    return FieldSpec(
        label=data.get("label", current.label if current else ""),
        kind=data.get("kind", current.kind if current else ""),
        help_text=data.get("help_text", current.help_text if current else ""),
        choices=choices,
        currency=data.get("currency", current.currency if current else ""),
    )


def _refuse_stage_for(record: str, data: dict[str, Any]) -> None:
    if record != "deal" and data.get("required_from_stage") is not None:
        raise ValidationError(
            {"required_from_stage": [_("Only deal fields are required from a stage.")]}
        )


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

    @extend_schema(
        summary="Add a custom field",
        description=(
            "Admins only. The field goes last in its record's order; its `key` is made "
            "from the label, once, and never changes. Choices without a key get one."
        ),
        request=CustomFieldCreateSerializer,
        examples=[WRITE_EXAMPLE, EXAMPLE],
        responses={201: CustomFieldSerializer, **error_responses(400)},
    )
    def create(self, request: Request) -> Response:
        check_admin(request.user)
        serializer = CustomFieldCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = data["record"]
        _refuse_stage_for(record, data)
        definition: CustomFieldDefinition
        if record == "deal":
            definition = define_deal_field(
                by=request.user,
                spec=_spec(data),
                required_from_stage=data.get("required_from_stage"),
            )
        else:
            definition = define_record_field(by=request.user, record=record, spec=_spec(data))
        return Response(CustomFieldSerializer(definition).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a custom field",
        description=(
            "Admins only; archived fields too. Give only what changes. A new `kind`, or "
            "`choices` without one in use, is refused (400 naming it) while stored values "
            "would not fit; `choices` replaces the list (keep a choice by its `key`)."
        ),
        request=CustomFieldWriteSerializer(partial=True),
        examples=[
            OpenApiExample("Relabel", value={"label": "Support tier"}, request_only=True),
            EXAMPLE,
        ],
        responses={200: CustomFieldSerializer, **error_responses(400, 404)},
    )
    def partial_update(self, request: Request, ref: str, **kwargs: Any) -> Response:
        check_admin(request.user)
        current = any_field(ref)
        serializer = CustomFieldWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = record_of(current)
        _refuse_stage_for(record, data)
        spec = _spec(data, current)
        definition: CustomFieldDefinition
        if isinstance(current, DealField):
            stage = data.get("required_from_stage", current.required_from_stage)
            definition = change_deal_field(
                by=request.user, field_id=current.pk, spec=spec, required_from_stage=stage
            )
        else:
            definition = change_record_field(by=request.user, field_id=current.pk, spec=spec)
        return Response(CustomFieldSerializer(definition).data)

    @extend_schema(
        summary="Archive or restore a custom field",
        description=(
            "Admins only. An archived field is hidden from forms, lists and the API; its "
            "values and history stay, and restoring it brings them back."
        ),
        request=CustomFieldArchiveSerializer,
        examples=[
            OpenApiExample("Archive", value={"archived": True}, request_only=True),
            EXAMPLE,
        ],
        responses={200: CustomFieldSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, ref: str, **kwargs: Any) -> Response:
        check_admin(request.user)
        current = any_field(ref)
        serializer = CustomFieldArchiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        archived = serializer.validated_data["archived"]
        archive = archive_deal_field if isinstance(current, DealField) else archive_record_field
        definition = archive(by=request.user, field_id=current.pk, archived=archived)
        return Response(CustomFieldSerializer(definition).data)
