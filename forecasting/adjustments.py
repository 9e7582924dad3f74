"""Reads of forecast adjustments: the calls as adjusted, and who moved them when.

The call of a rep or team for a category, period and currency is its latest adjustment's
``amount``; without an adjustment it is the submitted figure (the category total of
``forecasting.forecast``). Only adjustments the user may see (``visible_to``) of the
people and teams in the report's scope count.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from forecasting.models import ForecastAdjustment
from forecasting.scope import ReportScope

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class CallKey:
    """Whose call: ``("rep", user id)`` or ``("team", team id)``, category and currency."""

    kind: str
    key: int
    category: str
    currency: str


def adjustments_in_scope(scope: ReportScope) -> QuerySet[ForecastAdjustment]:
    people = scope.people()
    return ForecastAdjustment.objects.visible_to(scope.user).filter(
        Q(rep__in=people.values("pk")) | Q(team__in=people.values("team_id")),
        period=scope.period.token,
    )


def adjusted_calls(scope: ReportScope) -> dict[CallKey, Decimal]:
    """The latest adjusted amount of every adjusted call in scope (one query)."""
    latest = (
        adjustments_in_scope(scope)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("rep_id"), F("team_id"), F("category"), F("currency")],
                order_by=[F("adjusted_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values_list("rep_id", "team_id", "category", "currency", "amount")
    )
    return {
        CallKey(
            "rep" if rep_id is not None else "team",
            rep_id if rep_id is not None else team_id,
            category,
            currency,
        ): amount
        for rep_id, team_id, category, currency, amount in latest
    }


def adjustment_history(scope: ReportScope) -> list[ForecastAdjustment]:
    """The newest ``HISTORY_LIMIT`` adjustments in scope, newest first (one query)."""
    return list(
        adjustments_in_scope(scope)
        .select_related("adjusted_by", "rep", "team")
        .order_by("-adjusted_at", "-pk")[:HISTORY_LIMIT]
    )
