"""How the stored snapshot readings (``forecasting.snapshot_readings``) stay exact.

A reading is a function of a night's (or two nights') snapshot rows, of the positions of
the stages they name (the movement compares them), and, for the movement's closings, of
the status and close time of the deals closed between its nights. Each is changed only by
the writes below, which drop the readings they make stale, in their own transaction and
under the readings' shared lock:

- a night's snapshot is written (``jobs.take_pipeline_snapshot``, ``history.
  snapshots_from_history``): the readings of that night;
- a deal is deleted (its snapshots go with it), or a stage, pipeline or user is (theirs
  do): every reading;
- a stage's position changes (a reorder, a stage added or moved): every movement reading;
- a deal closed before the latest night began changes status or close time, or is added
  closed so (an import, a reopening of last week's deal): the movement readings whose
  nights span its close. A deal closed now closed after every stored reading's second night
  (the movement reads up to the latest night, which began at midnight UTC).

``prune`` (the nightly run) drops the readings no report asks for any more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from forecasting.models import MovementTally, OpeningTally, SnapshotReading, SnapshotReadingKind
from forecasting.snapshot_readings import cutoff, latest_night, share_reading_lock
from pipeline.models import Stage

if TYPE_CHECKING:
    from forecasting.rollup_rows import DealFacts


def forget(readings: Q) -> None:
    """Drop the readings matching ``readings`` and their rows (rows first)."""
    share_reading_lock()
    chosen = list(SnapshotReading.objects.filter(readings).values_list("pk", flat=True))
    if not chosen:
        return
    for model in (MovementTally, OpeningTally):
        model.objects.filter(reading__in=chosen).delete()
    SnapshotReading.objects.filter(pk__in=chosen).delete()


def forget_nights(nights: Iterable[dt.date]) -> None:
    """A snapshot of ``nights`` was written: the readings of those nights are stale."""
    nights = sorted(set(nights))
    if nights:
        forget(Q(first_night__in=nights) | Q(second_night__in=nights))


def forget_all(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of the deletes that take snapshots with them (a deal's, a stage's, a
    pipeline's, a user's): every reading."""
    forget(Q())


def forget_movements(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of ``stages_reordered``: every movement reading compared old positions."""
    forget(Q(kind=SnapshotReadingKind.MOVEMENT))


def follow_stage(
    sender: Any,
    instance: Stage,
    created: bool = False,
    update_fields: Collection[str] | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``Stage``'s ``post_save``: a save that may change positions."""
    if update_fields is not None and "position" not in update_fields:
        return
    forget_movements()


def follow_facts(before: list[DealFacts], after: list[DealFacts]) -> None:
    """Drop what a change to deals made stale (``before`` and ``after`` as
    ``rollup_upkeep.follow_deals`` read them; ``before`` empty for deals just added). A
    deleted deal's readings go by ``forget_all`` (``post_delete``), however it is deleted."""
    latest = cutoff(latest_night())
    was = {deal.pk: deal for deal in before}
    days = set()
    for deal in after:
        old = was.get(deal.pk)
        if old is not None and (old.status, old.closed_at) == (deal.status, deal.closed_at):
            continue
        days |= {
            closed.astimezone(dt.UTC).date()
            for closed in (deal.closed_at, old.closed_at if old else None)
            if closed is not None and closed < latest
        }
    if days:
        spans = Q()
        for day in sorted(days):
            spans |= Q(first_night__lte=day, second_night__gt=day)
        forget(Q(kind=SnapshotReadingKind.MOVEMENT) & spans)


def prune(day: dt.date, oldest_opening: dt.date) -> int:
    """Drop the movement readings up to a night before ``day`` (reports read up to the
    latest night) and the openings of periods before ``oldest_opening``; how many."""
    stale = Q(kind=SnapshotReadingKind.MOVEMENT, second_night__lt=day) | Q(
        kind=SnapshotReadingKind.OPENING, first_night__lt=oldest_opening
    )
    count = SnapshotReading.objects.filter(stale).count()
    forget(stale)
    return count
