"""The stored counts of ended periods behind ``forecasting.observed``: read, and filled.

For a period that has ended, each owner's counts (``ObservedPeriod``, per pipeline, open
stage and age bucket; see ``forecasting.observed`` for what is counted) are stored once
with a mark (``ObservedFill``) that they were counted, rows or none. A read counts the
visible owners without a mark, with ``forecasting.observed``'s SQL restricted to them,
stores their rows and marks, and sums the stored rows of the owners in scope: visibility
is by owner, so the sum over the visible owners is the count over the visible deals.

Two reads may count the same owner at once: both insert the same rows, and the second's
inserts do nothing (``ON CONFLICT DO NOTHING``). On PostgreSQL a read holds, per owner it
counts, an advisory lock that dropping the owner's rows (``forecasting.observed_upkeep``)
takes exclusively: rows counted before a rewrite of history are stored before it drops
them, never after.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum

from accounts.visibility import visible_owners
from forecasting.models import ObservedFill, ObservedPeriod, PeriodKind
from forecasting.periods import Period
from forecasting.scope import ReportScope

if TYPE_CHECKING:
    from forecasting.observed import Chance, OwnerKey

# The first key of PostgreSQL's two-key advisory locks: "observed periods of owner <second>".
OBSERVED_LOCK = 7_402
# How long after its end a period is stored: a write stamped before the end but committed
# after it would be missed by a count made in between. No service's transaction runs this
# long; an import, which may, drops the counts of what it writes (forecasting.observed_upkeep)
# and holds their locks until it commits.
SETTLE = dt.timedelta(hours=1)
# Rows per INSERT: well under PostgreSQL's 65,535 parameters (9 a row).
BATCH = 2_000

Counter = Callable[[list[int], Period], "dict[OwnerKey, Chance]"]


def is_settled(period: Period, now: dt.datetime) -> bool:
    """Whether ``period`` ended ``SETTLE`` or more before ``now``: its counts are stored."""
    return period.end_before <= now - SETTLE


def period_kind(period: Period) -> str:
    return PeriodKind.QUARTER if period.is_quarter else PeriodKind.MONTH


def stored_counts_by_start(
    scope: ReportScope,
    zone: str,
    periods: list[Period],
    pipeline_ids: Collection[int],
    *,
    count: Counter,
) -> dict[dt.date, dict[tuple[int, int], Chance]]:
    """Observed and reached Won per period start and (stage id, bucket index), summed over
    the owners the scope's user sees, in ``pipeline_ids``; ``periods`` all ended, of one
    kind."""
    from forecasting.observed import Chance

    kind = period_kind(periods[0])
    unfilled = _unfilled(scope, zone, kind, periods)
    if unfilled:
        _fill(zone, kind, unfilled, count)
    rows = (
        ObservedPeriod.objects.visible_to(scope.user)
        .filter(
            zone=zone,
            kind=kind,
            start__in=[period.start for period in periods],
            pipeline_id__in=pipeline_ids,
        )
        .order_by()
        .values("start", "stage_id", "bucket")
        .annotate(observed_sum=Sum("observed"), won_sum=Sum("reached_won"))
        .values_list("start", "stage_id", "bucket", "observed_sum", "won_sum")
    )
    counts: dict[dt.date, dict[tuple[int, int], Chance]] = {}
    for start, stage_id, bucket, observed, won in rows:
        counts.setdefault(start, {})[stage_id, bucket] = Chance(observed, won)
    return counts


def _unfilled(
    scope: ReportScope, zone: str, kind: str, periods: list[Period]
) -> dict[Period, list[int]]:
    """The visible owners without a mark, per period (one query)."""
    marks = {
        f"filled_{index}": Exists(
            ObservedFill.objects.filter(
                owner_id=OuterRef("pk"), zone=zone, kind=kind, start=period.start
            )
        )
        for index, period in enumerate(periods)
    }
    unfilled: dict[Period, list[int]] = {}
    owners = visible_owners(scope.user).order_by("pk").annotate(**marks)
    for owner_id, *filled in owners.values_list("pk", *marks):
        for period, done in zip(periods, filled, strict=True):
            if not done:
                unfilled.setdefault(period, []).append(owner_id)
    return unfilled


def _fill(zone: str, kind: str, unfilled: dict[Period, list[int]], count: Counter) -> None:
    """Count and store the rows and marks of the owners in ``unfilled``, in one transaction
    (no savepoint: a failure here fails the read, and a request's queries stay fixed)."""
    with transaction.atomic(savepoint=False):
        share_owner_locks({owner for owners in unfilled.values() for owner in owners})
        rows, marks = [], []
        for period, owner_ids in unfilled.items():
            for (owner_id, pipeline_id, stage_id, bucket), chance in count(
                owner_ids, period
            ).items():
                rows.append(
                    ObservedPeriod(
                        zone=zone,
                        kind=kind,
                        start=period.start,
                        owner_id=owner_id,
                        pipeline_id=pipeline_id,
                        stage_id=stage_id,
                        bucket=bucket,
                        observed=chance.observed,
                        reached_won=chance.won,
                    )
                )
            marks += [
                ObservedFill(zone=zone, kind=kind, start=period.start, owner_id=owner_id)
                for owner_id in owner_ids
            ]
        # In key order: two reads inserting the same keys wait for each other in one order,
        # so neither waits for a key the other holds while holding one it wants.
        rows.sort(
            key=lambda row: (row.start, row.owner_id, row.pipeline_id, row.stage_id, row.bucket)
        )
        marks.sort(key=lambda mark: (mark.start, mark.owner_id))
        if rows:
            ObservedPeriod.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        ObservedFill.objects.bulk_create(marks, batch_size=BATCH, ignore_conflicts=True)


def share_owner_locks(owner_ids: Iterable[int]) -> None:
    _owner_locks(owner_ids, "pg_advisory_xact_lock_shared")


def take_owner_locks(owner_ids: Iterable[int]) -> None:
    _owner_locks(owner_ids, "pg_advisory_xact_lock")


def _owner_locks(owner_ids: Iterable[int], function: str) -> None:
    """The owners' advisory locks until commit, in owner order (so that two holders cannot
    deadlock), in one statement whatever their number."""
    owners = sorted(set(owner_ids))
    if connection.vendor != "postgresql" or not owners:
        return  # SQLite runs one writer at a time
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT({function}(%s, owners.id)) FROM "
            "(SELECT unnest(%s::int[]) AS id ORDER BY 1) owners",
            [OBSERVED_LOCK, owners],
        )
