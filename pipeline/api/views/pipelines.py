"""Pipelines and their stages: everyone reads them (deals name them), admins set stages up."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.access import AdminWritesOnly
from core.api.errors import error_responses
from core.api.listing import NumberedPage
from pipeline.api.filters import PipelineFilter, StageFilter
from pipeline.api.serializers import (
    PipelineSerializer,
    StageRemovalSerializer,
    StageSerializer,
    StageUpdateSerializer,
    StageWriteSerializer,
)
from pipeline.models import Pipeline, Stage, StageKind
from pipeline.services import add_stage, delete_stage, update_stage

STAGE_EXAMPLE = {
    "id": 12,
    "pipeline": 1,
    "name": "Proposal",
    "position": 3,
    "kind": "open",
    "probability": 60,
    "rotting_days": 21,
    "entry_fields": ["value", "expected_close_date"],
    "entry_checklist": ["Budget confirmed"],
}
PIPELINE_EXAMPLE = OpenApiExample(
    "A pipeline",
    value={
        "id": 1,
        "name": "New business",
        "position": 1,
        "is_active": True,
        "stages": [STAGE_EXAMPLE],
    },
    response_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List pipelines",
        description="Every pipeline with its stages in use, in board order (open, won, lost).",
        examples=[PIPELINE_EXAMPLE],
        responses={200: PipelineSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a pipeline",
        examples=[PIPELINE_EXAMPLE],
        responses={200: PipelineSerializer, **error_responses(404)},
    ),
)
class PipelineViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PipelineSerializer
    pagination_class = NumberedPage
    filterset_class = PipelineFilter
    ordering_fields = ["id", "position", "name"]
    ordering = ["position", "name"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Pipeline]:
        # Pipelines are configuration, not customer data: everyone signed in reads them.
        return Pipeline.objects.prefetch_related(
            Prefetch("stages", queryset=Stage.objects.in_use())
        )


STAGE_RESPONSE = OpenApiExample("A stage", value=STAGE_EXAMPLE, response_only=True)


@extend_schema_view(
    list=extend_schema(
        summary="List stages",
        description=(
            "Stages in use, with what a deal must have to enter them (`entry_fields`, "
            "`entry_checklist`). Archived stages are left out; filter by `pipeline`."
        ),
        examples=[STAGE_RESPONSE],
        responses={200: StageSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a stage",
        examples=[STAGE_RESPONSE],
        responses={200: StageSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Add a stage (admins)",
        description=(
            "An open stage goes after the pipeline's last open stage, a won or lost one at "
            "the end. A won stage is 100 %, a lost one 0 %; closing stages never go stale "
            "and a lost stage takes every deal (no entry criteria)."
        ),
        request=StageWriteSerializer,
        examples=[
            OpenApiExample(
                "Proposal stage",
                value={
                    "pipeline": 1,
                    "name": "Proposal",
                    "kind": "open",
                    "probability": 60,
                    "rotting_days": 21,
                    "entry_fields": ["value"],
                    "entry_checklist": ["Budget confirmed"],
                },
                request_only=True,
            ),
            STAGE_RESPONSE,
        ],
        responses={201: StageSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Change a stage (admins)",
        description="Its name, probability, staleness and entry criteria; not its kind.",
        request=StageUpdateSerializer,
        examples=[
            OpenApiExample("Stale sooner", value={"rotting_days": 14}, request_only=True),
            STAGE_RESPONSE,
        ],
        responses={200: StageSerializer, **error_responses(400, 404)},
    ),
    destroy=extend_schema(
        summary="Remove a stage (admins)",
        description=(
            "Its deals move first to `move_deals_to`, another stage of the same pipeline "
            "and kind (required when the stage holds deals). A stage with history is "
            "archived rather than deleted. The last won or lost stage cannot be removed."
        ),
        parameters=[StageRemovalSerializer],
        responses={204: None, **error_responses(400, 404)},
    ),
)
class StageViewSet(viewsets.ModelViewSet):
    """Everyone reads stages; admins configure them through ``pipeline.services.stages``."""

    serializer_class = StageSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = NumberedPage
    filterset_class = StageFilter
    ordering_fields = ["id", "position"]
    ordering = ["pipeline", "position"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Stage]:
        return Stage.objects.in_use()

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return {"create": StageWriteSerializer, "partial_update": StageUpdateSerializer}.get(
            self.action, StageSerializer
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        stage = add_stage(
            pipeline=data["pipeline"],
            name=data["name"],
            kind=data.get("kind", StageKind.OPEN),
            probability=data["probability"],
            rotting_days=data.get("rotting_days"),
            entry_fields=data.get("entry_fields", []),
            entry_checklist=data.get("entry_checklist", []),
        )
        return Response(StageSerializer(stage).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        stage = self.get_object()
        serializer = self.get_serializer(stage, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The service takes every setting: what the client left out stays as it is.
        stage = update_stage(
            stage=stage,
            name=data.get("name", stage.name),
            probability=data.get("probability", stage.probability),
            rotting_days=data.get("rotting_days", stage.rotting_days),
            entry_fields=data.get("entry_fields", stage.entry_fields),
            entry_checklist=data.get("entry_checklist", stage.entry_checklist),
        )
        return Response(StageSerializer(stage).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        stage = self.get_object()
        params = StageRemovalSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        target_id = params.validated_data.get("move_deals_to")
        target = Stage.objects.in_use().filter(pk=target_id).first() if target_id else None
        delete_stage(stage=stage, move_deals_to=target, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
