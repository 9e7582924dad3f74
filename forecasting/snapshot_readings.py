"""Stored readings of past nights' snapshots: the movement and the backtest read these.

Both figures read whole nights of ``PipelineSnapshot`` rows (about 100,000 a night at
100,000 open deals), and a night's rows, once written, do not change. So each night, or pair
of nights, is read once for every owner (``SnapshotReading`` and its rows) and reports sum
the stored rows of the owners in their scope: visibility is by owner, and every row keeps
the owner and pipeline the snapshot recorded, so the sum over the owners a user sees is the
count over the snapshots they see. ``forecasting.snapshot_upkeep`` drops a reading when
something it read changes.

A report that filters by product or lead source reads the snapshots themselves (the stored
rows do not split by those). The first report to need a reading pays for it once (a few
hundred milliseconds at 100,000 open deals).

Concurrency: a reading is filled under an exclusive advisory lock that every write dropping
readings takes shared (PostgreSQL), so that a fill either sees a write's commit or has its
reading dropped by it, never stores what a write made stale; writes do not wait for each
other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from forecasting.models import (
    MovementTally,
    OpeningTally,
    PipelineSnapshot,
    SnapshotReading,
    SnapshotReadingKind,
)
from forecasting.periods import Period
from forecasting.scope import ReportScope
from pipeline.models import ForecastCategory, Opportunity, OpportunityStatus, Stage

# The first key of PostgreSQL's two-key advisory locks: "the stored snapshot readings".
READING_LOCK = 7_403


def readable(scope: ReportScope) -> bool:
    """Whether the stored readings answer the scope: they split by owner and pipeline only."""
    return scope.product_id is None and not scope.lead_source


def latest_night() -> dt.date:
    """The last night whose snapshot can exist: today in UTC (the nightly job's cut-off).
    In a zone east of UTC the local day begins before its snapshot can be taken."""
    return timezone.now().astimezone(dt.UTC).date()


def cutoff(night: dt.date) -> dt.datetime:
    """When night ``night``'s snapshot was taken: midnight UTC as the night began."""
    return dt.datetime.combine(night, dt.time.min, tzinfo=dt.UTC)


# --- Movement ------------------------------------------------------------------------------


def movement_rows(scope: ReportScope, since: dt.date, until: dt.date) -> QuerySet[MovementTally]:
    """The stored movement rows of the scope's owners and pipeline from night ``since`` to
    night ``until``, with the slip bounds of the scope's period (read first if need be),
    each annotated ``earlier_in_scope``: whether its first night's owner is in scope too."""
    key = {
        "kind": SnapshotReadingKind.MOVEMENT,
        "first_night": since,
        "second_night": until,
        "period_start": scope.period.start,
        "period_end": scope.period.end,
    }
    [reading_id] = _readings([key], _fill_movement)
    rows = MovementTally.objects.visible_to(scope.user).filter(
        scope.owner_q("owner"), reading_id=reading_id
    )
    if scope.pipeline_id is not None:
        rows = rows.filter(pipeline_id=scope.pipeline_id)
    return rows.annotate(
        earlier_in_scope=Exists(scope.owners().filter(pk=OuterRef("earlier_owner_id")))
    ).order_by()


def _fill_movement(readings: list[SnapshotReading]) -> None:
    """Every owner's movement rows of the one reading in ``readings``: two INSERT ...
    SELECTs."""
    [reading] = readings
    quote = connection.ops.quote_name
    tally, snapshot, stage, deal = (
        quote(model._meta.db_table)
        for model in (MovementTally, PipelineSnapshot, Stage, Opportunity)
    )
    dates = connection.ops.adapt_datefield_value
    columns = (
        "reading_id, owner_id, pipeline_id, currency, closing, earlier_owner_id, "
        "earlier_pipeline_id, deals, value, advanced, moved_back, slipped, slipped_value, "
        "value_changed, value_change, won, won_value, lost, lost_value"
    )
    both = "b.opportunity_id IS NOT NULL"
    slipped = (
        "b.expected_close_date >= %(start)s AND b.expected_close_date <= %(end)s AND "
        "(a.expected_close_date IS NULL OR a.expected_close_date < %(start)s "
        "OR a.expected_close_date > %(end)s)"
    )
    changed = f"{both} AND a.value <> b.value"
    # a: the second night's rows; b: the same deal's row of the first night, if it was open.
    open_rows = f"""
        INSERT INTO {tally} ({columns})
        SELECT %(reading)s, a.owner_id, a.pipeline_id, a.currency, %(no)s, b.owner_id,
            b.pipeline_id, COUNT(*), SUM(a.value),
            SUM(CASE WHEN {both} AND sa.position > sb.position THEN 1 ELSE 0 END),
            SUM(CASE WHEN {both} AND sa.position < sb.position THEN 1 ELSE 0 END),
            SUM(CASE WHEN {slipped} THEN 1 ELSE 0 END),
            SUM(CASE WHEN {slipped} THEN a.value ELSE 0 END),
            SUM(CASE WHEN {changed} THEN 1 ELSE 0 END),
            SUM(CASE WHEN {changed} THEN a.value - b.value ELSE 0 END),
            0, 0, 0, 0
        FROM {snapshot} a
        JOIN {stage} sa ON sa.id = a.stage_id
        LEFT JOIN {snapshot} b ON b.opportunity_id = a.opportunity_id AND b.taken_on = %(first)s
        LEFT JOIN {stage} sb ON sb.id = b.stage_id
        WHERE a.taken_on = %(second)s
        GROUP BY a.owner_id, a.pipeline_id, a.currency, b.owner_id, b.pipeline_id
    """
    closing_rows = f"""
        INSERT INTO {tally} ({columns})
        SELECT %(reading)s, b.owner_id, b.pipeline_id, b.currency, %(yes)s, NULL, NULL,
            0, 0, 0, 0, 0, 0, 0, 0,
            SUM(CASE WHEN d.status = %(won)s THEN 1 ELSE 0 END),
            SUM(CASE WHEN d.status = %(won)s THEN b.value ELSE 0 END),
            SUM(CASE WHEN d.status = %(lost)s THEN 1 ELSE 0 END),
            SUM(CASE WHEN d.status = %(lost)s THEN b.value ELSE 0 END)
        FROM {snapshot} b JOIN {deal} d ON d.id = b.opportunity_id
        WHERE b.taken_on = %(first)s AND d.closed_at >= %(from)s AND d.closed_at < %(to)s
            AND d.status IN (%(won)s, %(lost)s)
        GROUP BY b.owner_id, b.pipeline_id, b.currency
    """
    times = connection.ops.adapt_datetimefield_value
    parameters = {
        "reading": reading.pk,
        "yes": True,
        "no": False,
        "first": dates(reading.first_night),
        "second": dates(reading.second_night),
        "start": dates(reading.period_start),
        "end": dates(reading.period_end),
        "from": times(cutoff(reading.first_night)),
        "to": times(cutoff(reading.second_night)),
        "won": OpportunityStatus.WON,
        "lost": OpportunityStatus.LOST,
    }
    with connection.cursor() as cursor:
        cursor.execute(open_rows, parameters)
        cursor.execute(closing_rows, parameters)


# --- Period openings (the backtest) --------------------------------------------------------


def opening_rows(scope: ReportScope, periods: list[Period]) -> QuerySet[OpeningTally]:
    """The stored opening rows of the scope's owners and pipeline for ``periods``: the deals
    open on each period's first night and expected to close within it (the readings found
    in one query, the missing ones read in a fixed few)."""
    ids = _readings(
        [
            {
                "kind": SnapshotReadingKind.OPENING,
                "first_night": period.start,
                "second_night": period.start,
                "period_start": period.start,
                "period_end": period.end,
            }
            for period in periods
        ],
        _fill_openings,
    )
    rows = OpeningTally.objects.visible_to(scope.user).filter(
        scope.owner_q("owner"), reading_id__in=ids
    )
    if scope.pipeline_id is not None:
        rows = rows.filter(pipeline_id=scope.pipeline_id)
    return rows.order_by()


def _fill_openings(readings: list[SnapshotReading]) -> None:
    """Every owner's opening rows of ``readings``: one INSERT ... SELECT for them all."""
    quote = connection.ops.quote_name
    tally, snapshot = (quote(model._meta.db_table) for model in (OpeningTally, PipelineSnapshot))
    dates = connection.ops.adapt_datefield_value
    if connection.vendor == "postgresql":
        # Bare parameters in a UNION have no type PostgreSQL can infer.
        one = (
            "SELECT CAST(%s AS integer) AS id, CAST(%s AS date) AS night, "
            "CAST(%s AS date) AS first_day, CAST(%s AS date) AS last_day"
        )
    else:
        one = "SELECT %s AS id, %s AS night, %s AS first_day, %s AS last_day"
    chosen = " UNION ALL ".join([one] * len(readings))
    parameters: list[Any] = [ForecastCategory.COMMIT]
    for reading in readings:
        parameters += [
            reading.pk,
            dates(reading.first_night),
            dates(reading.period_start),
            dates(reading.period_end),
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {tally} (
                reading_id, owner_id, pipeline_id, currency, stage_id, probability, total,
                commit_value
            )
            SELECT r.id, s.owner_id, s.pipeline_id, s.currency, s.stage_id, s.probability,
                SUM(s.value), SUM(CASE WHEN s.forecast_category = %s THEN s.value ELSE 0 END)
            FROM ({chosen}) r
            JOIN {snapshot} s ON s.taken_on = r.night
                AND s.expected_close_date >= r.first_day AND s.expected_close_date <= r.last_day
            GROUP BY r.id, s.owner_id, s.pipeline_id, s.currency, s.stage_id, s.probability
            """,
            parameters,
        )


def opening_sums(rows: QuerySet[OpeningTally]) -> Iterable[tuple[Any, ...]]:
    """The rows summed as the backtest groups snapshots: night, owner's team, currency,
    stage and recorded probability."""
    return (
        rows.values("reading__first_night", "owner__team_id", "currency", "stage_id", "probability")
        .annotate(sum_total=Sum("total"), sum_commit=Sum("commit_value"))
        .values_list(
            "reading__first_night",
            "owner__team_id",
            "currency",
            "stage_id",
            "probability",
            "sum_total",
            "sum_commit",
        )
    )


# --- Reading and locking -------------------------------------------------------------------


Fill = Callable[[list[SnapshotReading]], None]


def _readings(keys: list[dict[str, Any]], fill: Fill) -> list[int]:
    """The ids of the readings ``keys``; those not stored yet are read now, together."""
    ids = _stored(keys)
    if len(ids) == len(keys):
        return list(ids.values())
    # No savepoint: a failure fails the report, and a report's queries stay fixed.
    with transaction.atomic(savepoint=False):
        _lock("pg_advisory_xact_lock")
        ids = _stored(keys)  # a report that held the lock first may have read some
        missing = [SnapshotReading(**key) for key in keys if _key_of(key) not in ids]
        if missing:
            SnapshotReading.objects.bulk_create(missing)
            fill(missing)
            ids |= {_key_of(vars(reading)): reading.pk for reading in missing}
    return [ids[_key_of(key)] for key in keys]


KEY = ("kind", "first_night", "second_night", "period_start", "period_end")


def _key_of(fields: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(fields[name] for name in KEY)


def _stored(keys: list[dict[str, Any]]) -> dict[tuple[Any, ...], int]:
    """The stored readings among ``keys``, by key (one query)."""
    wanted = Q()
    for key in keys:
        wanted |= Q(**key)
    found = SnapshotReading.objects.filter(wanted).values_list("pk", *KEY)
    return {tuple(key): pk for pk, *key in found}


def share_reading_lock() -> None:
    """For a write about to drop readings: wait for a fill in progress, and make the next
    one wait for this transaction's commit."""
    _lock("pg_advisory_xact_lock_shared")


def _lock(function: str) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, 0)", [READING_LOCK])
