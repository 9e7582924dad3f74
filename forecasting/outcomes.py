"""What closed in a period: win rate, won count and value, average and median won value.

Definitions, the same in every report:

- A deal closed in the period is a won or lost deal whose ``closed_at`` falls within the
  period's bounds in the user's time zone (``Period.start_at`` to ``Period.end_before``).
  A deal reopened after being lost is open again and counts nowhere until it closes anew.
- Win rate = won ÷ (won + lost) of the deals closed in the period; open deals are
  excluded. No closed deal: no win rate (None), never a division by zero.
- Won value: the sum of the won deals' values, per currency (amounts in different
  currencies are never added); average = sum ÷ count; median as ``percentile_cont(0.5)``.

Every function starts from ``ReportScope.deals()`` (``visible_to`` and the filters) and
costs a fixed number of queries; per-person results list every seller of
``ReportScope.people()``, those without deals included.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum

from forecasting.percentiles import percentile
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
    median: Decimal


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


def closed(scope: ReportScope) -> Closed:
    """Won and lost counts of the scope in its period (one query)."""
    counts = closed_in_period(scope).aggregate(
        won=Count("pk", filter=Q(status=OpportunityStatus.WON)),
        lost=Count("pk", filter=Q(status=OpportunityStatus.LOST)),
    )
    return Closed(won=counts["won"], lost=counts["lost"])


def closed_by_person(scope: ReportScope) -> dict[int, Closed]:
    """``closed`` per seller, every seller of the scope included (two queries)."""
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


def won_values(scope: ReportScope) -> list[WonValue]:
    """Won count, total, average and median value per currency, by currency (two queries)."""
    by_currency = _won_values(won_in_period(scope), group="currency")
    return [by_currency[key] for key in sorted(by_currency)]


def won_values_by_person(scope: ReportScope) -> dict[int, list[WonValue]]:
    """``won_values`` per seller; a seller who won nothing has an empty list (three queries)."""
    found = _won_values(won_in_period(scope), group="owner_id")
    values: dict[int, list[WonValue]] = defaultdict(list)
    for (owner_id, _currency), won in sorted(found.items()):
        values[owner_id].append(won)
    return {pk: values.get(pk, []) for pk in scope.people().values_list("pk", flat=True)}


def _won_values(won: QuerySet[Opportunity], *, group: str) -> dict:
    groups = ["currency"] if group == "currency" else [group, "currency"]
    totals = won.values(*groups).annotate(count=Count("pk"), total=Sum("value")).order_by()
    medians = percentile(won, F("value"), 0.5, group_by=groups)
    results = {}
    for row in totals:
        key = tuple(row[name] for name in groups)
        results[key if len(key) > 1 else key[0]] = WonValue(
            currency=row["currency"],
            count=row["count"],
            total=row["total"],
            average=(row["total"] / row["count"]).quantize(CENT),
            median=Decimal(medians[key]).quantize(CENT),
        )
    return results
