"""What each deal adds to the rollups: the one home of that rule.

In every report zone Z (``ReportZone``), a deal adds:

- to ``DealDay`` (Z, the day it was created in Z, its owner, pipeline, currency): one
  deal created, and its value;
- when won: to ``DealDay`` of the day it was won in Z: one deal won, and its value; and
  to ``WonCycleMonth`` (Z, that day's month, owner, pipeline, its cycle's whole days): one;
- when lost: to ``DealDay`` of the day it was lost in Z: one deal lost.

- for each period (a month, a quarter) in Z and each open stage it entered in that
  period (a StageChange into it at a time within the period): to ``FunnelStage`` (Z,
  period, owner, pipeline, stage): one entered; one advanced when a change strictly
  later than such an entry (ties at the same time excluded) is into an open stage of a
  higher position or into a won stage; one won when such a later change is into a won
  stage. Once per deal, stage and period, as ``forecasting.funnel`` counts them;
- for each stay in an open stage that ended (a StageChange into it, ended by the deal's
  next change in (at, id) order): to ``StayMonth`` (Z, the month the stay ended in Z,
  owner, pipeline, stage, its whole days): one finished; and for each month end in Z
  the stay went past (began before it, ended at or after it): to ``StayMonth`` (Z, that
  month, owner, pipeline, stage, whole days from entering to the month's end): one
  straddling. A stay still going (the deal's last change) adds nothing: it lengthens
  with time, so reports read it from the open deals.

A reopened deal is open and adds nothing closed, as in ``forecasting.outcomes``. The
cycle runs from first engaged, else created, to won, in whole days (``forecasting.cycles``).
Everything is by the deal's current owner, pipeline, currency and value, as the live
figures are: a change to any of them moves the deal's whole contribution. Stage kinds
and positions are read as they are now: a reorder of the stages is not followed per deal
(``forecasting.rollup_upkeep``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import models

from forecasting.models import DealDay, FunnelStage, PeriodKind, StayMonth, WonCycleMonth
from pipeline.models import OpportunityStatus, StageKind

ONE_DAY = dt.timedelta(days=1)


class StageVisit(NamedTuple):
    """One StageChange of a deal, with the kind and position of the stage it went into."""

    at: dt.datetime
    pk: int
    stage_id: int
    kind: str
    position: int


# The columns of StageChange read into a ``StageVisit``, after the deal's id.
VISIT_COLUMNS = (
    "opportunity_id",
    "at",
    "pk",
    "to_stage_id",
    "to_stage__kind",
    "to_stage__position",
)


class DealFacts(NamedTuple):
    """The columns of a deal the rollups read, in ``FACT_COLUMNS`` order, and its stage
    history in (at, id) order."""

    pk: int
    owner_id: int
    pipeline_id: int
    currency: str
    value: Decimal
    status: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    first_engaged_at: dt.datetime | None
    changes: tuple[StageVisit, ...] = ()


FACT_COLUMNS = tuple(DealFacts._fields[:-1])


@dataclass(frozen=True)
class Rollup:
    """A rollup table: the columns that key a row and the ones that add up."""

    model: type[models.Model]
    keys: tuple[str, ...]
    sums: tuple[str, ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table


DEAL_DAY = Rollup(
    DealDay,
    keys=("zone", "owner_id", "day", "pipeline_id", "currency"),
    sums=("created_count", "created_value", "won_count", "won_value", "lost_count"),
)
WON_CYCLE = Rollup(
    WonCycleMonth, keys=("zone", "owner_id", "month", "pipeline_id", "days"), sums=("count",)
)
FUNNEL_STAGE = Rollup(
    FunnelStage,
    keys=("zone", "owner_id", "period", "start", "pipeline_id", "stage_id"),
    sums=("entered", "advanced", "won"),
)
STAY_MONTH = Rollup(
    StayMonth,
    keys=("zone", "owner_id", "month", "pipeline_id", "stage_id", "days"),
    sums=("finished", "straddling"),
)
ROLLUPS = (DEAL_DAY, WON_CYCLE, FUNNEL_STAGE, STAY_MONTH)

Key = tuple[Any, ...]


@dataclass
class Tally:
    """Rollup rows being added up: per rollup, per key, the sums in ``Rollup.sums`` order.
    ``rollups`` are the tables it covers (the deals' by default; the activity rollups
    use the same arithmetic)."""

    rollups: tuple[Rollup, ...] = ROLLUPS
    rows: dict[Rollup, dict[Key, list[Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rollup in self.rollups:
            self.rows.setdefault(rollup, {})

    def add(self, rollup: Rollup, key: Key, sums: Sequence[Any], sign: int = 1) -> None:
        row = self.rows[rollup].setdefault(key, [0] * len(rollup.sums))
        for index, amount in enumerate(sums):
            row[index] += sign * amount

    def minus(self, other: Tally) -> Tally:
        """This tally less ``other``, keeping only rows that changed."""
        difference = Tally(self.rollups)
        for rollup in self.rollups:
            for key, sums in self.rows[rollup].items():
                difference.add(rollup, key, sums)
            for key, sums in other.rows[rollup].items():
                difference.add(rollup, key, sums, sign=-1)
            changed = difference.rows[rollup]
            for key in [key for key, sums in changed.items() if not any(sums)]:
                del changed[key]
        return difference

    def owner_ids(self) -> set[int]:
        return {key[1] for rows in self.rows.values() for key in rows}

    def __bool__(self) -> bool:
        return any(self.rows.values())


def whole_days(end: dt.datetime, start: dt.datetime) -> int:
    """Whole days from ``start`` to ``end``, rounded down, as ``forecasting.days.WholeDays``."""
    return (end - start) // ONE_DAY


def tally(deals: Iterable[DealFacts], zones: Sequence[str], into: Tally | None = None) -> Tally:
    """What ``deals`` add to the rollups in ``zones`` (see the module's docstring)."""
    into = into if into is not None else Tally()
    infos = [(name, ZoneInfo(name)) for name in zones]
    won, lost = OpportunityStatus.WON, OpportunityStatus.LOST
    for deal in deals:
        closed = deal.closed_at if deal.status in (won, lost) else None
        days = None
        if closed is not None and deal.status == won:
            days = whole_days(closed, deal.first_engaged_at or deal.created_at)
        for name, zone in infos:
            created_day = deal.created_at.astimezone(zone).date()
            into.add(
                DEAL_DAY,
                (name, deal.owner_id, created_day, deal.pipeline_id, deal.currency),
                (1, deal.value, 0, 0, 0),
            )
            if closed is None:
                continue
            closed_day = closed.astimezone(zone).date()
            key = (name, deal.owner_id, closed_day, deal.pipeline_id, deal.currency)
            if deal.status == won:
                into.add(DEAL_DAY, key, (0, 0, 1, deal.value, 0))
                month = closed_day.replace(day=1)
                into.add(WON_CYCLE, (name, deal.owner_id, month, deal.pipeline_id, days), (1,))
            else:
                into.add(DEAL_DAY, key, (0, 0, 0, 0, 1))
        if deal.changes:
            _tally_stages(deal, infos, into)
    return into


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _outcomes_after(changes: Sequence[StageVisit]) -> list[tuple[bool, int | None]]:
    """Per change: whether a strictly later change (not one at the same time) is into a
    won stage, and the highest position of a strictly later change into an open stage."""
    outcomes: list[tuple[bool, int | None]] = [(False, None)] * len(changes)
    won, top = False, None  # over the changes later than the current group of ties
    index = len(changes) - 1
    while index >= 0:
        first = index
        while first > 0 and changes[first - 1].at == changes[index].at:
            first -= 1
        for tied in range(first, index + 1):
            outcomes[tied] = (won, top)
        for tied in range(first, index + 1):
            change = changes[tied]
            if change.kind == StageKind.WON:
                won = True
            elif change.kind == StageKind.OPEN and (top is None or change.position > top):
                top = change.position
        index = first - 1
    return outcomes


def _tally_stages(deal: DealFacts, infos: Sequence[tuple[str, ZoneInfo]], into: Tally) -> None:
    """What the deal's stage history adds to ``FunnelStage`` and ``StayMonth``."""
    changes = deal.changes
    outcomes = _outcomes_after(changes)
    for name, zone in infos:
        funnel: dict[Key, list[int]] = {}
        for change, (won_after, top_after) in zip(changes, outcomes, strict=True):
            if change.kind != StageKind.OPEN:
                continue
            advanced = won_after or (top_after is not None and top_after > change.position)
            day = change.at.astimezone(zone).date()
            for period, start in (
                (PeriodKind.MONTH.value, month_start(day)),
                (PeriodKind.QUARTER.value, quarter_start(day)),
            ):
                key = (name, deal.owner_id, period, start, deal.pipeline_id, change.stage_id)
                row = funnel.setdefault(key, [1, 0, 0])
                row[1] |= advanced
                row[2] |= won_after
        for key, sums in funnel.items():
            into.add(FUNNEL_STAGE, key, sums)
        for change, following in itertools.pairwise(changes):
            if change.kind != StageKind.OPEN:
                continue
            left = following.at
            left_month = month_start(left.astimezone(zone).date())
            days = whole_days(left, change.at)
            stay = (name, deal.owner_id, left_month, deal.pipeline_id, change.stage_id)
            into.add(STAY_MONTH, (*stay, days), (1, 0))
            month = month_start(change.at.astimezone(zone).date())
            # Every month from the one it began in to the one before it ended: its end
            # (midnight in the zone) is after the entry and at or before the leaving.
            while month < left_month:
                month_end = dt.datetime.combine(next_month(month), dt.time.min, tzinfo=zone)
                straddled = (name, deal.owner_id, month, deal.pipeline_id, change.stage_id)
                into.add(STAY_MONTH, (*straddled, whole_days(month_end, change.at)), (0, 1))
                month = next_month(month)
