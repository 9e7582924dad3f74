"""Quotas (admins and managers set them, everyone reads those they may see) and the
forecast summary."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_responses
from core.api.listing import NumberedPage
from forecasting import metrics, quotas
from forecasting.api.filters import QuotaFilter
from forecasting.api.serializers import (
    ForecastQuerySerializer,
    ForecastSummarySerializer,
    QuotaSerializer,
)
from forecasting.models import Quota
from forecasting.periods import Period, quarter_of

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


class QuotaWriters(permissions.BasePermission):
    """Everyone signed in reads; admins and managers write (which quotas: ``quotas``)."""

    message = _("Only administrators and managers may set quotas.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.is_admin or user.is_manager


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
        summary="Set a quota (admins and managers)",
        description=(
            "For a user or a team (exactly one), for a calendar month or quarter, one per "
            "period start. Within a calendar year an owner's quotas are all monthly or all "
            "quarterly and in one currency (default: the year's, else the CRM's). Admins "
            "set any quota; a manager those of the teams they manage and of their members, "
            "but not their own."
        ),
        examples=[QUOTA_EXAMPLE],
        responses={201: QuotaSerializer, **error_responses(400)},
    ),
    partial_update=extend_schema(
        summary="Change a quota (admins and managers)",
        examples=[QUOTA_EXAMPLE],
        responses={200: QuotaSerializer, **error_responses(400, 404)},
    ),
    destroy=extend_schema(
        summary="Remove a quota (admins and managers)",
        responses={204: None, **error_responses(404)},
    ),
)
class QuotaViewSet(viewsets.ModelViewSet):
    serializer_class = QuotaSerializer
    permission_classes = [QuotaWriters]
    pagination_class = NumberedPage
    filterset_class = QuotaFilter
    ordering_fields = ["id", "period_start", "amount"]
    ordering = ["period_start"]
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Quota]:
        return Quota.objects.visible_to(self.request.user)

    def get_object(self) -> Quota:
        # A quota one sees but may not change (a teammate's, one's own) answers 403.
        quota = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS:
            editable = Quota.objects.editable_by(self.request.user)
            if not editable.filter(pk=quota.pk).exists():
                raise PermissionDenied(_("You may see this quota but not change it."))
        return quota

    def perform_create(self, serializer: QuotaSerializer) -> None:
        serializer.instance = self._set(serializer.validated_data)

    def perform_update(self, serializer: QuotaSerializer) -> None:
        instance = serializer.instance
        data = {
            name: serializer.validated_data.get(name, getattr(instance, name))
            for name in ("user", "team", "period_start", "period_end", "amount", "currency")
        }
        with transaction.atomic():
            moved = (data["user"], data["team"], data["period_start"]) != (
                instance.user,
                instance.team,
                instance.period_start,
            )
            if moved:
                # Another owner or start is another quota: the old one gives way to it.
                instance.delete()
            serializer.instance = self._set(data)

    def perform_destroy(self, instance: Quota) -> None:
        quotas.set_quota(
            actor=self.request.user,
            owner=instance.user or instance.team,
            period=Period(instance.period_start, instance.period_end),
            amount=None,
        )

    def _set(self, data: dict) -> Quota:
        quota = quotas.set_quota(
            actor=self.request.user,
            owner=data.get("user") or data["team"],
            period=Period(data["period_start"], data["period_end"]),
            amount=data["amount"],
            currency=data.get("currency"),
        )
        assert quota is not None  # an amount was given
        return quota


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
