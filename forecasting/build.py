"""Is the pipeline being built fast enough? Deals created per week against the need.

Definitions:

- Weeks: the twelve weeks ending with the week of ``today`` (or of the period's last day,
  when the period is over); weeks start on Monday in the user's time zone and are named
  by that Monday.
- Created: the scope's deals (``ReportScope.deals()``) created in each week, any status
  (from the daily rollups where they can answer, ``forecasting.rollup_reads``).
- Needed per week: the deals the period's quota needs, spread over the period's weeks.
  Per currency of the quotas in scope (``quotas_in_scope``): quota ÷ (win rate x average
  won value), with the win rate and average won value of the twelve months before the
  period (``what_it_takes.history_before``), the same history ``what_it_takes`` uses;
  the currencies' needs add up (a deal is a deal), and the sum is divided by the period's
  length in weeks (days ÷ 7), to one decimal. No quota: nothing is needed (0). A quota
  the history cannot price (nothing won in its currency, or nothing closed): None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from forecasting.models import DealDay
from forecasting.outcomes import closed, won_values
from forecasting.quotas import quotas_in_scope
from forecasting.rollup_reads import rollup_rows, rollup_zone
from forecasting.scope import ReportScope
from forecasting.what_it_takes import history_before

WEEKS = 12


@dataclass(frozen=True)
class Build:
    weeks: list[dt.date]  # Mondays, oldest first
    created: list[int]  # per week, same order
    needed_per_week: Decimal | None


def build_weeks(scope: ReportScope, today: dt.date | None = None) -> list[dt.date]:
    """The Mondays of the twelve weeks the build chart shows, oldest first."""
    last = min(today or timezone.localdate(), scope.period.end)
    monday = last - dt.timedelta(days=last.weekday())
    return [monday - dt.timedelta(weeks=WEEKS - 1 - index) for index in range(WEEKS)]


def pipeline_build(scope: ReportScope, today: dt.date | None = None) -> Build:
    """Created per week over twelve weeks, and the weekly creation needed (five queries)."""
    weeks = build_weeks(scope, today)
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(weeks[0], dt.time.min), zone)
    end = timezone.make_aware(
        dt.datetime.combine(weeks[-1] + dt.timedelta(days=7), dt.time.min), zone
    )
    created: dict[dt.date, int] = {}
    if kept := rollup_zone(scope):
        days = (
            rollup_rows(scope, DealDay, kept)
            .filter(day__gte=weeks[0], day__lt=weeks[-1] + dt.timedelta(days=7))
            .values_list("day")
            .annotate(count=Sum("created_count"))
            .order_by()
        )
        for day, count in days:
            monday = day - dt.timedelta(days=day.weekday())
            created[monday] = created.get(monday, 0) + count
        return Build(weeks, [created.get(week, 0) for week in weeks], needed_per_week(scope))
    rows = (
        scope.deals()
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(week=TruncWeek("created_at", tzinfo=zone))
        .values_list("week")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for week, count in rows:
        day = week.date() if isinstance(week, dt.datetime) else week
        created[day] = created.get(day, 0) + count
    return Build(
        weeks=weeks,
        created=[created.get(week, 0) for week in weeks],
        needed_per_week=needed_per_week(scope),
    )


def needed_per_week(scope: ReportScope) -> Decimal | None:
    """Deals to create per week for the period's quota at the history's rates (four queries)."""
    quotas = quotas_in_scope(scope)
    if not quotas:
        return Decimal("0.0")
    history = scope.with_period(history_before(scope.period))
    rate = closed(history).win_rate
    averages = {value.currency: value.average for value in won_values(history, medians=False)}
    if not rate and any(quotas.values()):
        return None
    deals = Decimal(0)
    for currency, quota in quotas.items():
        if not quota:
            continue  # a zero quota needs no deals, priced or not
        average = averages.get(currency)
        if not average:
            return None
        deals += quota / (rate * average)  # type: ignore[operator]
    weeks = Decimal(scope.period.days) / 7
    return (deals / weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
