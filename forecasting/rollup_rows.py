"""What each deal adds to the rollups: the one home of that rule.

In every report zone Z (``ReportZone``), a deal adds:

- to ``DealDay`` (Z, the day it was created in Z, its owner, pipeline, currency): one
  deal created, and its value;
- when won: to ``DealDay`` of the day it was won in Z: one deal won, and its value; and
  to ``WonCycleMonth`` (Z, that day's month, owner, pipeline, its cycle's whole days): one;
- when lost: to ``DealDay`` of the day it was lost in Z: one deal lost.

A reopened deal is open and adds nothing closed, as in ``forecasting.outcomes``. The
cycle runs from first engaged, else created, to won, in whole days (``forecasting.cycles``).
Everything is by the deal's current owner, pipeline, currency and value, as the live
figures are: a change to any of them moves the deal's whole contribution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db import models

from forecasting.models import DealDay, WonCycleMonth
from pipeline.models import OpportunityStatus

ONE_DAY = dt.timedelta(days=1)


class DealFacts(NamedTuple):
    """The columns of a deal the rollups read, in ``FACT_COLUMNS`` order."""

    pk: int
    owner_id: int
    pipeline_id: int
    currency: str
    value: Decimal
    status: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    first_engaged_at: dt.datetime | None


FACT_COLUMNS = tuple(DealFacts._fields)


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
ROLLUPS = (DEAL_DAY, WON_CYCLE)

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
    return into
