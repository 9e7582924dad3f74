"""Deals: list, read, create, edit, and the moves the board makes (stage, won, lost).

Every write goes through the services the board uses (``create_opportunity``,
``update_opportunity``, ``move_opportunity``), so the API keeps the same rules: entry
criteria, a lost reason, one winner when two clients move a deal at once (409, with where
the deal really is).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.access import VisibleRecordsMixin
from core.api.errors import FIELD_ERRORS_SCHEMA, error_responses
from core.api.listing import CursorPage, NumberedPage
from pipeline.api.filters import OpportunityFilter
from pipeline.api.serializers import (
    CurrentDealSerializer,
    LostSerializer,
    MoveConflictSerializer,
    MoveSerializer,
    OpportunityCreateSerializer,
    OpportunitySerializer,
    WonSerializer,
)
from pipeline.api.serializers.deals import line_item_error_key
from pipeline.api.serializers.history import DealHistoryEntrySerializer
from pipeline.models import EntryField, ForecastCategory, Opportunity, Stage, StageKind
from pipeline.services import (
    DealFields,
    EntryCriteriaNotMet,
    MoveConflict,
    create_opportunity,
    move_opportunity,
    update_opportunity,
)
from pipeline.services.custom_fields import set_deal_custom_values
from pipeline.services.line_items import LineItemInput, add_line_items
from pipeline.timeline import timeline_entries, timeline_rows

HISTORY_EXAMPLE = OpenApiExample(
    "History",
    value={
        "kind": "field",
        "id": 5210,
        "at": "2027-03-02T09:14:00Z",
        "by": "Mary Rivas",
        "field": "value",
        "field_label": "Value",
        "old": "10,000.00 EUR",
        "new": "12,000.00 EUR",
        "old_value": "10000.00",
        "new_value": "12000.00",
    },
    response_only=True,
)

DEAL_EXAMPLE = {
    "id": 812,
    "title": "Acme renewal 2027",
    "company": 40,
    "company_name": "Acme GmbH",
    "contact": 95,
    "lead": None,
    "owner": 7,
    "owner_name": "Alice Example",
    "pipeline": 1,
    "stage": 12,
    "stage_name": "Proposal",
    "probability": 60,
    "status": "open",
    "value": "48000.00",
    "currency": "EUR",
    "expected_close_date": "2027-01-31",
    "forecast_category": "best_case",
    "checklist_done": ["Budget confirmed"],
    "lost_reason": "",
    "position": 131072,
    "version": 4,
    "stage_entered_at": "2026-11-02T09:15:00Z",
    "last_touch_at": "2026-11-20T14:00:00Z",
    "stale_since": None,
    "closed_at": None,
    "external_id": "",
    "created_by": 7,
    "updated_by": 7,
    "created_at": "2026-09-14T08:00:00Z",
    "updated_at": "2026-11-20T14:00:00Z",
}
DEAL_RESPONSE = OpenApiExample("A deal", value=DEAL_EXAMPLE, response_only=True)
CONFLICT_EXAMPLE = OpenApiExample(
    "Moved by someone else first",
    value={
        "detail": "Bob Example changed this deal first; it is now in Negotiation.",
        "current": {
            "id": 812,
            "stage": 13,
            "stage_name": "Negotiation",
            "status": "open",
            "position": 65536,
            "version": 5,
            "updated_by": 8,
            "updated_by_name": "Bob Example",
        },
    },
    status_codes=["409"],
    response_only=True,
)
CRITERIA_EXAMPLE = OpenApiExample(
    "Entry criteria not met",
    value={
        "detail": "Proposal needs: Value, Checklist: Budget confirmed.",
        "stage": 12,
        "missing": ["Value", "Checklist: Budget confirmed"],
        "missing_fields": ["value"],
        "missing_checklist": ["Budget confirmed"],
    },
    status_codes=["400"],
    response_only=True,
)
_TEXTS = {"type": "array", "items": {"type": "string"}}
ENTRY_CRITERIA_SCHEMA = {
    "type": "object",
    "required": ["detail", "stage", "missing", "missing_fields", "missing_checklist"],
    "properties": {
        "detail": {"type": "string"},
        "stage": {"type": "integer", "description": "The stage whose criteria are unmet."},
        "missing": {**_TEXTS, "description": "Each unmet requirement, as the user reads it."},
        "missing_fields": {
            **_TEXTS,
            "description": (
                "Unmet required fields: value, expected_close_date, contact, next_task, "
                "decision_maker."
            ),
        },
        "missing_checklist": {**_TEXTS, "description": "Checklist items not yet done."},
    },
}
MOVE_REFUSED = OpenApiResponse(
    response={"anyOf": [ENTRY_CRITERIA_SCHEMA, FIELD_ERRORS_SCHEMA]},
    description=(
        "The stage's entry criteria are not met (the body lists each one: fill them in and "
        "send them with the move), or a field was refused (`stage` of another pipeline, "
        "`lost_reason` missing, a `contact` of another company)."
    ),
    examples=[CRITERIA_EXAMPLE],
)
CONFLICT = OpenApiResponse(
    response=MoveConflictSerializer,
    description=(
        "`version` is not the deal's current version: someone changed it first. Nothing was "
        "written; `current` says where the deal now is and its version, to retry with."
    ),
    examples=[CONFLICT_EXAMPLE],
)
ACTION_ERRORS = {
    **error_responses(404),
    400: MOVE_REFUSED,
    409: CONFLICT,
}


def _criteria_refusal(unmet: EntryCriteriaNotMet) -> Response:
    """400 naming each unmet requirement, by field name and by checklist item."""
    missing = set(unmet.missing)
    fields = [
        name
        for name in unmet.stage.entry_fields
        if name in EntryField.values and str(EntryField(name).label) in missing
    ]
    checklist = [
        item
        for item in unmet.stage.entry_checklist
        if _("Checklist: %(item)s") % {"item": item} in missing
    ]
    body = {
        "detail": str(unmet),
        "stage": unmet.stage.pk,
        "missing": unmet.missing,
        "missing_fields": fields,
        "missing_checklist": checklist,
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def conflict_response(conflict: MoveConflict) -> Response:
    """A stale edit's 409: who changed the deal first, and the deal as it is now."""
    body = {"detail": str(conflict), "current": CurrentDealSerializer(conflict.current).data}
    return Response(body, status=status.HTTP_409_CONFLICT)


def _deal_fields(data: dict[str, Any], lost_reason: str = "") -> DealFields:
    return DealFields(
        value=data.get("value"),
        expected_close_date=data.get("expected_close_date"),
        contact_id=data.get("contact"),
        checklist_done=data.get("checklist_done"),
        lost_reason=lost_reason,
    )


_LINE_ITEMS_PREFIX = "line_items."
_SERVICE_KEY = re.compile(r"^line_items\.(?:(?P<index>\d+)\.)?(?P<field>\w+)$")


def _line_item_refusal(error: ValidationError) -> serializers.ValidationError:
    """The service's ``line_items.<i>.<field>`` (``line_items.<field>`` for one item) as
    the API names them, ``line_items[<i>].<field>``."""
    detail: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        match = _SERVICE_KEY.match(key)
        if match is not None:
            key = line_item_error_key(int(match.group("index") or 0), match.group("field"))
        detail[key] = messages
    return serializers.ValidationError(detail)


@extend_schema_view(
    list=extend_schema(
        summary="List deals",
        description=(
            "Deals you can see (a rep: their team's; a manager: their teams'; an admin: all), "
            "newest first, a cursor page at a time: follow `next` until it is null. Filter "
            "with `owner`, `pipeline`, `stage`, `status`, `updated_since` (for syncing), "
            "close and creation date ranges; sort with `ordering` (e.g. `-value`)."
        ),
        examples=[DEAL_RESPONSE],
        responses={200: OpportunitySerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a deal",
        examples=[DEAL_RESPONSE],
        responses={200: OpportunitySerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Create a deal",
        description=(
            "A new open deal at the top of its stage's column: the pipeline's first open "
            "stage unless `stage` names another, once the deal meets that stage's entry "
            "criteria. A deal needs a `company`, a `contact` or both; with only a contact "
            "it is with the contact's company. `owner` defaults to you; a rep may give "
            "deals only to themselves, a manager to their teams. `line_items` puts products "
            "on the deal in the same transaction; the deal's `value` is then their total. A "
            "bad item is named `line_items[<index>].<field>` and nothing is written."
        ),
        request=OpportunityCreateSerializer,
        examples=[
            OpenApiExample(
                "New deal",
                value={
                    "title": "Acme renewal 2027",
                    "company": 40,
                    "pipeline": 1,
                    "value": "48000.00",
                    "currency": "EUR",
                    "expected_close_date": "2027-01-31",
                },
                request_only=True,
            ),
            DEAL_RESPONSE,
        ],
        responses={
            201: OpportunitySerializer,
            **error_responses(),
            400: OpenApiResponse(
                response={"anyOf": [ENTRY_CRITERIA_SCHEMA, FIELD_ERRORS_SCHEMA]},
                description=(
                    "A field was refused (each is named), or the deal does not meet the "
                    "stage's entry criteria (the body lists each one)."
                ),
                examples=[CRITERIA_EXAMPLE],
            ),
        },
    ),
    partial_update=extend_schema(
        summary="Edit a deal",
        description=(
            "Change a deal's details. Its stage, status and position change only through "
            "`move`, `won` and `lost`; `version` and the other read-only fields are ignored. "
            "Each edit increments `version`. Teammates may read but not edit (403)."
        ),
        examples=[
            OpenApiExample("New value", value={"value": "52000.00"}, request_only=True),
            DEAL_RESPONSE,
        ],
        responses={200: OpportunitySerializer, **error_responses(400, 404)},
    ),
)
class OpportunityViewSet(
    VisibleRecordsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    model = Opportunity
    serializer_class = OpportunitySerializer
    pagination_class = CursorPage
    filterset_class = OpportunityFilter
    ordering_fields = [
        "id",
        "title",
        "value",
        "created_at",
        "updated_at",
        "stage_entered_at",
        "position",
    ]
    ordering = ["-id"]
    lookup_value_regex = "[0-9]+"
    # Deals are closed as lost, not deleted; the whole object is never replaced (PUT).
    http_method_names = ["get", "post", "patch", "head", "options"]
    not_editable_message = gettext_lazy("You may see this deal but not change it.")

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("company", "owner", "stage")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return OpportunityCreateSerializer if self.action == "create" else OpportunitySerializer

    def _answer(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        deal = self.get_queryset().get(pk=pk)
        return Response(
            OpportunitySerializer(deal, context=self.get_serializer_context()).data,
            status=status_code,
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = [
            LineItemInput(
                product=item["product"],
                quantity=item["quantity"],
                unit_price=item.get("unit_price"),
                discount=item.get("discount", 0),
            )
            for item in data.get("line_items", ())
        ]
        try:
            with transaction.atomic():
                deal = self._create(request, data, items)
        except EntryCriteriaNotMet as unmet:
            return _criteria_refusal(unmet)
        return self._answer(deal.pk, status.HTTP_201_CREATED)

    def _create(
        self, request: Request, data: dict[str, Any], items: list[LineItemInput]
    ) -> Opportunity:
        """The deal, then its line items: one transaction, the caller's."""
        deal = create_opportunity(
            by=request.user,
            title=data["title"],
            company=data.get("company"),
            contact=data.get("contact"),
            pipeline=data["pipeline"],
            stage=data.get("stage"),
            owner=data.get("owner"),
            value=data.get("value", 0),
            currency=data.get("currency", settings.DEFAULT_CURRENCY),
            expected_close_date=data.get("expected_close_date"),
            forecast_category=data.get("forecast_category", ForecastCategory.PIPELINE),
            external_id=data.get("external_id", ""),
            custom_fields=data.get("custom_fields"),
        )
        if items:
            try:
                add_line_items(
                    by=request.user,
                    opportunity_id=deal.pk,
                    version=None,
                    items=items,
                    prefix=_LINE_ITEMS_PREFIX,
                )
            except ValidationError as error:
                raise _line_item_refusal(error) from None
        return deal

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deal = self.get_editable_object()
        serializer = self.get_serializer(deal, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        # No version: an edit through the API has always been last-writer-wins (the field is
        # read only here); it still bumps the version, so a board move begun before it 409s.
        fields = dict(serializer.validated_data)
        custom_values = fields.pop("custom_fields", None)
        # The details and the custom values are one edit: both are written or neither.
        with transaction.atomic():
            update_opportunity(by=request.user, opportunity_id=deal.pk, version=None, fields=fields)
            if custom_values:
                set_deal_custom_values(
                    by=request.user, opportunity_id=deal.pk, version=None, values=custom_values
                )
        return self._answer(deal.pk)

    def _move(
        self,
        pk: int,
        to_stage_id: int,
        version: int,
        fields: DealFields,
        after_id: int | None = None,
        before_id: int | None = None,
    ) -> Response:
        try:
            move_opportunity(
                opportunity_id=pk,
                by=self.request.user,
                to_stage_id=to_stage_id,
                version=version,
                after_id=after_id,
                before_id=before_id,
                fields=fields,
            )
        except MoveConflict as conflict:
            return conflict_response(conflict)
        except EntryCriteriaNotMet as unmet:
            return _criteria_refusal(unmet)
        return self._answer(pk)

    def _closing_stage(self, kind: str) -> int:
        deal = self.get_object()
        stage_id = (
            Stage.objects.in_use()
            .filter(pipeline_id=deal.pipeline_id, kind=kind)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if stage_id is None:  # every pipeline has both; guarded by the stage services
            raise serializers.ValidationError({"stage": _("This pipeline has no such stage.")})
        return stage_id

    @extend_schema(
        summary="Move a deal",
        description=(
            "Move a deal to another stage of its pipeline and/or to a place in the column, "
            "as a drag on the board does. Send the `version` you last read: if someone "
            "changed the deal since, nothing is written and the answer is 409 with the "
            "deal's current stage, position and version. If the target stage requires "
            "fields or checklist items the deal lacks, the answer is 400 naming each one; "
            "send them along (`value`, `expected_close_date`, `contact`, `checklist_done`). "
            "A move to a won or lost stage closes the deal (a lost stage needs "
            "`lost_reason`)."
        ),
        request=MoveSerializer,
        examples=[
            OpenApiExample(
                "To the next stage",
                value={"stage": 13, "version": 4, "after": None, "before": 790},
                request_only=True,
            ),
            OpenApiExample(
                "Filling in what the stage needs",
                value={
                    "stage": 12,
                    "version": 4,
                    "value": "48000.00",
                    "checklist_done": ["Budget confirmed"],
                },
                request_only=True,
            ),
            DEAL_RESPONSE,
            CRITERIA_EXAMPLE,
            CONFLICT_EXAMPLE,
        ],
        responses={200: OpportunitySerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        params = MoveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return self._move(
            int(pk),
            to_stage_id=data["stage"],
            version=data["version"],
            fields=_deal_fields(data, data.get("lost_reason", "")),
            after_id=data.get("after"),
            before_id=data.get("before"),
        )

    @extend_schema(
        summary="Mark a deal won",
        description=(
            "Move the deal to its pipeline's won stage: it closes now as won. The won stage's "
            "entry criteria apply (400 naming what is missing; send it along), and so does "
            "`version` (409 if the deal changed meanwhile)."
        ),
        request=WonSerializer,
        examples=[
            OpenApiExample("Won", value={"version": 4}, request_only=True),
            DEAL_RESPONSE,
            CRITERIA_EXAMPLE,
            CONFLICT_EXAMPLE,
        ],
        responses={200: OpportunitySerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def won(self, request: Request, pk: str) -> Response:
        params = WonSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        stage_id = self._closing_stage(StageKind.WON)
        return self._move(int(pk), stage_id, data["version"], _deal_fields(data))

    @extend_schema(
        summary="Mark a deal lost",
        description=(
            "Move the deal to its pipeline's lost stage with the reason it was lost "
            "(`lost_reason`, required). Losing is never blocked by entry criteria."
        ),
        request=LostSerializer,
        examples=[
            OpenApiExample(
                "Lost",
                value={"version": 4, "lost_reason": "Chose a competitor"},
                request_only=True,
            ),
            DEAL_RESPONSE,
            OpenApiExample(
                "No reason given",
                value={"lost_reason": ["This field is required."]},
                status_codes=["400"],
                response_only=True,
            ),
            CONFLICT_EXAMPLE,
        ],
        responses={200: OpportunitySerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def lost(self, request: Request, pk: str) -> Response:
        params = LostSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        stage_id = self._closing_stage(StageKind.LOST)
        return self._move(
            int(pk), stage_id, data["version"], DealFields(lost_reason=data["lost_reason"])
        )

    @extend_schema(
        summary="A deal's history",
        description=(
            "Every move between stages and every edit of the deal's fields, newest first: "
            "who, when, the field, and the old and new value (as a person reads it and as "
            "stored). A deactivated user's changes keep their name. Paged by number."
        ),
        examples=[HISTORY_EXAMPLE],
        responses={200: DealHistoryEntrySerializer(many=True), **error_responses(400, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=NumberedPage,
        filter_backends=[],
        serializer_class=DealHistoryEntrySerializer,
    )
    def history(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        page = self.paginate_queryset(timeline_rows(deal))
        entries = timeline_entries(deal, page or [], now=timezone.now())
        serializer = DealHistoryEntrySerializer(entries, many=True)
        return self.get_paginated_response(serializer.data)
