"""Pipeline snapshots for days before a deal was in this CRM, rebuilt from its stage history.

The nightly snapshot (``forecasting.jobs.take_pipeline_snapshot``) copies each open deal as
it is on the night it runs; it cannot look back. Deals imported with their history have
StageChange rows going back months, and forecast-accuracy and pipeline-movement reports
want the snapshots those nights would have taken. This module writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection

from forecasting.models import PipelineSnapshot
from forecasting.snapshot_upkeep import forget_nights
from pipeline.models import (
    ForecastCategory,
    Opportunity,
    OpportunityStatus,
    Stage,
    StageChange,
    StageKind,
)

# Deals per statement: SQLite binds at most 999 parameters, and a chunk's months take some.
CHUNK_SIZE = {"postgresql": 5000}
DEFAULT_CHUNK_SIZE = 500


def month_starts(since: dt.datetime, today: dt.date) -> list[dt.date]:
    """The first days of months that begin (at midnight UTC) at or after ``since``, before
    ``today``: the nights a deal that existed from ``since`` could have been snapshot."""
    start = since.astimezone(dt.UTC)
    month = dt.date(start.year, start.month, 1)
    if dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC) < start:
        month = _next_month(month)
    days: list[dt.date] = []
    while month < today:
        days.append(month)
        month = _next_month(month)
    return days


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def snapshots_from_history(
    deal_ids: Sequence[int],
    *,
    since: dt.datetime,
    today: dt.date,
    nights: Sequence[dt.date] = (),
) -> int:
    """Write the snapshots of the first day of each month from ``since`` to before ``today``
    on which each deal of ``deal_ids`` was open, from its StageChange history; the rows
    written. ``since``: the earliest stage entry of these deals that the snapshots should
    reflect (the import that wrote the entries knows it without a query).

    A deal's snapshot for day D is the deal as it stood when D began (midnight UTC, the
    nightly job's cut-off): the stage of its last entry at or before then, when that stage is
    open, with that stage's probability. The history records stages and nothing else, so
    value, currency, owner and expected close date are the deal's as imported, and the
    forecast category is the deal's own while it is open and Pipeline for a deal since
    closed (what it was forecast as back then is not known).

    Months, not weeks: a 15-month history of 100,000 deals gives about a million rows at
    most by month, over four million by week, and the import that calls this has its time
    budget; weekly reports read the nightly snapshots from the import on. Days that already
    have a snapshot keep it (unique taken_on and opportunity), so a second call, or a
    re-import, writes nothing twice. One INSERT ... SELECT per chunk of deals, none when no
    month began between ``since`` and ``today``.

    ``nights``: more days to write besides the months' first days (the demo adds the last
    weeks' nights, which a running installation's nightly job would have written).
    """
    days = sorted(set(month_starts(since, today)) | {night for night in nights if night < today})
    if not days:
        return 0
    size = CHUNK_SIZE.get(connection.vendor, DEFAULT_CHUNK_SIZE)
    forget_nights(days)
    written = 0
    for offset in range(0, len(deal_ids), size):
        written += _insert_snapshots(list(deal_ids[offset : offset + size]), days)
    return written


def _insert_snapshots(deal_ids: list[int], days: list[dt.date]) -> int:
    quote = connection.ops.quote_name
    snapshot, deal, stage, change = (
        quote(model._meta.db_table) for model in (PipelineSnapshot, Opportunity, Stage, StageChange)
    )
    if connection.vendor == "postgresql":
        # Bare parameters in a UNION have no type PostgreSQL can infer.
        night = (
            "SELECT CAST(%s AS date) AS taken_on, CAST(%s AS timestamp with time zone) AS cutoff"
        )
    else:
        night = "SELECT %s AS taken_on, %s AS cutoff"
    nights = " UNION ALL ".join([night] * len(days))
    parameters: list[Any] = []
    for day in days:
        cutoff = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        parameters += [
            connection.ops.adapt_datefield_value(day),
            connection.ops.adapt_datetimefield_value(cutoff),
        ]
    ids = ", ".join(["%s"] * len(deal_ids))
    # Each entry lasts until the deal's next one: the stage it was in at a cut-off is the
    # entry that began at or before it and had not ended by then. Written night by night,
    # so that a report reading one night finds its rows together, as the nightly job's are.
    sql = f"""
        INSERT INTO {snapshot} (
            taken_on, opportunity_id, pipeline_id, stage_id, owner_id, value, currency,
            probability, forecast_category, expected_close_date
        )
        SELECT night.taken_on, deal.id, stage.pipeline_id, stage.id, deal.owner_id, deal.value,
            deal.currency, stage.probability,
            CASE WHEN deal.status = %s THEN deal.forecast_category ELSE %s END,
            deal.expected_close_date
        FROM (
            SELECT opportunity_id, to_stage_id, at,
                LEAD(at) OVER (PARTITION BY opportunity_id ORDER BY at, id) AS until
            FROM {change}
            WHERE opportunity_id IN ({ids})
        ) AS entry
        JOIN ({nights}) AS night
            ON entry.at <= night.cutoff AND (entry.until IS NULL OR entry.until > night.cutoff)
        JOIN {stage} AS stage ON stage.id = entry.to_stage_id
        JOIN {deal} AS deal ON deal.id = entry.opportunity_id
        WHERE stage.kind = %s AND (deal.closed_at IS NULL OR deal.closed_at > night.cutoff)
        ORDER BY night.taken_on, deal.id
        ON CONFLICT (taken_on, opportunity_id) DO NOTHING
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                OpportunityStatus.OPEN,
                ForecastCategory.PIPELINE,
                *deal_ids,
                *parameters,
                StageKind.OPEN,
            ],
        )
        return max(cursor.rowcount, 0)
