"""The demo's notion of time: one anchor day, and moments as whole seconds before it.

Generating with integer offsets instead of datetimes keeps the hot loops cheap and makes
"not in the future" a sign check: every past moment is negative.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cached_property

DAY = 86_400
HOUR = 3_600
# Eighteen months of history, the span forecasts and win rates are computed over.
HISTORY_DAYS = 548
# Office hours, local time: activity at 3 a.m. would look fake on a timeline.
WORKDAY_START_HOUR = 8
WORKDAY_END_HOUR = 18


@dataclass(frozen=True)
class Clock:
    today: dt.date

    @cached_property
    def anchor(self) -> dt.datetime:
        """Midnight UTC at the start of ``today``: every generated past moment is before it."""
        return dt.datetime.combine(self.today, dt.time(), tzinfo=dt.UTC)

    @property
    def history_start(self) -> dt.datetime:
        return self.anchor - dt.timedelta(days=HISTORY_DAYS)

    def moment(self, offset: int) -> dt.datetime:
        return self.anchor + dt.timedelta(seconds=offset)

    def day_of(self, offset: int) -> dt.date:
        return self.moment(offset).date()


def office_moment(rng: random.Random, day: int, utc_offset_hours: int = 0) -> int:
    """A moment during office hours on ``day`` (0 is the anchor day, -1 the day before).

    The hours are local to someone ``utc_offset_hours`` ahead of UTC.
    """
    local = rng.randint(WORKDAY_START_HOUR * HOUR, WORKDAY_END_HOUR * HOUR)
    return day * DAY + local - utc_offset_hours * HOUR


def moment_between(rng: random.Random, earliest: int, latest: int) -> int:
    """A moment in [earliest, latest]; ``earliest`` when the range is empty."""
    return rng.randint(earliest, latest) if latest > earliest else earliest
