"""Quotas (admins set them, everyone reads those they may see) and the forecast summary."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.access import AdminWritesOnly
from core.api.errors import error_responses
from core.api.listing import NumberedPage
from forecasting import metrics
from forecasting.api.filters import QuotaFilter
from forecasting.api.serializers import (
    ForecastQuerySerializer,
    ForecastSummarySerializer,
    QuotaSerializer,
)
from forecasting.models import Quota
from forecasting.periods import quarter_of

QUOTA_EXAMPLE = OpenApiExample(
    "A quarterly quota",
    value={
        "id": 14,
        "user": 7,
        "team": None,
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "amount": "150000.00",
        "currency": "EUR",
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List quotas",
        description=(
            "Quotas you can see: your own and your team's; a manager also their teams' "
            "members'; an admin all."
        ),
        examples=[QUOTA_EXAMPLE],
        responses={200: QuotaSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a quota",
        examples=[QUOTA_EXAMPLE],
        responses={200: QuotaSerializer, **error_responses(404)},
    ),
    create=extend_schema(
        summary="Set a quota (admins)",
        description="For a user or a team (exactly one), one per period start.",
        examples=[QUOTA_EXAMPLE],
        responses={201: QuotaSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Change a quota (admins)",
        examples=[QUOTA_EXAMPLE],
        responses={200: QuotaSerializer, **error_responses(400, 404)},
    ),
    destroy=extend_schema(
        summary="Remove a quota (admins)",
        responses={204: None, **error_responses(404)},
    ),
)
class QuotaViewSet(viewsets.ModelViewSet):
    serializer_class = QuotaSerializer
    permission_classes = [AdminWritesOnly]
    pagination_class = NumberedPage
    filterset_class = QuotaFilter
    ordering_fields = ["id", "period_start", "amount"]
    ordering = ["period_start"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Quota]:
        # Writes are admins' only (AdminWritesOnly); for them editable_by is every quota.
        records = Quota.objects.visible_to(self.request.user)
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            records = Quota.objects.editable_by(self.request.user)
        return records


class ForecastSummaryView(APIView):
    """The dashboard's figures for the signed-in user's scope, as JSON."""

    @extend_schema(
        summary="Forecast summary",
        description=(
            "The dashboard's figures for your scope (your deals; a manager's teams; all for "
            "an admin): open and weighted pipeline per pipeline and currency, stale deals, "
            "closed-won against quota in the quarter containing `date` (default: today in "
            "your time zone), and overdue tasks. Money is per currency, never converted."
        ),
        parameters=[ForecastQuerySerializer],
        examples=[
            OpenApiExample(
                "A rep's quarter",
                value={
                    "scope": "Your deals",
                    "period": {"start": "2026-10-01", "end": "2026-12-31"},
                    "open_pipeline": [
                        {
                            "pipeline": 1,
                            "pipeline_name": "New business",
                            "currency": "EUR",
                            "count": 14,
                            "value": "412000.00",
                            "weighted": "163500.00",
                        }
                    ],
                    "stale_count": 2,
                    "attainment": [
                        {
                            "currency": "EUR",
                            "won_count": 3,
                            "won": "96000.00",
                            "quota": "150000.00",
                            "percent": 64,
                        }
                    ],
                    "overdue_task_count": 1,
                },
                response_only=True,
            )
        ],
        responses={200: ForecastSummarySerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        user = request.user
        period = quarter_of(query.validated_data.get("date") or timezone.localdate())
        pipeline = metrics.open_pipeline(user)
        summary = {
            "scope": metrics.scope_label(user),
            "period": period,
            "open_pipeline": pipeline.totals,
            "stale_count": pipeline.stale_count,
            "attainment": metrics.won_against_quota(user, period),
            "overdue_task_count": metrics.overdue_task_count(user),
        }
        return Response(ForecastSummarySerializer(summary).data)
