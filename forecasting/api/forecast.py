"""The forecast in the API: the period's forecast and plan, adjustments, and the backtest.

``GET /api/forecast/report/``, ``GET|POST /api/forecast/adjustments/`` and
``GET /api/forecast/backtest/``. ``/api/forecast/`` itself is the dashboard's summary,
older than these and kept for the clients that read it. The serializers' help texts carry
each figure's definition into the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Team, User
from core.api.errors import error_responses
from core.api.fields import RecordIdField, TextField
from core.api.serializers import ModelSerializer
from core.currencies import validate_currency
from forecasting.adjustments import adjustment_history
from forecasting.api.metrics import MONEY, RATE, MetricsQuerySerializer
from forecasting.backtest import backtest
from forecasting.forecast import forecast
from forecasting.models import AdjustableCategory, ForecastAdjustment
from forecasting.periods import PERIOD_NAME, parse_period
from forecasting.plan import gap_plan
from forecasting.services import adjust_forecast

PERCENT = {"max_digits": 9, "decimal_places": 1, "allow_null": True}


class CategoriesSerializer(serializers.Serializer):
    commit = serializers.DecimalField(**MONEY)
    best_case = serializers.DecimalField(**MONEY)
    pipeline = serializers.DecimalField(**MONEY)
    omitted = serializers.DecimalField(**MONEY)


class CurrencyForecastSerializer(serializers.Serializer):
    currency = serializers.CharField()
    won = serializers.DecimalField(**MONEY, help_text=_("Value won in the period so far."))
    open_count = serializers.IntegerField(help_text=_("Open deals expected to close in it."))
    open_value = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(
        **MONEY, help_text=_("Open deals closing in the period x configured probability.")
    )
    observed = serializers.DecimalField(
        **MONEY,
        help_text=_(
            "Open deals closing in the period x their stage's observed chance of reaching "
            "Won within a period for their age in the stage (configured where history is thin)."
        ),
    )
    configured_fallbacks = serializers.IntegerField(
        help_text=_("Deals counted at the configured probability for want of history.")
    )
    expected_weighted = serializers.DecimalField(**MONEY, help_text=_("won + weighted."))
    expected_observed = serializers.DecimalField(**MONEY, help_text=_("won + observed."))
    categories = CategoriesSerializer(
        help_text=_("Open deals closing in the period by forecast category, value.")
    )


class ForecastRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key", allow_null=True)
    name = serializers.CharField()
    currencies = CurrencyForecastSerializer(many=True)


class StageChanceSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage_id")
    stage_name = serializers.CharField()
    pipeline = serializers.IntegerField(source="pipeline_id")
    configured = serializers.IntegerField(help_text=_("The stage's win probability (%)."))
    observed = serializers.IntegerField(
        source="observed_percent",
        allow_null=True,
        help_text=_(
            "Deals in the stage at a past period's start that reached Won within it (%), "
            "over the trailing four quarters or twelve months; null under five deals."
        ),
    )
    observations = serializers.IntegerField(source="overall.observed")


class PlanDealSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    owner = serializers.CharField()
    stage = serializers.CharField()
    forecast_category = serializers.CharField()
    value = serializers.DecimalField(**MONEY)
    expected_close_date = serializers.DateField(allow_null=True)
    probability = serializers.DecimalField(**RATE)
    expected_value = serializers.DecimalField(**MONEY, help_text=_("value x probability."))
    next_period = serializers.BooleanField()


class PlanSerializer(serializers.Serializer):
    currency = serializers.CharField()
    quota = serializers.DecimalField(**MONEY)
    won = serializers.DecimalField(**MONEY)
    gap = serializers.DecimalField(**MONEY, help_text=_("quota - won, at least 0."))
    plan_a_total = serializers.DecimalField(
        **MONEY, help_text=_("Commit and best-case deals closing in the period.")
    )
    plan_a_covers = serializers.BooleanField()
    plan_a = PlanDealSerializer(many=True)
    plan_b_target = serializers.DecimalField(**MONEY, help_text=_("gap - commit, at least 0."))
    plan_b_covers = serializers.BooleanField()
    plan_b = PlanDealSerializer(
        many=True,
        help_text=_(
            "Best-case and pipeline deals closing in the period and next period's deals in "
            "the two most advanced stages, by expected value, until their values reach the "
            "target."
        ),
    )


class ForecastReportSerializer(serializers.Serializer):
    total = ForecastRowSerializer()
    teams = ForecastRowSerializer(many=True)
    people = ForecastRowSerializer(many=True, help_text=_("Every seller in scope."))
    stages = StageChanceSerializer(many=True)
    plans = PlanSerializer(many=True)


class MethodAccuracySerializer(serializers.Serializer):
    method = serializers.CharField(help_text=_("configured, observed or commit."))
    periods = serializers.IntegerField(help_text=_("Replayed periods with something won."))
    mape = serializers.DecimalField(
        **PERCENT, help_text=_("Mean of |forecast - won| ÷ won x 100 over the periods.")
    )
    bias = serializers.DecimalField(
        **PERCENT, help_text=_("(sum of forecasts - sum won) ÷ sum won x 100.")
    )


class BacktestPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    actual = serializers.DecimalField(**MONEY)
    forecasts = serializers.DictField(child=serializers.DecimalField(**MONEY))


class BacktestRowSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team_id", allow_null=True)
    team_name = serializers.CharField()
    currency = serializers.CharField()
    methods = MethodAccuracySerializer(many=True)
    best_method = serializers.CharField(allow_null=True)
    points = BacktestPointSerializer(many=True)


class ForecastAdjustmentSerializer(ModelSerializer):
    from_amount = serializers.DecimalField(source="previous_amount", read_only=True, **MONEY)
    to_amount = serializers.DecimalField(source="amount", read_only=True, **MONEY)

    class Meta:
        model = ForecastAdjustment
        fields = [
            "id",
            "adjusted_by",
            "adjusted_at",
            "rep",
            "team",
            "period",
            "category",
            "currency",
            "from_amount",
            "to_amount",
            "note",
        ]
        read_only_fields = fields


class AdjustmentRequestSerializer(serializers.Serializer):
    rep = RecordIdField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    team = RecordIdField(queryset=Team.objects.all(), required=False, allow_null=True)
    period = serializers.RegexField(PERIOD_NAME, help_text=_("Such as 2026-Q3 or 2026-07."))
    category = serializers.ChoiceField(choices=AdjustableCategory.choices)
    currency = TextField(validators=[validate_currency])
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    note = TextField(required=False, allow_blank=True, max_length=1000)

    def validate_period(self, value: str) -> Any:
        try:
            return parse_period(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("rep") is None) == (attrs.get("team") is None):
            raise serializers.ValidationError(
                {"rep": _("Adjust the call of a rep or of a team: give exactly one.")}
            )
        return attrs


REPORT_EXAMPLE = OpenApiExample(
    "A manager's quarter",
    value={
        "total": {
            "id": None,
            "name": "",
            "currencies": [
                {
                    "currency": "EUR",
                    "won": "4000.00",
                    "open_count": 3,
                    "open_value": "16000.00",
                    "weighted": "7600.00",
                    "observed": "3200.00",
                    "configured_fallbacks": 1,
                    "expected_weighted": "11600.00",
                    "expected_observed": "7200.00",
                    "categories": {
                        "commit": "10000.00",
                        "best_case": "5000.00",
                        "pipeline": "0.00",
                        "omitted": "1000.00",
                    },
                }
            ],
        },
        "teams": [],
        "people": [],
        "stages": [
            {
                "stage": 2,
                "stage_name": "Offer",
                "pipeline": 1,
                "configured": 60,
                "observed": 20,
                "observations": 25,
            }
        ],
        "plans": [],
    },
    response_only=True,
)


class ForecastReportView(APIView):
    """The period's forecast, per seller, team and in total, with the plan to make quota."""

    @extend_schema(
        summary="Forecast",
        description=(
            "For your scope in a month or quarter: won so far, the weighted pipeline "
            "(configured probabilities), the history-based forecast (observed chances), "
            "totals per forecast category, per seller (every one in scope), per team and in "
            "total, per currency; each stage's configured and observed probability; and per "
            "currency of the quotas the gap with plans A and B."
        ),
        parameters=[MetricsQuerySerializer],
        examples=[REPORT_EXAMPLE],
        responses={200: ForecastReportSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = query.scope(request.user)
        report = forecast(scope)
        body = {
            "total": report.total,
            "teams": report.teams,
            "people": report.people,
            "stages": report.stages,
            "plans": gap_plan(scope, stages=report.stages),
        }
        return Response(ForecastReportSerializer(body).data)


ADJUSTMENT_EXAMPLE = OpenApiExample(
    "A manager lowers a rep's commit",
    value={
        "id": 3,
        "adjusted_by": 2,
        "adjusted_at": "2026-07-20T09:30:00Z",
        "rep": 7,
        "team": None,
        "period": "2026-Q3",
        "category": "commit",
        "currency": "EUR",
        "from_amount": "12500.00",
        "to_amount": "9000.00",
        "note": "Two deals slipping",
    },
    response_only=True,
)


class ForecastAdjustmentsView(APIView):
    """Adjustments of calls in your scope; managers and admins add them."""

    @extend_schema(
        summary="List forecast adjustments",
        description="The newest 50 adjustments of calls in your scope for the period.",
        parameters=[MetricsQuerySerializer],
        examples=[ADJUSTMENT_EXAMPLE],
        responses={200: ForecastAdjustmentSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        history = adjustment_history(query.scope(request.user))
        return Response(ForecastAdjustmentSerializer(history, many=True).data)

    @extend_schema(
        summary="Adjust a call (managers and admins)",
        description=(
            "Move the call of a rep or a team (exactly one) for a category, period and "
            "currency. Managers adjust the teams they manage and their reps; admins any. "
            "from_amount is the previous adjustment's amount, else the submitted figure."
        ),
        request=AdjustmentRequestSerializer,
        examples=[ADJUSTMENT_EXAMPLE],
        responses={201: ForecastAdjustmentSerializer, **error_responses(400)},
    )
    def post(self, request: Request) -> Response:
        data = AdjustmentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            adjustment = adjust_forecast(
                by=request.user,
                period=values["period"],
                category=values["category"],
                currency=values["currency"],
                amount=values["amount"],
                note=values.get("note", ""),
                rep=values.get("rep"),
                team=values.get("team"),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return Response(
            ForecastAdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED
        )


BACKTEST_EXAMPLE = OpenApiExample(
    "Configured probabilities too high",
    value=[
        {
            "team": 1,
            "team_name": "North",
            "currency": "EUR",
            "methods": [
                {"method": "configured", "periods": 1, "mape": "350.0", "bias": "350.0"},
                {"method": "observed", "periods": 1, "mape": "0.0", "bias": "0.0"},
                {"method": "commit", "periods": 1, "mape": "0.0", "bias": "0.0"},
            ],
            "best_method": "observed",
            "points": [
                {
                    "period": "2026-Q2",
                    "actual": "1000.00",
                    "forecasts": {
                        "configured": "4500.00",
                        "observed": "1000.00",
                        "commit": "1000.00",
                    },
                }
            ],
        }
    ],
    response_only=True,
)


class ForecastBacktestView(APIView):
    """How accurate each forecast method was in the periods before the chosen one."""

    @extend_schema(
        summary="Forecast accuracy",
        description=(
            "Replays the pipeline snapshots of each past period's first day (the four quarters "
            "or twelve months before the period): what configured probabilities, observed "
            "chances and the commit category forecast against what was won; MAPE and bias "
            "per method, per team and in total (team null), per currency."
        ),
        parameters=[MetricsQuerySerializer],
        examples=[BACKTEST_EXAMPLE],
        responses={200: BacktestRowSerializer(many=True), **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = backtest(query.scope(request.user))
        return Response(BacktestRowSerializer(rows, many=True).data)
