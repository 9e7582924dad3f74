"""What each touchpoint and task adds to the activity rollups: the one home of that rule.

In every report zone Z (``ReportZone``):

- a touchpoint with a person (``by``) adds one to ``TouchpointDay`` (Z, that person, the
  day of its ``at`` in Z, its kind); one whose author is gone (``by`` empty) adds nothing,
  as the live report counts it for no one;
- a done task (``done_at`` set) adds one to ``TaskDoneDay`` (Z, its assignee, the day of
  its ``done_at`` in Z); an open task adds nothing: a reopened task leaves the day it was
  done. Overdue tasks are a state of now and are not rolled up.

Everything is by the row's current person, time and kind: a change to any of them moves
the row's whole contribution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from zoneinfo import ZoneInfo

from forecasting.models import TaskDoneDay, TouchpointDay
from forecasting.rollup_rows import Rollup, Tally


class TouchpointFacts(NamedTuple):
    """The columns of a touchpoint the rollups read, in ``TOUCHPOINT_COLUMNS`` order."""

    pk: int
    by_id: int | None
    at: dt.datetime
    kind: str


class TaskFacts(NamedTuple):
    """The columns of a task the rollups read, in ``TASK_COLUMNS`` order."""

    pk: int
    assignee_id: int
    done_at: dt.datetime | None


TOUCHPOINT_COLUMNS = tuple(TouchpointFacts._fields)
TASK_COLUMNS = tuple(TaskFacts._fields)

TOUCHPOINT_DAY = Rollup(TouchpointDay, keys=("zone", "person_id", "day", "kind"), sums=("count",))
TASK_DONE_DAY = Rollup(TaskDoneDay, keys=("zone", "person_id", "day"), sums=("done",))
ACTIVITY_ROLLUPS = (TOUCHPOINT_DAY, TASK_DONE_DAY)


def activity_tally(
    touchpoints: Iterable[TouchpointFacts],
    tasks: Iterable[TaskFacts],
    zones: Sequence[str],
    into: Tally | None = None,
) -> Tally:
    """What ``touchpoints`` and ``tasks`` add to the rollups in ``zones`` (see the module's
    docstring)."""
    into = into if into is not None else Tally(ACTIVITY_ROLLUPS)
    infos = [(name, ZoneInfo(name)) for name in zones]
    for touchpoint in touchpoints:
        if touchpoint.by_id is None:
            continue
        for name, zone in infos:
            day = touchpoint.at.astimezone(zone).date()
            into.add(TOUCHPOINT_DAY, (name, touchpoint.by_id, day, touchpoint.kind), (1,))
    for task in tasks:
        if task.done_at is None:
            continue
        for name, zone in infos:
            day = task.done_at.astimezone(zone).date()
            into.add(TASK_DONE_DAY, (name, task.assignee_id, day), (1,))
    return into
