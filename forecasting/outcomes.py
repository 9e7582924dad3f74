"""What closed in a period: win rate, won count and value, average and median won value.

Definitions, the same in every report:

- A deal closed in the period is a won or lost deal whose ``closed_at`` falls within the
  period's bounds in the user's time zone (``Period.start_at`` to ``Period.end_before``).
  A deal reopened after being lost is open again and counts nowhere until it closes anew.
- Win rate = won ÷ (won + lost) of the deals closed in the period; open deals are
  excluded. No closed deal: no win rate (None), never a division by zero.
- Won value: the sum of the won deals' values, per currency (amounts in different
  currencies are never added); average = sum ÷ count; median as ``percentile_cont(0.5)``.

Every function starts from ``ReportScope.deals()`` (``visible_to`` and the filters), or
from the same deals' daily rollups where those can answer (``forecasting.rollup_reads``),
and costs a fixed number of queries; per-person results list every seller of
``ReportScope.people()``, those without deals included. Medians always come from the deals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum

from forecasting.models import DealDay
from forecasting.percentiles import percentile
from forecasting.rollup_reads import rollup_rows, rollup_zone
from forecasting.scope import ReportScope
from pipeline.models import Opportunity, OpportunityStatus

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Closed:
    """Deals won and lost in a period."""

    won: int = 0
    lost: int = 0

    @property
    def win_rate(self) -> Decimal | None:
        """won ÷ (won + lost), as a fraction rounded to 4 places; None when nothing closed."""
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(self.won) / closed).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class WonValue:
    """Won deals of one currency in a period."""

    currency: str
    count: int
    total: Decimal
    average: Decimal
    median: Decimal | None  # None when not asked for


def closed_in_period(scope: ReportScope) -> QuerySet[Opportunity]:
    """The scope's deals won or lost within its period."""
    period = scope.period
    return (
        scope.deals()
        .exclude(status=OpportunityStatus.OPEN)
        .filter(closed_at__gte=period.start_at, closed_at__lt=period.end_before)
    )


def won_in_period(scope: ReportScope) -> QuerySet[Opportunity]:
    return closed_in_period(scope).filter(status=OpportunityStatus.WON)


def won_by_owner(scope: ReportScope) -> list[tuple[int, int | None, str, Decimal]]:
    """Won value per owner and currency in the period (``won_in_period`` summed), with the
    owner's team: rows of owner, team, currency, value (one query, two with rollups)."""
    if zone := rollup_zone(scope):
        rows = (
            _days_in_period(scope, zone)
            .values_list("owner_id", "owner__team_id", "currency")
            .annotate(count=Sum("won_count"), value=Sum("won_value"))
            .order_by()
        )
        # A day row may hold only created deals: the currency was not won then.
        return [
            (owner, team, currency, value) for owner, team, currency, count, value in rows if count
        ]
    return list(
        won_in_period(scope)
        .values_list("owner_id", "owner__team_id", "currency")
        .annotate(value=Sum("value"))
        .order_by()
    )


def _days_in_period(scope: ReportScope, zone: str) -> QuerySet[DealDay]:
    period = scope.period
    return rollup_rows(scope, DealDay, zone).filter(day__gte=period.start, day__lte=period.end)


def closed(scope: ReportScope) -> Closed:
    """Won and lost counts of the scope in its period (one query, two with rollups)."""
    if zone := rollup_zone(scope):
        sums = _days_in_period(scope, zone).aggregate(won=Sum("won_count"), lost=Sum("lost_count"))
        return Closed(won=sums["won"] or 0, lost=sums["lost"] or 0)
    counts = closed_in_period(scope).aggregate(
        won=Count("pk", filter=Q(status=OpportunityStatus.WON)),
        lost=Count("pk", filter=Q(status=OpportunityStatus.LOST)),
    )
    return Closed(won=counts["won"], lost=counts["lost"])


def closed_by_person(scope: ReportScope) -> dict[int, Closed]:
    """``closed`` per seller, every seller of the scope included (two queries, three with
    rollups)."""
    rows: QuerySet[Any, dict[str, Any]]
    if zone := rollup_zone(scope):
        rows = (
            _days_in_period(scope, zone)
            .values("owner_id")
            .annotate(won=Sum("won_count"), lost=Sum("lost_count"))
            .order_by()
        )
    else:
        rows = (
            closed_in_period(scope)
            .values("owner_id")
            .annotate(
                won=Count("pk", filter=Q(status=OpportunityStatus.WON)),
                lost=Count("pk", filter=Q(status=OpportunityStatus.LOST)),
            )
            .order_by()
        )
    counts = {row["owner_id"]: Closed(won=row["won"], lost=row["lost"]) for row in rows}
    return {pk: counts.get(pk, Closed()) for pk in scope.people().values_list("pk", flat=True)}


def won_values(scope: ReportScope, *, medians: bool = True) -> list[WonValue]:
    """Won count, total, average and (unless ``medians`` is False) median value per
    currency, by currency (two queries; without medians one, two with rollups)."""
    by_currency = _won_values(scope, group="currency", medians=medians)
    return [by_currency[key] for key in sorted(by_currency)]


def won_values_by_person(scope: ReportScope, *, medians: bool = True) -> dict[int, list[WonValue]]:
    """``won_values`` per seller; a seller who won nothing has an empty list (three queries;
    without medians two, three with rollups)."""
    found = _won_values(scope, group="owner_id", medians=medians)
    values: dict[int, list[WonValue]] = defaultdict(list)
    for (owner_id, _currency), won in sorted(found.items()):
        values[owner_id].append(won)
    return {pk: values.get(pk, []) for pk in scope.people().values_list("pk", flat=True)}


def _won_values(scope: ReportScope, *, group: str, medians: bool) -> dict:
    groups = ["currency"] if group == "currency" else [group, "currency"]
    won = won_in_period(scope)
    zone = None if medians else rollup_zone(scope)
    if zone:
        totals = (
            _days_in_period(scope, zone)
            .filter(won_count__gt=0)
            .values(*groups)
            .annotate(count=Sum("won_count"), total=Sum("won_value"))
            .order_by()
        )
    else:
        totals = won.values(*groups).annotate(count=Count("pk"), total=Sum("value")).order_by()
    middles = percentile(won, F("value"), 0.5, group_by=groups) if medians else {}
    results = {}
    for row in totals:
        if not row["count"]:
            continue  # every deal won that day was reopened or moved since
        key = tuple(row[name] for name in groups)
        results[key if len(key) > 1 else key[0]] = WonValue(
            currency=row["currency"],
            count=row["count"],
            total=row["total"],
            average=(row["total"] / row["count"]).quantize(CENT),
            median=Decimal(middles[key]).quantize(CENT) if medians else None,
        )
    return results
