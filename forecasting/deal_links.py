"""Links from a forecast figure to the deals list showing exactly the deals behind it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from forecasting.scope import ReportScope
from pipeline.models import OpportunityStatus


def deals_behind(
    scope: ReportScope,
    *,
    won: bool = False,
    owner: int | None = None,
    team: int | None = None,
    category: str | None = None,
    currency: str | None = None,
) -> str:
    """The deals list filtered to the figure's deals: won in the period (by the day they
    closed), or open and expected to close in it, of ``owner`` or ``team`` (else the
    scope's rep and team), in ``category`` and ``currency`` if given (a figure in one
    currency counts only that currency's deals), in the scope's pipeline."""
    period = scope.period
    query: dict[str, Any] = {}
    if won:
        query.update(status=OpportunityStatus.WON, closed_from=period.start, closed_to=period.end)
    else:
        query.update(status=OpportunityStatus.OPEN, close_from=period.start, close_to=period.end)
    owner = owner if owner is not None else scope.rep_id
    if owner is None and team is None and not (scope.user.is_manager or scope.user.is_admin):
        # A rep's report is their own deals; the list would show their team's too.
        owner = scope.user.pk
    team = team if team is not None else scope.team_id
    for name, value in (
        ("owner", owner),
        ("team", team),
        ("forecast_category", category),
        ("currency", currency),
        ("pipeline", scope.pipeline_id),
    ):
        if value is not None:
            query[name] = value
    return f"{reverse('pipeline:deal_list')}?{urlencode(query)}"
