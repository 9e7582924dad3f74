"""How the activity rollups stay exact, as ``forecasting.rollup_upkeep`` keeps the deals'.

- A service writing touchpoints or tasks (``pipeline.services.reporting.activity_changing``)
  sends ``pipeline.signals.activity_changing`` inside its transaction, before it writes
  them. ``follow_activity`` locks the rows and reads what they were; once they are written
  it reads what they are and adds the difference to the rows (commutative upserts, in key
  order, under a lock shared per person).
- Deleting a touchpoint or task, by hand or by a cascade from what it is about, sends
  Django's ``pre_delete``: ``forget_activity`` takes the row's contribution out.
- ``rebuild_activity`` recounts people's rows, one person per transaction, under that
  person's exclusive advisory lock: a change commits before the recount reads, or adds
  its difference after the recount commits. ``rollup_upkeep.rebuild`` runs it for every
  person before it marks the zones ready.

``drift_activity`` recounts everything in memory and lists the rows that differ.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from django.db import models, transaction

from forecasting.activity_rows import (
    ACTIVITY_ROLLUPS,
    TASK_COLUMNS,
    TOUCHPOINT_COLUMNS,
    TaskFacts,
    TouchpointFacts,
    activity_tally,
)
from forecasting.rollup_rows import Tally
from forecasting.rollup_upkeep import (
    BATCH,
    apply,
    differences,
    keys_with_rows,
    rewrite_if_different,
    share_locks,
    stored,
    zones,
)
from pipeline.models import Task, Touchpoint

# The first key of PostgreSQL's two-key advisory locks: "activity rollups of person <key>".
PERSON_LOCK = 7_402


def _facts(model: type[models.Model], ids: Collection[int], *, lock: bool = False) -> list[Any]:
    rows = model._default_manager.filter(pk__in=ids)
    if lock:
        rows = rows.select_for_update(of=("self",))
    if model is Touchpoint:
        found = rows.order_by("pk").values_list(*TOUCHPOINT_COLUMNS)
        return [TouchpointFacts(*row) for row in found]
    return [TaskFacts(*row) for row in rows.order_by("pk").values_list(*TASK_COLUMNS)]


def _tally(model: type[models.Model], facts: list[Any], names: list[str]) -> Tally:
    if model is Touchpoint:
        return activity_tally(facts, [], names)
    return activity_tally([], facts, names)


def _people(facts: Iterable[Any]) -> set[int]:
    return {fact[1] for fact in facts if fact[1] is not None}


def follow_activity(
    sender: type[models.Model], ids: Collection[int], new: bool = False, **kwargs: Any
) -> Callable[[], None]:
    """Receiver of ``activity_changing``: what the rows were now; the rollups' difference
    once the service has written them (the callable it returns)."""
    before = [] if new else _facts(sender, ids, lock=True)

    def changed() -> None:
        after = _facts(sender, ids)
        if after == before:
            return  # a summary or a due time changed, or nothing did
        share_locks(PERSON_LOCK, _people(before) | _people(after))
        names = zones()  # after the locks: a zone added meanwhile gets this change too
        apply(_tally(sender, after, names).minus(_tally(sender, before, names)))

    return changed


def forget_activity(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """Receiver of ``pre_delete`` for touchpoints and tasks: take out what the row added."""
    if sender is Touchpoint:
        facts: list[Any] = [TouchpointFacts(*(getattr(instance, c) for c in TOUCHPOINT_COLUMNS))]
    else:
        facts = [TaskFacts(*(getattr(instance, c) for c in TASK_COLUMNS))]
    people = _people(facts)
    if not people:
        return
    share_locks(PERSON_LOCK, people)
    names = zones()
    apply(Tally(ACTIVITY_ROLLUPS).minus(_tally(sender, facts, names)))


def rebuild_activity(person_ids: Collection[int] | None = None) -> int:
    """Recount the activity rollups of ``person_ids`` (everyone with activity or rows when
    None) in the kept zones; the number of rows that differed (0: they were exact)."""
    if person_ids is None:
        people = sorted(
            set(Touchpoint.objects.exclude(by=None).values_list("by_id", flat=True).distinct())
            | set(Task.objects.values_list("assignee_id", flat=True).distinct())
            | _people_with_rows()
        )
    else:
        people = sorted(person_ids)
    differing = 0
    for person_id in people:
        with transaction.atomic():
            differing += _recount_person(person_id)
    return differing


def _people_with_rows() -> set[int]:
    return keys_with_rows(ACTIVITY_ROLLUPS, "person_id")


def _recount_person(person_id: int) -> int:
    return rewrite_if_different(
        ACTIVITY_ROLLUPS,
        "person_id",
        person_id,
        lock=PERSON_LOCK,
        count=lambda names: recount_activity(
            Touchpoint.objects.filter(by_id=person_id),
            Task.objects.filter(assignee_id=person_id),
            names,
        ),
    )


def recount_activity(touchpoints: Any, tasks: Any, names: list[str]) -> Tally:
    """What ``touchpoints`` and ``tasks`` (querysets) add up to in ``names``, in batches;
    only done tasks are read (an open one adds nothing)."""
    touchpoint_rows = touchpoints.order_by().values_list(*TOUCHPOINT_COLUMNS)
    task_rows = tasks.order_by().filter(done_at__isnull=False).values_list(*TASK_COLUMNS)
    return activity_tally(
        (TouchpointFacts(*row) for row in touchpoint_rows.iterator(chunk_size=BATCH)),
        (TaskFacts(*row) for row in task_rows.iterator(chunk_size=BATCH)),
        names,
    )


def drift_activity() -> list[str]:
    """The activity rollup rows that differ from a full recount (empty when exact)."""
    names = zones()
    counted = recount_activity(Touchpoint.objects.all(), Task.objects.all(), names)
    return differences(stored(ACTIVITY_ROLLUPS, names), counted)
