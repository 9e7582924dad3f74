"""Reporting periods: a month or a quarter, named in URLs as ``2026-07`` or ``2026-Q3``.

Periods are calendar dates; their bounds become instants in the current time zone (the
user's, activated by UserTimezoneMiddleware), so a deal won on the evening of 31 March in
New York counts in the first quarter there although UTC already says April.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

# The pattern the API's schema publishes; _TOKEN reads the same names.
PERIOD_NAME = r"^[1-9]\d{3}-(Q[1-4]|0[1-9]|1[0-2])$"
_TOKEN = re.compile(r"^(?P<year>[1-9]\d{3})-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2]))$")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_before(self) -> dt.datetime:
        return timezone.make_aware(
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def is_quarter(self) -> bool:
        return (
            self.start.day == 1
            and self.start.month % 3 == 1
            and self.end == _quarter_end(self.start)
        )

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self.end == _month_end(self.start)

    @property
    def token(self) -> str:
        """The period's name in URLs: ``2026-Q3`` or ``2026-07``."""
        if self.is_quarter:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.is_month:
            return f"{self.start:%Y-%m}"
        raise ValueError(f"{self} is neither a month nor a quarter")

    def following(self) -> Period:
        """The period of the same kind right after this one."""
        day = self.end + dt.timedelta(days=1)
        return quarter_of(day) if self.is_quarter else month_of(day)

    def preceding(self) -> Period:
        """The period of the same kind right before this one."""
        day = self.start - dt.timedelta(days=1)
        return quarter_of(day) if self.is_quarter else month_of(day)

    def months(self) -> list[Period]:
        """The calendar months that make up the period."""
        months = [month_of(self.start)]
        while months[-1].end < self.end:
            months.append(months[-1].following())
        return months

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def _month_end(start: dt.date) -> dt.date:
    following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _quarter_end(start: dt.date) -> dt.date:
    first_month = 3 * ((start.month - 1) // 3) + 1
    if first_month == 10:
        return dt.date(start.year, 12, 31)
    return dt.date(start.year, first_month + 3, 1) - dt.timedelta(days=1)


def month_of(day: dt.date) -> Period:
    start = day.replace(day=1)
    return Period(start=start, end=_month_end(start))


def quarter_of(day: dt.date) -> Period:
    start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return Period(start=start, end=_quarter_end(start))


def parse_period(token: str) -> Period:
    """The period a URL names; ValueError with a message for anything else."""
    match = _TOKEN.match(token.strip())
    if match is None:
        raise ValueError(
            _(
                "“%(value)s” is not a period: write a quarter such as 2026-Q3 "
                "or a month such as 2026-07."
            )
            % {"value": token}
        )
    year = int(match["year"])
    if match["quarter"]:
        return quarter_of(dt.date(year, 3 * int(match["quarter"]) - 2, 1))
    return month_of(dt.date(year, int(match["month"]), 1))


def current_quarter() -> Period:
    return quarter_of(timezone.localdate())
