"""How the open pipeline moved between two nights, read from the nightly snapshots.

The snapshot of night D is every open deal as it stood when D began (``PipelineSnapshot``,
written nightly and rebuilt from imported history). Between the nights ``since`` and
``until``, per currency of the deal on ``until`` (or on ``since`` for deals that closed):

- new: open on ``until`` and not on ``since`` (created, or reopened, in between);
- won, lost: open on ``since`` and won or lost before ``until`` began;
- advanced, moved back: open on both nights in a stage of higher or lower position;
- slipped: open on both nights, expected to close within the report's period on ``since``
  and no longer (pushed out of it, or the date removed) on ``until``;
- value changed: open on both nights with a different value; ``value_change`` is the net
  sum of the differences.

A deal can count under more than one heading (it advanced and slipped). Each night counts
the deals its snapshot gives to the scope's owners and pipeline (as the backtest reads
snapshots: a deal handed to another team between the nights leaves this pipeline without
being new, won or lost here), seen through ``visible_to`` on the snapshots, with the
product and lead-source filters on the deal; two queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from forecasting.models import PipelineSnapshot
from forecasting.scope import ReportScope
from forecasting.snapshot_readings import movement_rows, readable
from pipeline.models import OpportunityStatus

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Movement:
    currency: str
    new: int = 0
    new_value: Decimal = ZERO
    won: int = 0
    won_value: Decimal = ZERO
    lost: int = 0
    lost_value: Decimal = ZERO
    advanced: int = 0
    moved_back: int = 0
    slipped: int = 0
    slipped_value: Decimal = ZERO
    value_changed: int = 0
    value_change: Decimal = ZERO


def _cutoff(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def pipeline_movement(scope: ReportScope, since: dt.date, until: dt.date) -> list[Movement]:
    """What changed in the open pipeline from night ``since`` to night ``until``."""
    if until < since:
        since, until = until, since
    if readable(scope):
        return _stored_movement(scope, since, until)
    return counted_movement(scope, since, until)


def counted_movement(scope: ReportScope, since: dt.date, until: dt.date) -> list[Movement]:
    """``pipeline_movement`` counted from the snapshots themselves (``since`` <= ``until``)."""
    figures: dict[str, dict] = {}
    for currency, *counts in _open_rows(scope, since, until):
        figures.setdefault(currency, {}).update(zip(OPEN_FIGURES, counts, strict=True))
    won = Q(opportunity__status=OpportunityStatus.WON)
    lost = Q(opportunity__status=OpportunityStatus.LOST)
    # The closings in between narrow first (few, by the close-time index); each finds its
    # deal's row of the earlier night by the (night, deal) key.
    closed_rows = (
        _night(scope, since)
        .filter(
            opportunity__closed_at__gte=_cutoff(since),
            opportunity__closed_at__lt=_cutoff(until),
            opportunity__status__in=(OpportunityStatus.WON, OpportunityStatus.LOST),
        )
        .values("currency")
        .annotate(
            won=Count("pk", filter=won),
            won_value=Coalesce(Sum("value", filter=won), ZERO),
            lost=Count("pk", filter=lost),
            lost_value=Coalesce(Sum("value", filter=lost), ZERO),
        )
        .order_by()
    )
    for row in closed_rows:
        figures.setdefault(row["currency"], {}).update(row)
    return [Movement(**{**figures[currency], "currency": currency}) for currency in sorted(figures)]


def _stored_movement(scope: ReportScope, since: dt.date, until: dt.date) -> list[Movement]:
    """The figures summed from the stored rows (``forecasting.snapshot_readings``; one
    query once read): an open row whose first night's owner or pipeline is out of scope
    counts as new, as the live count's join finds no earlier row for it."""
    figures: dict[str, dict[str, Any]] = {}
    for row in movement_rows(scope, since, until):
        sums = figures.setdefault(row.currency, dict.fromkeys(FIGURES, 0))
        if row.closing:
            for name in ("won", "won_value", "lost", "lost_value"):
                sums[name] += getattr(row, name)
            continue
        in_scope: bool = row.earlier_in_scope  # type: ignore[attr-defined]
        earlier = row.earlier_owner_id is not None and in_scope
        if earlier and scope.pipeline_id is not None:
            earlier = row.earlier_pipeline_id == scope.pipeline_id
        if not earlier:
            sums["new"] += row.deals
            sums["new_value"] += row.value
            continue
        for name in OPEN_FIGURES[2:]:
            sums[name] += getattr(row, name)
    return [
        Movement(
            currency,
            **{name: _figure(name, value) for name, value in figures[currency].items()},  # type: ignore[arg-type]
        )
        for currency in sorted(figures)
    ]


def _night(scope: ReportScope, night: dt.date) -> QuerySet[PipelineSnapshot]:
    """The snapshot of ``night`` as the scope covered it: its owners and pipeline then,
    read from the snapshot's own columns (an index, not a join with every deal)."""
    snapshots = PipelineSnapshot.objects.visible_to(scope.user).filter(
        scope.owner_q("owner"), taken_on=night
    )
    if scope.pipeline_id is not None:
        snapshots = snapshots.filter(pipeline_id=scope.pipeline_id)
    return snapshots.filter(scope.deal_filter_q("opportunity"))


OPEN_FIGURES = (
    "new",
    "new_value",
    "advanced",
    "moved_back",
    "slipped",
    "slipped_value",
    "value_changed",
    "value_change",
)


FIGURES = (*OPEN_FIGURES, "won", "won_value", "lost", "lost_value")


def _open_rows(scope: ReportScope, since: dt.date, until: dt.date) -> list[tuple[Any, ...]]:
    """Per currency on ``until``, the figures of deals open that night (``OPEN_FIGURES``).

    Each night's rows are read once and joined on the deal (a hash join of two nights),
    rather than the earlier night looked up again for every deal of the later one."""
    period = scope.period
    columns = ("opportunity_id", "currency", "value", "expected_close_date", "position")
    parts: list[str] = []
    params: list[Any] = []
    for night in (until, since):
        rows = (
            _night(scope, night).annotate(position=F("stage__position")).values(*columns).order_by()
        )
        sql, night_params = rows.query.sql_with_params()
        parts.append(sql)
        params.extend(night_params)
    date_field = PipelineSnapshot._meta.get_field("expected_close_date")
    start, end = (
        date_field.get_db_prep_value(day, connection) for day in (period.start, period.end)
    )
    both = "b.opportunity_id IS NOT NULL"
    slipped = (
        "b.expected_close_date >= %s AND b.expected_close_date <= %s AND "
        "(a.expected_close_date IS NULL OR a.expected_close_date < %s "
        "OR a.expected_close_date > %s)"
    )
    changed = f"{both} AND a.value <> b.value"
    sums = [
        "b.opportunity_id IS NULL THEN 1",
        "b.opportunity_id IS NULL THEN a.value",
        f"{both} AND a.position > b.position THEN 1",
        f"{both} AND a.position < b.position THEN 1",
        f"{slipped} THEN 1",
        f"{slipped} THEN a.value",
        f"{changed} THEN 1",
        f"{changed} THEN a.value - b.value",
    ]
    sql = (
        "SELECT a.currency, "
        + ", ".join(f"SUM(CASE WHEN {case} ELSE 0 END)" for case in sums)
        + f" FROM ({parts[0]}) a LEFT JOIN ({parts[1]}) b ON b.opportunity_id = a.opportunity_id"
        " GROUP BY a.currency"
    )
    # The SELECT list's two slipped sums come before the nights in the statement.
    slip_params = [start, end, start, end] * 2
    with connection.cursor() as cursor:
        cursor.execute(sql, [*slip_params, *params])
        return [
            (
                currency,
                *(_figure(name, value) for name, value in zip(OPEN_FIGURES, rest, strict=True)),
            )
            for currency, *rest in cursor.fetchall()
        ]


def _figure(name: str, value: Any) -> int | Decimal:
    """A count as an int, a sum as exact cents (SQLite sums decimals as floats)."""
    if name.endswith("value") or name == "value_change":
        return Decimal(str(value or 0)).quantize(ZERO)
    return int(value or 0)
