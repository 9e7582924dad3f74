"""How the rollups stay exact: changed by the services that change deals, rebuilt by the
nightly run and after imports.

- A service changing deals (``pipeline.services.reporting.deals_changing``) sends
  ``pipeline.signals.deals_changing`` inside its transaction, after it has locked the
  deals and before it writes them. ``follow_deals`` reads what the deals were; when the
  service has written them, it reads what they are and adds the difference to the rollup
  rows (``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``). Increments commute,
  so concurrent changes to the same rows need no ordering beyond the row locks they take
  (in key order, so two of them cannot deadlock). The same before and after tell
  ``forecasting.observed_upkeep`` which stored counts of ended periods the change made
  stale.
- ``rebuild`` recounts owners' rows from their deals. On PostgreSQL it holds, per owner,
  an advisory lock that every change of that owner's rows shares: a change either
  commits before the recount reads the deals, or adds its difference after the recount
  commits, never in between.
- A zone's rows are read only once every owner has been recounted in it (``ready``), and
  every person's activity (``forecasting.activity_upkeep``, kept the same way).
- The funnel rollups read each stage's kind and position as they are when a deal
  changes. A reorder of a pipeline's stages (``pipeline.signals.stages_reordered``)
  changes what every deal of it adds at once, which cannot be followed per deal: it
  marks every zone's funnel rows not ready (``funnel_ready``), so the funnel counts from
  the history until the nightly rebuild; the other rollups compare no positions.
  A stage's kind never changes, and its other settings (``update_stage``) are not read;
  removing a stage moves its deals through ``deals_changing`` like any other move.

``drift`` recounts everything in memory and lists the rows that differ: the nightly run
reports it, and the tests compare after every kind of change.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from accounts.models import User
from forecasting.activity_rows import ACTIVITY_ROLLUPS
from forecasting.models import ReportZone
from forecasting.observed_upkeep import follow_facts
from forecasting.rollup_rows import (
    FACT_COLUMNS,
    ROLLUPS,
    VISIT_COLUMNS,
    DealFacts,
    Key,
    Rollup,
    StageVisit,
    Tally,
    tally,
)
from forecasting.snapshot_upkeep import follow_facts as follow_snapshot_facts
from pipeline.models import Opportunity, StageChange

# The first key of PostgreSQL's two-key advisory locks: "rollups of owner <second key>".
OWNER_LOCK = 7_401
BATCH = 5_000


def zones(*, ready_only: bool = False) -> list[str]:
    names = ReportZone.objects.order_by("name")
    if ready_only:
        names = names.filter(ready=True)
    return list(names.values_list("name", flat=True))


def wanted_zones() -> list[str]:
    """The site's zone and every active user's."""
    named = set(
        User.objects.filter(is_active=True)
        .exclude(time_zone="")
        .values_list("time_zone", flat=True)
    )
    return sorted(named | {settings.TIME_ZONE})


def facts_of(deal_ids: Collection[int], *, lock: bool = False) -> list[DealFacts]:
    """The deals' reported columns; ``lock``: and their rows locked until commit (a
    service has locked them already; an import has not)."""
    deals = Opportunity.objects.filter(pk__in=deal_ids)
    if lock:
        deals = deals.select_for_update(of=("self",))
    rows = list(deals.order_by("pk").values_list(*FACT_COLUMNS))
    if not rows:
        return []
    # The deals are locked: their history cannot change before they are written.
    visits: dict[int, list[StageVisit]] = {}
    changes = StageChange.objects.filter(opportunity_id__in=[row[0] for row in rows])
    for deal_id, *visit in changes.order_by("opportunity_id", "at", "pk").values_list(
        *VISIT_COLUMNS
    ):
        visits.setdefault(deal_id, []).append(StageVisit(*visit))
    return [DealFacts._make((*row, tuple(visits.get(row[0], ())))) for row in rows]


def follow_deals(
    sender: Any, opportunity_ids: Collection[int], new: bool = False, **kwargs: Any
) -> Callable[[], None]:
    """Receiver of ``deals_changing``: what the deals were now; the rollups' difference
    once the service has changed them (the callable it returns)."""
    before = [] if new else facts_of(opportunity_ids, lock=True)

    def changed() -> None:
        after = facts_of(opportunity_ids)
        if after == before:
            return  # an edit of the title, a card moved within its column: nothing reported
        # The stored counts of ended periods read the same deals' owners and pipelines.
        follow_facts(before, after)
        follow_snapshot_facts(before, after)
        owners = {deal.owner_id for deal in before} | {deal.owner_id for deal in after}
        share_locks(OWNER_LOCK, owners)
        # Read after the locks: a zone added meanwhile gets this change too.
        names = zones()
        apply(tally(after, names).minus(tally(before, names)))

    return changed


def forget_stage_order(sender: Any, **kwargs: Any) -> None:
    """Receiver of ``stages_reordered``: no zone's funnel rows are read until the next full
    rebuild (the other rollups do not compare stage positions)."""
    ReportZone.objects.update(funnel_ready=False)


def apply(difference: Tally) -> None:
    """Add ``difference`` to the rollup rows, creating the rows it needs."""
    for rollup in difference.rollups:
        rows = sorted(difference.rows[rollup].items())
        for start in range(0, len(rows), BATCH):
            _upsert(rollup, rows[start : start + BATCH])


def _upsert(rollup: Rollup, rows: list[tuple[Key, list[Any]]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [*rollup.keys, *rollup.sums]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sets = ", ".join(
        f"{quote(name)} = {quote(rollup.table)}.{quote(name)} + excluded.{quote(name)}"
        for name in rollup.sums
    )
    sql = (
        f"INSERT INTO {quote(rollup.table)} ({', '.join(quote(name) for name in columns)}) "
        f"VALUES {', '.join([one] * len(rows))} "
        f"ON CONFLICT ({', '.join(quote(name) for name in rollup.keys)}) DO UPDATE SET {sets}"
    )
    params = [value for key, sums in rows for value in (*key, *sums)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def share_locks(first_key: int, ids: Iterable[int]) -> None:
    """Take the shared advisory locks (``first_key``, id) a change holds against a recount
    of those ids' rows, in id order so that two changes cannot deadlock."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time
    keys = sorted(ids)
    if not keys:
        return
    # One statement for all (a stage's removal moves the deals of many owners), taken in
    # key order: PostgreSQL calls a volatile function in the select list after sorting.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, key) "
            "FROM unnest(%s::integer[]) AS key ORDER BY key",
            [first_key, keys],
        )


def rebuild(
    owner_ids: Collection[int] | None = None, *, progress: Callable[[str], None] | None = None
) -> int:
    """Recount the rollups of ``owner_ids`` (every owner when None) from their deals, one
    owner per transaction, rewriting an owner's rows where they differ. A full rebuild
    first adds the zones now wanted and drops the others, recounts the activity rollups
    (``forecasting.activity_upkeep``) too, and marks the zones ready at the end. Returns
    the number of rows that differed (0: the rollups were exact)."""
    say = progress or (lambda message: None)
    if owner_ids is None:
        names = wanted_zones()
        with transaction.atomic():
            ReportZone.objects.exclude(name__in=names).delete()
            for rollup in (*ROLLUPS, *ACTIVITY_ROLLUPS):
                rollup.model._default_manager.exclude(zone__in=names).delete()
            for name in names:
                ReportZone.objects.get_or_create(name=name)
        owners = sorted(
            set(Opportunity.objects.values_list("owner_id", flat=True).distinct())
            | _owners_with_rows()
        )
    else:
        owners = sorted(owner_ids)
    differing = 0
    for index, owner_id in enumerate(owners, start=1):
        with transaction.atomic():
            differing += _recount_owner(owner_id)
        say(f"rollups: {index:,}/{len(owners):,} owners recounted, {differing:,} rows differed")
    if owner_ids is None:
        # Imported here: the activity upkeep builds on this module's writing of rows.
        from forecasting.activity_upkeep import rebuild_activity

        differing += rebuild_activity()
        say(f"rollups: activity recounted, {differing:,} rows differed")
        ReportZone.objects.update(ready=True, funnel_ready=True)
    return differing


def _owners_with_rows() -> set[int]:
    return keys_with_rows(ROLLUPS, "owner_id")


def _recount_owner(owner_id: int) -> int:
    return rewrite_if_different(
        ROLLUPS,
        "owner_id",
        owner_id,
        lock=OWNER_LOCK,
        count=lambda names: recount(Opportunity.objects.filter(owner_id=owner_id), names),
    )


def keys_with_rows(rollups: tuple[Rollup, ...], column: str) -> set[int]:
    """The owners (or people) at ``column`` that have rows in ``rollups``."""
    found: set[int] = set()
    for rollup in rollups:
        found |= set(rollup.model._default_manager.values_list(column, flat=True).distinct())
    return found


def rewrite_if_different(
    rollups: tuple[Rollup, ...],
    column: str,
    key: int,
    *,
    lock: int,
    count: Callable[[list[str]], Tally],
) -> int:
    """Recount the rows of ``rollups`` whose ``column`` is ``key`` with ``count(zones)``,
    under the exclusive advisory lock (``lock``, ``key``) that changes share, and rewrite
    them where they differ; the number of rows that differed. Inside a transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [lock, key])
    names = zones()
    counted = count(names)
    differing = len(differences(stored(rollups, names, **{column: key}), counted))
    if differing:
        for rollup in rollups:
            rollup.model._default_manager.filter(**{column: key}).delete()
        apply(counted)
    return differing


def recount(deals: Any, names: list[str]) -> Tally:
    """What ``deals`` (a queryset) add up to in ``names``, read in batches."""
    counted = Tally()
    tally(_with_history(deals), names, into=counted)
    return counted


def _with_history(deals: Any) -> Iterator[DealFacts]:
    """The facts of ``deals`` with their stage histories: both read in deal order, in
    batches, and merged as they come."""
    rows = deals.order_by("pk").values_list(*FACT_COLUMNS).iterator(chunk_size=BATCH)
    visits = (
        StageChange.objects.filter(opportunity__in=deals.values("pk"))
        .order_by("opportunity_id", "at", "pk")
        .values_list(*VISIT_COLUMNS)
        .iterator(chunk_size=BATCH)
    )
    pending = next(visits, None)
    for row in rows:
        history = []
        # A change of a deal the first read did not see (added meanwhile) is skipped.
        while pending is not None and pending[0] <= row[0]:
            if pending[0] == row[0]:
                history.append(StageVisit(*pending[1:]))
            pending = next(visits, None)
        yield DealFacts._make((*row, tuple(history)))


def stored(rollups: tuple[Rollup, ...], names: list[str], **filters: Any) -> Tally:
    """The rows of ``rollups`` kept in ``names`` (narrowed by ``filters``), as a tally."""
    kept = Tally(rollups)
    for rollup in rollups:
        rows = rollup.model._default_manager.filter(zone__in=names, **filters)
        width = len(rollup.keys)
        for row in rows.values_list(*rollup.keys, *rollup.sums).iterator(chunk_size=BATCH):
            kept.add(rollup, tuple(row[:width]), row[width:])
    return kept


def differences(stored: Tally, counted: Tally) -> list[str]:
    """Each row whose sums differ, as "table key: stored sums, recounted sums"; rows
    of zeros count as no row."""
    found = []
    for rollup in counted.rollups:
        have = {key: sums for key, sums in stored.rows[rollup].items() if any(sums)}
        want = {key: sums for key, sums in counted.rows[rollup].items() if any(sums)}
        for key in sorted(set(have) | set(want), key=repr):
            if have.get(key) != want.get(key):
                found.append(f"{rollup.table} {key}: {have.get(key)}, recounted {want.get(key)}")
    return found


def drift() -> list[str]:
    """The rollup rows that differ from a full recount of every deal (empty when the
    rollups are exact); nothing is written."""
    names = zones()
    return differences(stored(ROLLUPS, names), recount(Opportunity.objects.all(), names))
