"""``GET /api/metrics/``: the sales metrics of a period for the user's scope, as JSON.

Each figure is one of forecasting's metric functions; the serializers' help texts carry
their definitions into the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from contacts.models import LeadSource
from core.api.errors import error_responses
from core.api.fields import MAX_ID
from forecasting.activity import activity_by_person
from forecasting.cycles import sales_cycle, sales_cycle_by_person
from forecasting.funnel import stage_flow
from forecasting.outcomes import closed, closed_by_person, won_values, won_values_by_person
from forecasting.periods import PERIOD_NAME, current_quarter, parse_period
from forecasting.scope import ReportScope
from forecasting.velocity import pipeline_coverage, sales_velocity
from forecasting.what_it_takes import what_it_takes

MONEY = {"max_digits": 16, "decimal_places": 2}
DAYS = {"max_digits": 8, "decimal_places": 1, "allow_null": True}
RATE = {"max_digits": 5, "decimal_places": 4, "allow_null": True}


class MetricsQuerySerializer(serializers.Serializer):
    period = serializers.RegexField(
        PERIOD_NAME,
        required=False,
        allow_blank=True,
        help_text=_("A quarter such as 2026-Q3 or a month such as 2026-07; default: this quarter."),
    )
    # Ids, not records: a report narrowed to a team, rep, pipeline or product the user
    # cannot see (or that does not exist) is an empty report, as a list filter would be.
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    rep = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    pipeline = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    product = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    lead_source = serializers.ChoiceField(choices=LeadSource.choices, required=False)

    def validate_period(self, value: str) -> Any:
        if not value:
            return None
        try:
            return parse_period(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def scope(self, user: User) -> ReportScope:
        data = self.validated_data
        return ReportScope(
            user,
            data.get("period") or current_quarter(),
            rep_id=data.get("rep"),
            team_id=data.get("team"),
            pipeline_id=data.get("pipeline"),
            product_id=data.get("product"),
            lead_source=data.get("lead_source") or None,
        )


class ClosedSerializer(serializers.Serializer):
    won = serializers.IntegerField(help_text=_("Deals won in the period (by when they were won)."))
    lost = serializers.IntegerField(help_text=_("Deals lost in the period."))
    win_rate = serializers.DecimalField(
        **RATE,
        help_text=_("won ÷ (won + lost), open deals excluded; null when nothing closed."),
    )


class WonValueSerializer(serializers.Serializer):
    currency = serializers.CharField()
    count = serializers.IntegerField()
    total = serializers.DecimalField(**MONEY, help_text=_("Sum of won values in this currency."))
    average = serializers.DecimalField(**MONEY, help_text=_("total ÷ count."))
    median = serializers.DecimalField(**MONEY, help_text=_("Median won value (interpolated)."))


class SalesCycleSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Won deals measured."))
    median_days = serializers.DecimalField(
        **DAYS,
        help_text=_("Median whole days from first engaged (else created) to won."),
    )
    mean_days = serializers.DecimalField(**DAYS, help_text=_("Mean of the whole days."))
    p80_days = serializers.DecimalField(**DAYS, help_text=_("80th percentile of the whole days."))


class VelocitySerializer(serializers.Serializer):
    currency = serializers.CharField()
    open_deals = serializers.IntegerField()
    win_rate = serializers.DecimalField(**RATE)
    average_won = serializers.DecimalField(**MONEY, allow_null=True)
    median_cycle_days = serializers.DecimalField(**DAYS)
    per_day = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text=_(
            "open deals * win rate * average won value / median cycle days (at least 1); "
            "null when a factor is unknown."
        ),
    )


class CoverageSerializer(serializers.Serializer):
    currency = serializers.CharField()
    weighted_open = serializers.DecimalField(
        **MONEY,
        help_text=_("Open deals expected to close in the period, times their stage's probability."),
    )
    quota = serializers.DecimalField(**MONEY, allow_null=True)
    won = serializers.DecimalField(**MONEY)
    remaining = serializers.DecimalField(**MONEY, allow_null=True, help_text=_("quota - won."))
    ratio = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text=_("weighted_open ÷ remaining; null without a quota left to close."),
    )


class StageFlowSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage_id")
    stage_name = serializers.CharField()
    pipeline = serializers.IntegerField(source="pipeline_id")
    entered = serializers.IntegerField(help_text=_("Deals that entered the stage in the period."))
    advanced = serializers.IntegerField(help_text=_("Of those, moved on to a later stage or won."))
    won = serializers.IntegerField(help_text=_("Of those, won later."))
    conversion = serializers.DecimalField(**RATE, help_text=_("advanced ÷ entered."))
    median_days = serializers.DecimalField(**DAYS, help_text=_("Median whole days in the stage."))
    p80_days = serializers.DecimalField(**DAYS, help_text=_("80th percentile of days in stage."))


class WhatItTakesSerializer(serializers.Serializer):
    currency = serializers.CharField()
    remaining = serializers.DecimalField(**MONEY)
    wins_needed = serializers.IntegerField(
        allow_null=True, help_text=_("remaining ÷ average won value (last 12 months), rounded up.")
    )
    qualified_needed = serializers.IntegerField(
        allow_null=True, help_text=_("wins needed ÷ win rate (last 12 months), rounded up.")
    )
    leads_needed = serializers.IntegerField(
        allow_null=True,
        help_text=_("qualified deals needed ÷ lead conversion (last 12 months), rounded up."),
    )
    open_in_period = serializers.IntegerField()
    verdict = serializers.CharField(
        allow_null=True,
        help_text=_("“closing” when the open deals closing in the period suffice, else “leads”."),
    )


class ActivitySerializer(serializers.Serializer):
    touchpoints = serializers.DictField(child=serializers.IntegerField())
    tasks_done = serializers.IntegerField()
    tasks_overdue = serializers.IntegerField()


class PersonMetricsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    closed = ClosedSerializer()
    won = WonValueSerializer(many=True)
    sales_cycle = SalesCycleSerializer()
    activity = ActivitySerializer()


class PeriodNameSerializer(serializers.Serializer):
    name = serializers.CharField(source="token")
    start = serializers.DateField()
    end = serializers.DateField(help_text=_("Inclusive."))


class MetricsSerializer(serializers.Serializer):
    period = PeriodNameSerializer()
    closed = ClosedSerializer()
    won = WonValueSerializer(many=True)
    sales_cycle = SalesCycleSerializer()
    velocity = VelocitySerializer(many=True)
    coverage = CoverageSerializer(many=True)
    funnel = StageFlowSerializer(many=True)
    what_it_takes = WhatItTakesSerializer(many=True)
    people = PersonMetricsSerializer(many=True, help_text=_("Every seller in scope."))


CYCLE = {"count": 4, "median_days": "14.0", "mean_days": "30.0", "p80_days": "47.8"}
METRICS_EXAMPLE = OpenApiExample(
    "A manager's quarter",
    value={
        "period": {"name": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30"},
        "closed": {"won": 4, "lost": 2, "win_rate": "0.6667"},
        "won": [
            {
                "currency": "EUR",
                "count": 4,
                "total": "12700.00",
                "average": "3175.00",
                "median": "2000.00",
            }
        ],
        "sales_cycle": CYCLE,
        "velocity": [
            {
                "currency": "EUR",
                "open_deals": 12,
                "win_rate": "0.6667",
                "average_won": "3175.00",
                "median_cycle_days": "14.0",
                "per_day": "1814.48",
            }
        ],
        "coverage": [
            {
                "currency": "EUR",
                "weighted_open": "18000.00",
                "quota": "30000.00",
                "won": "12700.00",
                "remaining": "17300.00",
                "ratio": "1.04",
            }
        ],
        "funnel": [
            {
                "stage": 3,
                "stage_name": "Offer",
                "pipeline": 1,
                "entered": 9,
                "advanced": 6,
                "won": 4,
                "conversion": "0.6667",
                "median_days": "12.0",
                "p80_days": "21.4",
            }
        ],
        "what_it_takes": [
            {
                "currency": "EUR",
                "remaining": "17300.00",
                "wins_needed": 6,
                "qualified_needed": 9,
                "leads_needed": 23,
                "open_in_period": 12,
                "verdict": "closing",
            }
        ],
        "people": [
            {
                "id": 7,
                "name": "Anna Example",
                "closed": {"won": 4, "lost": 1, "win_rate": "0.8000"},
                "won": [],
                "sales_cycle": CYCLE,
                "activity": {
                    "touchpoints": {"call": 12, "email": 30, "meeting": 4, "note": 2},
                    "tasks_done": 17,
                    "tasks_overdue": 1,
                },
            }
        ],
    },
    response_only=True,
)


class MetricsView(APIView):
    """The period's sales metrics for the signed-in user's scope."""

    @extend_schema(
        summary="Sales metrics",
        description=(
            "Win rate, won value, sales cycle, velocity, coverage, the funnel with time in "
            "stage, what it takes to make quota, and per seller their results and activity, "
            "for your scope (your deals; a manager's teams; all for an admin) in a month or "
            "quarter, narrowed by rep, team, pipeline, product and lead source. Money is per "
            "currency, never converted."
        ),
        parameters=[MetricsQuerySerializer],
        examples=[METRICS_EXAMPLE],
        responses={200: MetricsSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        scope = query.scope(request.user)
        people = {person.pk: person for person in scope.people()}
        by_person = closed_by_person(scope)
        won_by_person = won_values_by_person(scope)
        cycles = sales_cycle_by_person(scope)
        activity = activity_by_person(scope)
        body = {
            "period": scope.period,
            "closed": closed(scope),
            "won": won_values(scope),
            "sales_cycle": sales_cycle(scope),
            "velocity": sales_velocity(scope),
            "coverage": pipeline_coverage(scope),
            "funnel": stage_flow(scope),
            "what_it_takes": what_it_takes(scope),
            "people": [
                {
                    "id": pk,
                    "name": str(person),
                    "closed": by_person[pk],
                    "won": won_by_person[pk],
                    "sales_cycle": cycles[pk],
                    "activity": activity[pk],
                }
                for pk, person in people.items()
            ],
        }
        return Response(MetricsSerializer(body).data)
