"""The forecasting app's nightly jobs: the pipeline snapshot and the rollups' recount.

Like every app's jobs it takes the day it runs for and returns the number of rows it
changed.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from forecasting.models import PipelineSnapshot
from forecasting.observed_upkeep import oldest_kept
from forecasting.observed_upkeep import prune as prune_observed
from forecasting.rollup_upkeep import rebuild
from forecasting.snapshot_upkeep import forget_nights
from forecasting.snapshot_upkeep import prune as prune_readings
from pipeline.models import Opportunity, OpportunityStatus, Stage


def take_pipeline_snapshot(day: dt.date) -> int:
    """Copy every open deal's stage, value, probability, owner and close date for ``day``.

    One INSERT ... SELECT; the unique (taken_on, opportunity) constraint makes a second run
    for the same day insert nothing. The snapshot is of the deals as they are when it runs:
    a run for a past day does not reconstruct that day.
    """
    quote = connection.ops.quote_name
    snapshot, deal, stage = (
        quote(model._meta.db_table) for model in (PipelineSnapshot, Opportunity, Stage)
    )
    sql = f"""
        INSERT INTO {snapshot} (
            taken_on, opportunity_id, pipeline_id, stage_id, owner_id, value, currency,
            probability, forecast_category, expected_close_date
        )
        SELECT %s, deal.id, deal.pipeline_id, deal.stage_id, deal.owner_id, deal.value,
            deal.currency, stage.probability, deal.forecast_category, deal.expected_close_date
        FROM {deal} AS deal JOIN {stage} AS stage ON stage.id = deal.stage_id
        WHERE deal.status = %s
        ON CONFLICT (taken_on, opportunity_id) DO NOTHING
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # A report that read the night before it was taken read it empty.
        forget_nights([day])
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day), OpportunityStatus.OPEN])
        return max(cursor.rowcount, 0)


def recount_rollups(day: dt.date) -> int:
    """Recount every owner's rollups from the deals, and every person's activity rollups
    from their touchpoints and tasks, and rewrite those that differ; the
    rows that differed (0 on a night when the services kept them exact, as they should).
    Also starts keeping them in a time zone a user has newly chosen.

    The stored counts of ended periods (``forecasting.observed_periods``) are kept exact as
    history is rewritten, so they are not recounted: only those of zones no longer kept
    and of periods older than any current report reads are dropped (not counted here), and
    so are the stored snapshot readings no current report reads."""
    differing = rebuild()
    prune_observed(day)
    prune_readings(day, oldest_kept(day))
    return differing
