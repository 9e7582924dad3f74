"""How fast the pipeline turns into revenue, and whether it is big enough to make quota.

Definitions, the same in every report:

- Sales velocity = open deals * win rate * average won value / median sales cycle (days):
  the revenue the pipeline brings in per day at the pace of the period. Per currency: the
  open deals and the average won value are the currency's own; the win rate and the
  median cycle are the scope's in the period (``forecasting.outcomes``,
  ``forecasting.cycles``). A median cycle under one day counts as one day. Without a
  closed deal, a won deal in the currency, or an open deal, there is no velocity (None).
- Pipeline coverage = weighted open pipeline closing in the period ÷ quota still to close.
  Weighted: each open deal whose expected close date falls in the period, times its
  stage's win probability. Still to close: the quotas set within the period minus what
  was won in it, per currency. No quota, a zero quota, or a quota already met: no
  coverage (None), never a division by zero.

Quotas in scope are defined once, in ``forecasting.quotas``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from forecasting.cycles import sales_cycle
from forecasting.open_deals import open_groups, open_stages
from forecasting.outcomes import closed, won_values
from forecasting.quotas import quotas_in_scope
from forecasting.scope import ReportScope

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Velocity:
    currency: str
    open_deals: int
    win_rate: Decimal | None
    average_won: Decimal | None
    median_cycle_days: Decimal | None

    @property
    def per_day(self) -> Decimal | None:
        if not (self.open_deals and self.win_rate and self.average_won):
            return None
        if self.median_cycle_days is None:
            return None
        days = max(self.median_cycle_days, Decimal(1))
        return (self.open_deals * self.win_rate * self.average_won / days).quantize(CENT)


@dataclass(frozen=True)
class Coverage:
    currency: str
    weighted_open: Decimal
    quota: Decimal | None
    won: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.quota is None else max(self.quota - self.won, ZERO)

    @property
    def ratio(self) -> Decimal | None:
        """weighted_open ÷ remaining, to two places; None without anything left to close."""
        if not self.remaining:
            return None
        return (self.weighted_open / self.remaining).quantize(CENT)


def sales_velocity(scope: ReportScope) -> list[Velocity]:
    """Velocity per currency of the scope's open or won deals (seven queries, one of
    them the report's shared open-deal read)."""
    open_counts: dict[str, int] = {}
    for group in open_groups(scope):
        open_counts[group.currency] = open_counts.get(group.currency, 0) + group.count
    won = {value.currency: value for value in won_values(scope, medians=False)}
    rate = closed(scope).win_rate
    cycle = sales_cycle(scope).median_days
    return [
        Velocity(
            currency=currency,
            open_deals=open_counts.get(currency, 0),
            win_rate=rate,
            average_won=won[currency].average if currency in won else None,
            median_cycle_days=cycle,
        )
        for currency in sorted(set(open_counts) | set(won))
    ]


def pipeline_coverage(scope: ReportScope) -> list[Coverage]:
    """Coverage per currency of the weighted pipeline, the quotas or the wins (five queries,
    two of them the report's shared open-deal read and its stages)."""
    # Weighted here in exact Decimal arithmetic, not SQL floats (SQLite multiplies
    # decimals as floats).
    weighted: dict[str, Decimal] = {}
    stages = open_stages(scope)
    for group in open_groups(scope):
        if group.closing_value is None:
            continue  # none of the group's deals is expected to close in the period
        probability = stages[group.stage_id].probability
        weighted[group.currency] = (
            weighted.get(group.currency, ZERO) + group.closing_value * probability / 100
        )
    quotas = quotas_in_scope(scope)
    won = {value.currency: value.total for value in won_values(scope, medians=False)}
    return [
        Coverage(
            currency=currency,
            weighted_open=weighted.get(currency, ZERO).quantize(CENT),
            quota=quotas.get(currency),
            won=won.get(currency, ZERO),
        )
        for currency in sorted(set(weighted) | set(quotas) | set(won))
    ]
