"""Reading a report's figures from the rollups instead of the deals, where they can tell.

The rollups (``forecasting.rollup_rows``) hold what the deals add up to per owner, pipeline
and day or month, in each kept time zone. A scope reads them when they can answer exactly:
its time zone is kept and ready, and it filters by nothing they do not split by (a
product, a lead source). Otherwise every figure counts from the deals, as before.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone

from forecasting.models import ReportZone, RollupQuerySet
from forecasting.periods import Period
from forecasting.scope import ReportScope

RollupModel = TypeVar("RollupModel", bound=Model)


def rollup_zone(scope: ReportScope) -> str | None:
    """The time zone the scope's rollups are read in; None when they cannot answer."""
    if scope.product_id is not None or scope.lead_source:
        return None
    return kept_zone(scope)


def funnel_zone(scope: ReportScope) -> str | None:
    """``rollup_zone``, when the funnel rows are ready in it too (not since a reorder)."""
    zone = rollup_zone(scope)
    return zone if zone and _zone_state(scope, zone) else None


def kept_zone(scope: ReportScope) -> str | None:
    """The current time zone if the rollups are kept and ready in it, else None."""
    name = timezone.get_current_timezone_name()
    return name if _zone_state(scope, name) is not None else None


def _zone_state(scope: ReportScope, name: str) -> bool | None:
    """None if the zone's rollups are not kept and ready, else whether its funnel rows
    are: one query per scope answers both."""
    return scope.remembered(
        f"rollup zone {name}",
        ReportZone.objects.filter(name=name, ready=True)
        .values_list("funnel_ready", flat=True)
        .first,
    )


def rollup_rows(scope: ReportScope, model: type[RollupModel], zone: str) -> QuerySet[RollupModel]:
    """The scope's rows of a rollup: visible to its user, its owners, its pipeline."""
    manager = model._default_manager
    rows: RollupQuerySet = manager.all()  # type: ignore[assignment]
    rows = rows.visible_to(scope.user).filter(scope.owner_q(), zone=zone)
    if scope.pipeline_id is not None:
        rows = rows.filter(pipeline_id=scope.pipeline_id)
    return rows


def months_of(period: Period) -> list[dt.date] | None:
    """The first days of the calendar months making up ``period``; None unless it is made
    of whole months (monthly rollups cannot tell part of a month)."""
    if period.start.day != 1 or (period.end + dt.timedelta(days=1)).day != 1:
        return None
    months, month = [], period.start
    while month <= period.end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def histogram_percentile(counts: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """The ``fraction`` percentile of values given as (value, how many), interpolated as
    ``percentile_cont`` (position fraction x (n - 1) of the sorted values, from 0)."""
    pairs = sorted((value, count) for value, count in counts if count > 0)
    total = sum(count for _value, count in pairs)
    if not total:
        return None
    position = fraction * (total - 1)
    low_at = math.floor(position)
    low, high = _value_at(pairs, low_at), _value_at(pairs, math.ceil(position))
    share = position - low_at
    return float(low) if share == 0 else low + (high - low) * share


def _value_at(pairs: list[tuple[int, int]], position: int) -> int:
    """The value at ``position`` (from 0) of the sorted values ``pairs`` count."""
    seen = 0
    for value, count in pairs:
        seen += count
        if position < seen:
            return value
    raise IndexError(position)


def histogram_mean(counts: Iterable[tuple[int, int]]) -> Decimal | None:
    pairs = [(value, count) for value, count in counts if count > 0]
    total = sum(count for _value, count in pairs)
    if not total:
        return None
    return Decimal(sum(value * count for value, count in pairs)) / total
