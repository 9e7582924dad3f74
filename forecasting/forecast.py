"""The forecast of a month or quarter: what is won, and three views of what will be.

Definitions, per currency (amounts in different currencies are never added):

- Won so far: the value of the scope's deals won in the period (``forecasting.outcomes``).
- Open in the period: the scope's open deals whose expected close date falls in the period.
- Weighted pipeline: each open deal in the period times its stage's configured win
  probability.
- History-based forecast: each open deal in the period times the observed chance of its
  stage for its age in the stage (``forecasting.observed``; whole days since it entered the
  stage, as of now); where history is too thin for a chance, the configured probability
  stands in, and ``configured_fallbacks`` counts those deals. The chances are measured
  from a period's start; applied later in the period they still read "by the period's
  end", which overstates a deal's chance as the period runs out, in the same way the
  configured probabilities do.
- Category totals: the open deals in the period by the forecast category their owners set
  (commit, best case, pipeline, omitted).
- Expected totals (``won + weighted``, ``won + observed``) are what each method says the
  period ends at.

The report has the scope's total, one row per team of the people in scope and one row per
seller of ``ReportScope.people()`` (sellers without deals have zeros). Costs the
observed-chance queries plus three, whatever the number of deals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from forecasting.observed import StageChances, bucket_since, observed_chances
from forecasting.outcomes import won_by_owner
from forecasting.scope import ReportScope
from pipeline.models import ForecastCategory
from pipeline.querysets import OpportunityQuerySet

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
OPEN_CATEGORIES = (
    ForecastCategory.COMMIT,
    ForecastCategory.BEST_CASE,
    ForecastCategory.PIPELINE,
    ForecastCategory.OMITTED,
)


@dataclass
class CurrencyForecast:
    currency: str
    won: Decimal = ZERO
    open_count: int = 0
    open_value: Decimal = ZERO
    weighted: Decimal = ZERO
    observed: Decimal = ZERO
    configured_fallbacks: int = 0
    categories: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys(OPEN_CATEGORIES, ZERO)
    )
    category_counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(OPEN_CATEGORIES, 0)
    )

    @property
    def expected_weighted(self) -> Decimal:
        return self.won + self.weighted

    @property
    def expected_observed(self) -> Decimal:
        return self.won + self.observed


@dataclass
class ForecastRow:
    """The forecast of one seller, one team or the whole scope, by currency."""

    key: int | None
    name: str
    by_currency: dict[str, CurrencyForecast] = field(default_factory=dict)

    def currency(self, code: str) -> CurrencyForecast:
        return self.by_currency.setdefault(code, CurrencyForecast(currency=code))

    @property
    def currencies(self) -> list[CurrencyForecast]:
        return [self.by_currency[code] for code in sorted(self.by_currency)]


@dataclass(frozen=True)
class ForecastReport:
    total: ForecastRow
    teams: list[ForecastRow]
    people: list[ForecastRow]
    stages: list[StageChances]


def open_in_period(scope: ReportScope) -> OpportunityQuerySet:
    """The scope's open deals expected to close in its period."""
    period = scope.period
    return (
        scope.deals()
        .open()
        .filter(expected_close_date__gte=period.start, expected_close_date__lte=period.end)
    )


def probability_of(
    stage: StageChances | None, configured: int, bucket: int
) -> tuple[Decimal, Decimal | None]:
    """The configured probability as a fraction, and the observed one for the bucket."""
    configured_fraction = Decimal(configured) / 100
    if stage is None:
        return configured_fraction, None
    chance = stage.by_age[bucket].chance
    return configured_fraction, chance if chance is not None else stage.overall.chance


def forecast(scope: ReportScope, now: dt.datetime | None = None) -> ForecastReport:
    """The forecast of the scope's period, in total, per team and per seller."""
    now = now or timezone.now()
    stages = observed_chances(scope)
    by_stage = {stage.stage_id: stage for stage in stages}
    people = list(scope.people().select_related("team"))
    total = ForecastRow(None, "")
    rows = {person.pk: ForecastRow(person.pk, str(person)) for person in people}
    teams = {
        person.team_id: ForecastRow(person.team_id, person.team.name)
        for person in people
        if person.team is not None
    }

    def rows_for(owner_id: int, team_id: int | None) -> Iterable[ForecastRow]:
        yield total
        if owner_id in rows:
            yield rows[owner_id]
        if team_id in teams:
            yield teams[team_id]

    open_rows = (
        open_in_period(scope)
        .annotate(bucket=bucket_since("stage_entered_at", now))
        .values(
            "owner_id",
            "owner__team_id",
            "currency",
            "stage_id",
            "stage__probability",
            "forecast_category",
            "bucket",
        )
        # A column the covering index on open deals holds (it holds no primary key).
        .annotate(count=Count("stage_id"), value=Sum("value"))
        .order_by()
    )
    for row in open_rows:
        configured, observed = probability_of(
            by_stage.get(row["stage_id"]), row["stage__probability"], row["bucket"]
        )
        value, count = row["value"], row["count"]
        for target in rows_for(row["owner_id"], row["owner__team_id"]):
            figures = target.currency(row["currency"])
            figures.open_count += count
            figures.open_value += value
            figures.weighted += value * configured
            figures.observed += value * (configured if observed is None else observed)
            figures.configured_fallbacks += count if observed is None else 0
            category = row["forecast_category"]
            if category in figures.categories:
                figures.categories[category] += value
                figures.category_counts[category] += count

    for owner_id, team_id, currency, value in won_by_owner(scope):
        for target in rows_for(owner_id, team_id):
            target.currency(currency).won += value

    for target in [total, *teams.values(), *rows.values()]:
        for figures in target.by_currency.values():
            figures.weighted = figures.weighted.quantize(CENT)
            figures.observed = figures.observed.quantize(CENT)
    return ForecastReport(
        total=total,
        teams=sorted(teams.values(), key=lambda row: row.name),
        people=[rows[person.pk] for person in people],
        stages=stages,
    )


def category_total(scope: ReportScope, category: str) -> dict[str, Decimal]:
    """The open deals in the period of one forecast category, value per currency (one query)."""
    rows = (
        open_in_period(scope)
        .filter(forecast_category=category)
        .values_list("currency")
        .annotate(value=Sum("value"))
        .order_by()
    )
    return dict(rows)
