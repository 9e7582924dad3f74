"""How the stored counts of ended periods (``forecasting.observed_periods``) stay exact.

A period is stored once it ended ``SETTLE`` ago, counted from the stage history before
its end, which nothing done now changes (a move now is recorded now, and commits well
within ``SETTLE``). Its counts change only when that history is rewritten, and then the
owners' rows and marks are dropped, to be counted again on the next read:

- a deal's owner or pipeline changes (its rows move to another owner or pipeline), or
  the deal is deleted: the owners before and after (``follow_facts``, from what the
  receiver of ``pipeline.signals.deals_changing`` reads; every service changing those
  columns and the admin's deletes send it);
- a deal is added with a creation time over ``SETTLE`` ago (its history may lie in a
  stored period), or a change of past history is announced
  (``pipeline.signals.history_rewritten``: a stage change deleted in the admin, deals
  an import put into a stage): the deals' owners;
- a stage is saved with a possibly changed kind (the admin can change it; an open stage
  is where deals are observed, a won stage what they reach): the owners of every deal
  whose history enters the stage. A stage is deleted only when no history refers to it
  (``StageChange`` protects it), so deleting one changes no count.

Dropping takes each owner's advisory lock exclusively, so that a read counting the owner
meanwhile stores its rows before they are dropped (see ``forecasting.observed_periods``).

``drift`` recounts every stored period of the owners marked and lists the rows that
differ (the tests compare after every kind of rewrite). ``prune`` (the nightly run) drops
the rows and marks of zones no longer kept and of periods starting before the oldest
window a current report reads; the rest stay, exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from forecasting.models import ObservedFill, ObservedPeriod, PeriodKind, ReportZone
from forecasting.observed import WINDOW_MONTHS, observed_by_owner
from forecasting.observed_periods import SETTLE, take_owner_locks
from forecasting.periods import month_of, quarter_of
from pipeline.models import Opportunity, Stage, StageChange

if TYPE_CHECKING:
    from forecasting.rollup_rows import DealFacts


def forget(owner_ids: Iterable[int]) -> None:
    """Drop the stored counts and fill marks of ``owner_ids`` in every zone and period."""
    owners = sorted(set(owner_ids))
    if not owners:
        return
    take_owner_locks(owners)
    # Rows first, marks last, here and in ``prune``: a mark never outlives its rows.
    ObservedPeriod.objects.filter(owner_id__in=owners).delete()
    ObservedFill.objects.filter(owner_id__in=owners).delete()


def follow_facts(before: list[DealFacts], after: list[DealFacts]) -> None:
    """Drop the counts a change to deals made stale: ``before`` and ``after`` are the deals
    as ``rollup_upkeep.follow_deals`` (the receiver of ``deals_changing``) read them before
    and after the change (``before`` empty for deals just added). It reads them for the
    rollups anyway: two receivers would read every changed deal twice more."""
    was = {deal.pk: deal for deal in before}
    now = {deal.pk: deal for deal in after}
    # A deal added now has its history from now on, in no stored period; one added with
    # history from before ``SETTLE`` ago (its creation time, or it would not be added
    # with it) may have some there.
    since = timezone.now() - SETTLE
    owners: set[int] = set()
    for pk, old in was.items():
        new = now.get(pk)
        if new is None or (new.owner_id, new.pipeline_id) != (old.owner_id, old.pipeline_id):
            owners.add(old.owner_id)
            if new is not None:
                owners.add(new.owner_id)
    owners |= {
        deal.owner_id for pk, deal in now.items() if pk not in was and deal.created_at < since
    }
    forget(owners)


def follow_history(sender: Any, opportunity_ids: Collection[int], **kwargs: Any) -> None:
    """Receiver of ``history_rewritten``: the deals' owners' stored counts dropped."""
    deals = Opportunity.objects.filter(pk__in=opportunity_ids).order_by()
    forget(deals.values_list("owner_id", flat=True).distinct())


def follow_stage(
    sender: Any,
    instance: Stage,
    created: bool = False,
    update_fields: Collection[str] | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``Stage``'s ``post_save``: a save that may change the stage's kind
    drops the counts of the owners of deals whose history enters it."""
    if created or (update_fields is not None and "kind" not in update_fields):
        return
    entered = StageChange.objects.filter(to_stage_id=instance.pk).values("opportunity_id")
    owners = (
        Opportunity.objects.filter(pk__in=entered)
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )
    forget(owners)


def oldest_kept(day: dt.date) -> dt.date:
    """The first period start a report of the current month or quarter reads."""
    start = quarter_of(day).start
    months = start.year * 12 + start.month - 1 - WINDOW_MONTHS
    return dt.date(months // 12, months % 12 + 1, 1)


def prune(day: dt.date) -> int:
    """Drop the stored counts and marks of zones no longer kept and of periods starting
    before ``oldest_kept(day)`` (a report of an older period counts them again); the
    number of rows dropped."""
    kept = ReportZone.objects.values("name")
    stale = ~Q(zone__in=kept) | Q(start__lt=oldest_kept(day))
    dropped = ObservedPeriod.objects.filter(stale).delete()[0]
    return dropped + ObservedFill.objects.filter(stale).delete()[0]


def drift() -> list[str]:
    """The stored rows of marked owners that differ from a recount, as "zone kind start
    key: stored, recounted" (empty when exact); nothing is written. One count per zone
    and period stored."""
    differences = []
    periods = ObservedFill.objects.order_by().values_list("zone", "kind", "start").distinct()
    for zone, kind, start in sorted(periods):
        marks = ObservedFill.objects.filter(zone=zone, kind=kind, start=start)
        owners = sorted(marks.values_list("owner_id", flat=True))
        with timezone.override(zone):
            period = quarter_of(start) if kind == PeriodKind.QUARTER else month_of(start)
            counted = {
                key: (chance.observed, chance.won)
                for key, chance in observed_by_owner(owners, period).items()
            }
        rows = ObservedPeriod.objects.filter(
            zone=zone, kind=kind, start=start, owner_id__in=owners
        ).values_list("owner_id", "pipeline_id", "stage_id", "bucket", "observed", "reached_won")
        stored = {tuple(row[:4]): tuple(row[4:]) for row in rows}
        for key in sorted(set(stored) | set(counted)):
            if stored.get(key) != counted.get(key):
                differences.append(
                    f"{zone} {kind} {start} {key}: {stored.get(key)}, recounted {counted.get(key)}"
                )
    return differences
