"""How long winning takes: the sales cycle of the deals won in a period.

Definition: a won deal's cycle runs from when it was first engaged (``first_engaged_at``),
else from when it was created, to when it was won (``closed_at``), in whole days (a deal
won 36 hours after it began took 1 day). Over the deals won in the scope's period:

- median and 80th percentile of the whole days, interpolated as ``percentile_cont``;
- mean of the whole days, to one decimal.

All three are computed by the database (``WholeDays`` per deal, then ``percentile`` and AVG),
or, for a period of whole months whose rollups can answer (``forecasting.rollup_reads``),
from the monthly histogram of the won deals' whole days (``WonCycleMonth``): the same
figures, exactly, from a few hundred rows.

No won deal: a cycle with ``count`` 0 and None for each figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from forecasting.days import WholeDays, days_figure
from forecasting.models import WonCycleMonth
from forecasting.outcomes import won_in_period
from forecasting.percentiles import percentile
from forecasting.rollup_reads import (
    histogram_mean,
    histogram_percentile,
    months_of,
    rollup_rows,
    rollup_zone,
)
from forecasting.scope import ReportScope
from pipeline.models import Opportunity


@dataclass(frozen=True)
class SalesCycle:
    count: int = 0
    median_days: Decimal | None = None
    mean_days: Decimal | None = None
    p80_days: Decimal | None = None


def _cycle_days() -> WholeDays:
    # The end comes first: WholeDays(end, start) reads as "end - start".
    return WholeDays("closed_at", Coalesce("first_engaged_at", "created_at"))


def sales_cycle(scope: ReportScope) -> SalesCycle:
    """The scope's sales cycle in its period (three queries; two with rollups)."""
    if found := _rolled_up(scope, group_by=()):
        return found.get((), SalesCycle())
    return _cycles(won_in_period(scope), group_by=()).get((), SalesCycle())


def sales_cycle_by_person(scope: ReportScope) -> dict[int, SalesCycle]:
    """``sales_cycle`` per seller, every seller of the scope included (four queries; three
    with rollups)."""
    found = _rolled_up(scope, group_by=("owner_id",))
    if found is None:
        found = _cycles(won_in_period(scope), group_by=("owner_id",))
    return {
        pk: found.get((pk,), SalesCycle()) for pk in scope.people().values_list("pk", flat=True)
    }


def _rolled_up(scope: ReportScope, *, group_by: tuple[str, ...]) -> dict | None:
    """The cycles from the rollups' histograms; None when they cannot answer."""
    zone = rollup_zone(scope)
    months = months_of(scope.period)
    if zone is None or months is None:
        return None
    rows = (
        rollup_rows(scope, WonCycleMonth, zone)
        .filter(month__in=months, count__gt=0)
        .values_list(*group_by, "days")
        .annotate(deals=Sum("count"))
        .order_by()
    )
    histograms: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for *key, days, deals in rows:
        histograms[tuple(key)].append((days, deals))
    return {
        key: SalesCycle(
            count=sum(deals for _days, deals in counts),
            median_days=days_figure(histogram_percentile(counts, 0.5)),
            mean_days=days_figure(histogram_mean(counts)),
            p80_days=days_figure(histogram_percentile(counts, 0.8)),
        )
        for key, counts in histograms.items()
    }


def _cycles(won: QuerySet[Opportunity], *, group_by: tuple[str, ...]) -> dict:
    medians = percentile(won, _cycle_days(), 0.5, group_by=group_by)
    p80s = percentile(won, _cycle_days(), 0.8, group_by=group_by)
    figures = {"count": Count("pk"), "mean": Avg("cycle_days")}
    days = won.annotate(cycle_days=_cycle_days())
    if group_by:
        rows = list(days.values(*group_by).annotate(**figures).order_by())
    else:
        rows = [row] if (row := days.aggregate(**figures))["count"] else []
    cycles = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        cycles[key] = SalesCycle(
            count=row["count"],
            median_days=days_figure(medians[key]),
            mean_days=days_figure(row["mean"]),
            p80_days=days_figure(p80s[key]),
        )
    return cycles
