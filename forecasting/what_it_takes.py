"""What it takes to make quota: the wins, qualified deals and leads still needed.

From the seller's (or team's) own record over the twelve months before the period:

- wins needed = quota still to close ÷ average won value, rounded up;
- qualified deals needed = wins needed ÷ win rate (won ÷ (won + lost)), rounded up;
- leads needed = qualified deals needed ÷ lead conversion (leads converted ÷ leads
  created, both by their own dates in those twelve months), rounded up.

The verdict compares the need with the open pipeline: when the open deals expected to
close in the period already number the qualified deals needed, the gap is closed by
closing ("push for closing"); otherwise more deals must come in ("push for leads"). Any
rate the history cannot give (nothing won, nothing closed, no lead created) leaves the
figures it feeds as None ("not enough history"), never a division by zero. Per currency
of the quotas in scope; a quota already met needs nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q

from contacts.models import Lead, LeadStatus
from forecasting.outcomes import closed, won_values
from forecasting.periods import Period
from forecasting.quotas import quotas_in_scope
from forecasting.scope import ReportScope

PUSH_FOR_CLOSING = "closing"
PUSH_FOR_LEADS = "leads"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class WhatItTakes:
    currency: str
    remaining: Decimal
    average_won: Decimal | None
    win_rate: Decimal | None
    lead_conversion: Decimal | None
    open_in_period: int
    wins_needed: int | None
    qualified_needed: int | None
    leads_needed: int | None

    @property
    def verdict(self) -> str | None:
        if not self.remaining:
            return None
        if self.qualified_needed is None:
            return PUSH_FOR_LEADS if not self.open_in_period else None
        return PUSH_FOR_CLOSING if self.open_in_period >= self.qualified_needed else PUSH_FOR_LEADS


def history_before(period: Period) -> Period:
    """The twelve months before ``period`` starts."""
    start = period.start.replace(year=period.start.year - 1)
    return Period(start=start, end=period.start - dt.timedelta(days=1))


def what_it_takes(scope: ReportScope) -> list[WhatItTakes]:
    """The need per currency of the scope's quotas (eight queries)."""
    quotas = quotas_in_scope(scope)
    if not quotas:
        return []
    won_now = {value.currency: value.total for value in won_values(scope, medians=False)}
    history = scope.with_period(history_before(scope.period))
    averages = {value.currency: value.average for value in won_values(history, medians=False)}
    rate = closed(history).win_rate
    conversion = _lead_conversion(history)
    period = scope.period
    open_counts = dict(
        scope.deals()
        .open()
        .filter(expected_close_date__gte=period.start, expected_close_date__lte=period.end)
        .values_list("currency")
        .annotate(count=Count("pk"))
        .order_by()
    )
    needs = []
    for currency, quota in sorted(quotas.items()):
        remaining = max(quota - won_now.get(currency, ZERO), ZERO)
        average = averages.get(currency)
        wins = _needed(remaining, average)
        qualified = _needed(wins, rate)
        leads = _needed(qualified, conversion)
        needs.append(
            WhatItTakes(
                currency=currency,
                remaining=remaining,
                average_won=average,
                win_rate=rate,
                lead_conversion=conversion,
                open_in_period=open_counts.get(currency, 0),
                wins_needed=wins,
                qualified_needed=qualified,
                leads_needed=leads,
            )
        )
    return needs


def _lead_conversion(scope: ReportScope) -> Decimal | None:
    """Leads converted ÷ leads created in the scope's period, the scope's owners' (one query)."""
    period = scope.period
    counts = (
        Lead.objects.visible_to(scope.user)
        .filter(scope.owner_q("owner"))
        .aggregate(
            created=Count(
                "pk", filter=Q(created_at__gte=period.start_at, created_at__lt=period.end_before)
            ),
            converted=Count(
                "pk",
                filter=Q(
                    status=LeadStatus.CONVERTED,
                    converted_at__gte=period.start_at,
                    converted_at__lt=period.end_before,
                ),
            ),
        )
    )
    if not counts["created"]:
        return None
    return (Decimal(counts["converted"]) / counts["created"]).quantize(Decimal("0.0001"))


def _needed(need: Decimal | int | None, per: Decimal | None) -> int | None:
    """``need`` ÷ ``per``, rounded up: nothing needed is 0, an unknown rate is None."""
    if need is None:
        return None
    if not need:
        return 0
    if not per:
        return None
    return math.ceil(need / per)
