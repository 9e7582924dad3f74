"""Forecast accuracy: what each method said at past periods' starts against what closed.

Replayed periods: the periods of the trailing window before the report's period
(``observed.trailing_window``: four quarters or twelve months) whose first day has a
pipeline snapshot (the nightly run's, or one ``forecasting.history`` rebuilt from imported
history) of a deal in scope expected to close in the period; other periods are left out,
as no forecast was on record then.

For each replayed period P, from the snapshot of P's first day, of the deals in scope
expected to close in P:

- ``configured``: value x the stage probability the snapshot recorded;
- ``observed``: value x the observed chance of the snapshot's stage over all ages, from the
  history before P only (``observed.observed_chances_at`` P, so no hindsight), else the
  recorded probability;
- ``commit``: the value of the deals in the commit category.

Actual: the value won in P (``outcomes.won_in_period``), whatever the deal's expected close
date then, "what then closed". Per team of the deal's owner and for the whole scope, per
currency and method:

- absolute percentage error of a period = |forecast - actual| ÷ actual x 100;
- MAPE = the mean of those over the replayed periods with something won (None without);
- bias = (sum of forecasts - sum of actuals) ÷ sum of actuals x 100 over the same periods:
  positive means the method promised more than closed.

A fixed number of queries: the observed chances of the replayed periods, the snapshots, the
wins and the teams.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Team
from forecasting.models import DealDay, PipelineSnapshot
from forecasting.observed import observed_chances_at, trailing_window
from forecasting.outcomes import won_in_period
from forecasting.periods import Period
from forecasting.rollup_reads import rollup_rows, rollup_zone
from forecasting.scope import ReportScope
from forecasting.snapshot_readings import opening_rows, opening_sums, readable
from pipeline.models import ForecastCategory

METHODS = ("configured", "observed", "commit")
TENTH = Decimal("0.1")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ALL_TEAMS = 0  # the key of the scope's own row


@dataclass(frozen=True)
class BacktestPoint:
    period: str
    actual: Decimal
    forecasts: dict[str, Decimal]


@dataclass(frozen=True)
class MethodAccuracy:
    method: str
    periods: int
    mape: Decimal | None
    bias: Decimal | None


@dataclass
class BacktestRow:
    team_id: int | None  # None: the whole scope
    team_name: str
    currency: str
    points: list[BacktestPoint] = field(default_factory=list)

    @property
    def methods(self) -> list[MethodAccuracy]:
        return [accuracy(method, self.points) for method in METHODS]

    @property
    def best_method(self) -> str | None:
        """The method with the lowest MAPE, None when no period had a win."""
        scored = [m for m in self.methods if m.mape is not None]
        return min(scored, key=lambda m: m.mape or ZERO).method if scored else None


def accuracy(method: str, points: list[BacktestPoint]) -> MethodAccuracy:
    """MAPE and bias of ``method`` over the points with something won."""
    counted = [point for point in points if point.actual > 0]
    if not counted:
        return MethodAccuracy(method, 0, None, None)
    errors = [abs(p.forecasts[method] - p.actual) / p.actual * 100 for p in counted]
    actual = sum((p.actual for p in counted), ZERO)
    forecast = sum((p.forecasts[method] for p in counted), ZERO)
    return MethodAccuracy(
        method=method,
        periods=len(counted),
        mape=(sum(errors, Decimal(0)) / len(errors)).quantize(TENTH),
        bias=((forecast - actual) / actual * 100).quantize(TENTH),
    )


def backtest(scope: ReportScope) -> list[BacktestRow]:
    """Accuracy per team (and for the whole scope) and currency of each forecast method."""
    periods = trailing_window(scope.period)
    rows = _openings(scope, periods)
    replayed = [p for p in periods if any(row["taken_on"] == p.start for row in rows)]
    # Observed chances as each replayed period's start knew them, stage by stage.
    chances = {
        period.start: {stage.stage_id: stage.overall.chance for stage in stages}
        for period, stages in observed_chances_at(scope, replayed).items()
    }

    forecasts: dict[tuple[Period, int, str], dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(METHODS, ZERO)
    )
    by_start = {period.start: period for period in replayed}
    for opening in rows:
        period = by_start.get(opening["taken_on"])
        if period is None:
            continue
        configured = Decimal(opening["probability"]) / 100
        observed = chances[period.start].get(opening["stage_id"])
        total = opening["total"]
        for team in _teams_of(opening["owner__team_id"]):
            figures = forecasts[period, team, opening["currency"]]
            figures["configured"] += total * configured
            figures["observed"] += total * (configured if observed is None else observed)
            figures["commit"] += opening["commit"] or ZERO

    actuals = _won_by_period(scope, replayed)
    keys = {(team, currency) for (_, team, currency) in forecasts} | {
        (team, currency) for (_, team, currency) in actuals
    }
    names = dict(Team.objects.filter(pk__in={team for team, _ in keys}).values_list("pk", "name"))
    results = []
    # The scope's own rows first, then the teams by name.
    for team, currency in sorted(
        keys, key=lambda key: (key[0] != ALL_TEAMS, names.get(key[0], ""), key[1])
    ):
        row = BacktestRow(
            team_id=None if team == ALL_TEAMS else team,
            team_name=names.get(team, ""),
            currency=currency,
        )
        for period in replayed:
            predicted = forecasts.get((period, team, currency), dict.fromkeys(METHODS, ZERO))
            row.points.append(
                BacktestPoint(
                    period=period.token,
                    actual=actuals.get((period, team, currency), ZERO),
                    forecasts={method: value.quantize(CENT) for method, value in predicted.items()},
                )
            )
        results.append(row)
    return results


OPENING = ("taken_on", "owner__team_id", "currency", "stage_id", "probability", "total", "commit")


def _openings(scope: ReportScope, periods: list[Period]) -> list[dict[str, Any]]:
    """Per period start, owner's team, currency, stage and recorded probability: the value
    of the deals open that night and expected to close in the period, and of those in
    commit. From the stored readings (``forecasting.snapshot_readings``) unless a filter
    they do not split by asks for the snapshots themselves."""
    if readable(scope):
        rows = opening_sums(opening_rows(scope, periods))
        return [dict(zip(OPENING, row, strict=True)) for row in rows]
    return counted_openings(scope, periods)


def counted_openings(scope: ReportScope, periods: list[Period]) -> list[dict[str, Any]]:
    """``_openings`` counted from the snapshots themselves."""
    snapshots = PipelineSnapshot.objects.visible_to(scope.user).filter(
        scope.owner_q("owner"), taken_on__in=[period.start for period in periods]
    )
    if scope.pipeline_id is not None:
        snapshots = snapshots.filter(pipeline_id=scope.pipeline_id)
    return list(
        snapshots.filter(
            scope.deal_filter_q("opportunity"),
            Q(
                *[
                    Q(taken_on=period.start, expected_close_date__range=(period.start, period.end))
                    for period in periods
                ],
                _connector=Q.OR,
            ),
        )
        .values(*OPENING[:5])
        .annotate(
            total=Sum("value"),
            commit=Coalesce(
                Sum("value", filter=Q(forecast_category=ForecastCategory.COMMIT)), ZERO
            ),
        )
        .order_by()
    )


def _teams_of(team_id: int | None) -> tuple[int, ...]:
    """The rows a figure adds to: its team's (an owner without a team has none) and the scope's."""
    return (ALL_TEAMS,) if team_id is None else (team_id, ALL_TEAMS)


def _won_by_period(
    scope: ReportScope, periods: list[Period]
) -> dict[tuple[Period, int, str], Decimal]:
    """Value won in each of ``periods`` per owner's team (and in all) and currency (one
    query; two with rollups, read from the ``DealDay`` rows of the periods' days)."""
    if not periods:
        return {}
    span = Period(start=periods[0].start, end=periods[-1].end)
    rows: Any
    if zone := rollup_zone(scope):
        day_index = Case(
            *[
                When(day__gte=p.start, day__lte=p.end, then=Value(number))
                for number, p in enumerate(periods)
            ],
            default=Value(-1),
            output_field=IntegerField(),
        )
        rows = (
            rollup_rows(scope, DealDay, zone)
            .filter(day__gte=span.start, day__lte=span.end, won_count__gt=0)
            .annotate(period_index=day_index)
            .values("period_index", "owner__team_id", "currency")
            .annotate(value=Sum("won_value"))
            .order_by()
        )
    else:
        index = Case(
            *[
                When(closed_at__gte=p.start_at, closed_at__lt=p.end_before, then=Value(number))
                for number, p in enumerate(periods)
            ],
            default=Value(-1),
            output_field=IntegerField(),
        )
        rows = (
            won_in_period(scope.with_period(span))
            .annotate(period_index=index)
            .values("period_index", "owner__team_id", "currency")
            .annotate(value=Sum("value"))
            .order_by()
        )
    won: dict[tuple[Period, int, str], Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        if row["period_index"] < 0:
            continue
        period = periods[row["period_index"]]
        for team in _teams_of(row["owner__team_id"]):
            won[period, team, row["currency"]] += row["value"]
    return dict(won)
