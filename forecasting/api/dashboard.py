"""``GET /api/dashboard/``: the dashboard's figures that ``/api/metrics/`` does not carry.

Attainment against quota (in total and per seller), the open pipeline by stage, the
twelve-week build against the weekly need, the movement since a night, and the coaching
table with each seller's activity by week, for the same scope and filters as
``/api/metrics/`` (which carries win rate, won value, cycle, velocity, coverage, the
funnel and what it takes). The serializers' help texts carry the definitions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_responses
from forecasting.activity import activity_by_person, weeks_of
from forecasting.api.metrics import MONEY, RATE, MetricsQuerySerializer, PeriodNameSerializer
from forecasting.dashboard import manager_dashboard
from forecasting.forms import DEFAULT_MOVEMENT_DAYS


class DashboardQuerySerializer(MetricsQuerySerializer):
    since = serializers.DateField(
        required=False,
        help_text=_(
            "The night the movement report starts from; default: seven days ago. It ends "
            "tonight (an earlier and a later night are put in order)."
        ),
    )


class QuotaAttainmentSerializer(serializers.Serializer):
    currency = serializers.CharField()
    won_count = serializers.IntegerField(help_text=_("Deals won in the period."))
    won = serializers.DecimalField(**MONEY, help_text=_("Sum of their values."))
    quota = serializers.DecimalField(
        **MONEY,
        allow_null=True,
        help_text=_("Quotas set within the period, added up; null when none is set."),
    )
    percent = serializers.IntegerField(
        allow_null=True, help_text=_("won x 100 ÷ quota, rounded down; null without a quota.")
    )


class StageTotalSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage_id")
    stage_name = serializers.CharField()
    pipeline = serializers.IntegerField(source="pipeline_id")
    pipeline_name = serializers.CharField()
    currency = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Open deals in the stage now."))
    value = serializers.DecimalField(**MONEY)
    weighted = serializers.DecimalField(
        **MONEY, help_text=_("value times the stage's win probability.")
    )


class BuildSerializer(serializers.Serializer):
    weeks = serializers.ListField(
        child=serializers.DateField(),
        help_text=_("Mondays of the twelve weeks ending this week (or the period's last)."),
    )
    created = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Deals created in each of those weeks.")
    )
    needed_per_week = serializers.DecimalField(
        max_digits=12,
        decimal_places=1,
        allow_null=True,
        help_text=_(
            "Sum over the quota's currencies of quota ÷ (win rate x average won value), both "
            "of the 12 months before the period, ÷ the period's weeks; 0 without a quota, "
            "null when the history cannot price it."
        ),
    )


class MovementSerializer(serializers.Serializer):
    currency = serializers.CharField()
    new = serializers.IntegerField(help_text=_("Open on the last night, not on the first."))
    new_value = serializers.DecimalField(**MONEY)
    won = serializers.IntegerField(help_text=_("Open on the first night, won since."))
    won_value = serializers.DecimalField(**MONEY)
    lost = serializers.IntegerField(help_text=_("Open on the first night, lost since."))
    lost_value = serializers.DecimalField(**MONEY)
    advanced = serializers.IntegerField(help_text=_("Open on both nights, in a later stage."))
    moved_back = serializers.IntegerField(help_text=_("Open on both, in an earlier stage."))
    slipped = serializers.IntegerField(
        help_text=_("Expected to close in the period on the first night, not on the last.")
    )
    slipped_value = serializers.DecimalField(**MONEY)
    value_changed = serializers.IntegerField()
    value_change = serializers.DecimalField(**MONEY, help_text=_("Net sum of the changes."))


class MovementReportSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    currencies = MovementSerializer(many=True, source="movement")


class WeekCountSerializer(serializers.Serializer):
    week = serializers.DateField(help_text=_("The Monday the week starts on."))
    touchpoints = serializers.IntegerField()


class CoachingSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person_id")
    name = serializers.CharField()
    open_deals = serializers.IntegerField(help_text=_("Open deals now."))
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    win_rate = serializers.DecimalField(**RATE, help_text=_("won ÷ (won + lost)."))
    cycle_days = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        allow_null=True,
        help_text=_("Median whole days from first engaged (else created) to won."),
    )
    average_won = serializers.DictField(
        child=serializers.DecimalField(**MONEY), help_text=_("Average won value per currency.")
    )
    activity = serializers.IntegerField(help_text=_("Touchpoints logged in the period."))
    stale_deals = serializers.IntegerField(help_text=_("Open deals flagged stale, now."))
    overdue_tasks = serializers.IntegerField(help_text=_("Open tasks flagged overdue, now."))
    behind = serializers.ListField(
        child=serializers.CharField(),
        help_text=_(
            "Figures worse than the median of the sellers listed (open_deals, win_rate, "
            "cycle_days, activity, stale_deals, overdue_tasks, average_won:<currency>)."
        ),
    )
    attainment = QuotaAttainmentSerializer(
        many=True, help_text=_("Against the seller's own quotas.")
    )
    activity_by_week = WeekCountSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    period = PeriodNameSerializer()
    attainment = QuotaAttainmentSerializer(many=True)
    stages = StageTotalSerializer(many=True)
    build = BuildSerializer()
    movement = MovementReportSerializer()
    people = CoachingSerializer(many=True, help_text=_("Every seller in scope."))


DASHBOARD_EXAMPLE = OpenApiExample(
    "A manager's quarter",
    value={
        "period": {"name": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30"},
        "attainment": [
            {
                "currency": "EUR",
                "won_count": 4,
                "won": "12700.00",
                "quota": "30000.00",
                "percent": 42,
            }
        ],
        "stages": [
            {
                "stage": 3,
                "stage_name": "Offer",
                "pipeline": 1,
                "pipeline_name": "New business",
                "currency": "EUR",
                "count": 6,
                "value": "18000.00",
                "weighted": "10800.00",
            }
        ],
        "build": {
            "weeks": ["2026-07-06", "2026-07-13"],
            "created": [3, 5],
            "needed_per_week": "4.2",
        },
        "movement": {
            "since": "2026-09-01",
            "until": "2026-09-08",
            "currencies": [
                {
                    "currency": "EUR",
                    "new": 2,
                    "new_value": "4000.00",
                    "won": 1,
                    "won_value": "3000.00",
                    "lost": 0,
                    "lost_value": "0.00",
                    "advanced": 3,
                    "moved_back": 1,
                    "slipped": 1,
                    "slipped_value": "2500.00",
                    "value_changed": 1,
                    "value_change": "-500.00",
                }
            ],
        },
        "people": [
            {
                "id": 7,
                "name": "Anna Example",
                "open_deals": 6,
                "won": 4,
                "lost": 1,
                "win_rate": "0.8000",
                "cycle_days": "14.0",
                "average_won": {"EUR": "3175.00"},
                "activity": 48,
                "stale_deals": 1,
                "overdue_tasks": 0,
                "behind": ["stale_deals"],
                "attainment": [
                    {
                        "currency": "EUR",
                        "won_count": 4,
                        "won": "12700.00",
                        "quota": "15000.00",
                        "percent": 84,
                    }
                ],
                "activity_by_week": [{"week": "2026-07-06", "touchpoints": 9}],
            }
        ],
    },
    response_only=True,
)


class DashboardView(APIView):
    """The dashboard's own figures for the signed-in user's scope."""

    @extend_schema(
        summary="Dashboard figures",
        description=(
            "Attainment against quota in total and per seller, the open pipeline by stage, "
            "the pipeline's build over the last twelve weeks against the weekly need, its "
            "movement since a night, and the coaching table (each seller's figures, the "
            "ones behind the team's median, activity by week), for your scope in a month "
            "or quarter, narrowed as in GET /api/metrics/ (which has the other figures)."
        ),
        parameters=[DashboardQuerySerializer],
        examples=[DASHBOARD_EXAMPLE],
        responses={200: DashboardSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        query = DashboardQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        scope = query.scope(request.user)
        since = query.validated_data.get("since") or (
            timezone.localdate() - dt.timedelta(days=DEFAULT_MOVEMENT_DAYS)
        )
        figures = manager_dashboard(scope, since, with_forecast=False)
        weeks = weeks_of(scope)
        activity = activity_by_person(scope)
        people: list[dict[str, Any]] = [
            {
                **vars(row),
                "behind": sorted(row.behind),
                "attainment": figures.attainment_by_person.get(row.person_id, []),
                "activity_by_week": [
                    {"week": week, "touchpoints": activity[row.person_id].by_week.get(week, 0)}
                    for week in weeks
                ],
            }
            for row in figures.coaching
        ]
        body = {
            "period": scope.period,
            "attainment": figures.attainment,
            "stages": figures.stages,
            "build": figures.build,
            "movement": figures,
            "people": people,
        }
        return Response(DashboardSerializer(body).data)
