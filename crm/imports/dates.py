"""Date columns read the way the whole column is written, decided before anything is written.

A cell such as ``03/04/2017`` is 3 April or 4 March depending on who wrote it, and a file
re-saved by Excel in another locale changes order without saying so. So no cell is read
on its own: every value of each mapped date column is looked at first, and the column is
read one way throughout.

- ISO dates and times (``2017-03-18``, ``2017-03-18 14:05``, ``2017-03-18T14:05:00.000Z``,
  ``2017-03-18T14:05:00.000+0000``), with or without seconds, fractions and an offset,
  mean the same everywhere.
- Numeric dates with ``/``, ``-`` or ``.`` (``18/03/2017``, ``3/18/2017, 2:05 PM``,
  ``18.03.17 14:05``) are day first or month first. Dots are written day first only (the
  convention of every locale that uses them). A value whose day is above 12 can be read
  one way only; it decides the column. A column with values that can be read only day
  first and others only month first contradicts itself and is refused, with one of each.
  A column whose values all read both ways (no day above 12) is read the way the user
  chose (``ImportOptions.date_orders`` per field, or ``date_order`` for every column);
  until they choose, it is not imported. Two-digit years are 2000 to 2099.
- Excel serial numbers (``42812``, ``42812.5`` for noon) are dates only in a spreadsheet
  source, and are read in Excel's 1900 date system (the default of every Excel but old
  Mac versions); serials before 1 March 1900, where Excel counts a day that never was,
  are refused.

Values that fit no format are row errors, reported as before. Times without an offset
are in the importing user's time zone (``User.time_zone``), else UTC; a date-only value
of a date-and-time field is midnight there, and a moment with an offset read into a
date-only field is the date it was in that zone.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from crm.imports.kinds import Field
from crm.imports.options import DateOrder, ImportOptions
from crm.imports.parsing import CellError, ImportFileError, Row

DAY_FIRST = DateOrder.DAY_FIRST.value
MONTH_FIRST = DateOrder.MONTH_FIRST.value
# Readings of a value that do not depend on the order of day and month.
AS_WRITTEN = "as_written"

_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6})\d*)?)?"
)
_OFFSET = r"(?P<offset>Z|(?:GMT|UTC)?[+-]\d{2}(?::?\d{2})?)"
_ISO = re.compile(
    rf"^(?P<year>\d{{4}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})(?:[ T]{_TIME}\s*{_OFFSET}?)?$"
)
_NUMERIC = re.compile(
    r"^(?P<first>\d{1,2})(?P<separator>[./-])(?P<second_part>\d{1,2})(?P=separator)"
    rf"(?P<year>\d{{4}}|\d{{2}})(?:,?\s+{_TIME}(?:\s*(?P<meridiem>[AaPp])\.?[Mm]\.?)?)?$"
)
_SERIAL = re.compile(r"^\d{1,7}(?:\.\d+)?$")
# Excel's day 0 in the 1900 system, counting its 29 February 1900: right from day 61 on.
# Naive: a serial carries no zone; the reader puts it in the importing user's.
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001
_FIRST_TRUE_SERIAL = 61
_LAST_SERIAL = 2_958_465  # 9999-12-31


class DateOrderNeeded(ImportFileError):
    """Date columns whose every value reads both ways, and no order chosen for them."""

    def __init__(self, columns: Sequence[DateColumn]) -> None:
        self.columns = list(columns)
        super().__init__(" ".join(column.question for column in columns))


def _time_of(match: re.Match[str]) -> dt.time | None:
    if match["hour"] is None:
        return dt.time()
    hour, minute = int(match["hour"]), int(match["minute"])
    meridiem = match.groupdict().get("meridiem")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem in "Pp" else 0)
    fraction = match["fraction"] or ""
    try:
        return dt.time(hour, minute, int(match["second"] or 0), int(fraction.ljust(6, "0")))
    except ValueError:
        return None


def _offset_of(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    digits = text.removeprefix("GMT").removeprefix("UTC")
    sign = -1 if digits[0] == "-" else 1
    digits = digits[1:].replace(":", "").ljust(4, "0")
    delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if delta >= dt.timedelta(hours=24):
        return None
    return dt.timezone(sign * delta)


def _combine(year: int, month: int, day: int, time: dt.time | None) -> dt.datetime | None:
    if time is None:
        return None
    try:
        return dt.datetime.combine(dt.date(year, month, day), time)
    except ValueError:
        return None


def readings(text: str, *, serials: bool = False) -> dict[str, dt.datetime]:
    """Every way ``text`` can be read: by DAY_FIRST and MONTH_FIRST for a numeric date,
    AS_WRITTEN for an ISO value or an Excel serial (when ``serials``); empty if none."""
    if match := _ISO.match(text):
        year, month, day = int(match["year"]), int(match["month"]), int(match["day"])
        moment = _combine(year, month, day, _time_of(match))
        if moment is None:
            return {}
        if match["offset"]:
            offset = _offset_of(match["offset"])
            if offset is None:
                return {}
            moment = moment.replace(tzinfo=offset)
        return {AS_WRITTEN: moment}
    if match := _NUMERIC.match(text):
        first, second = int(match["first"]), int(match["second_part"])
        year = int(match["year"]) if len(match["year"]) == 4 else 2000 + int(match["year"])
        time = _time_of(match)
        found: dict[str, dt.datetime] = {}
        if (day_first := _combine(year, second, first, time)) is not None:
            found[DAY_FIRST] = day_first
        month_first = _combine(year, first, second, time)
        if month_first is not None and match["separator"] != ".":
            found[MONTH_FIRST] = month_first
        return found
    if serials and _SERIAL.match(text):
        serial = float(text)
        if not _FIRST_TRUE_SERIAL <= serial < _LAST_SERIAL + 1:
            return {}
        # Whole seconds: a serial's fraction of a day is a float, and 14:05 must stay 14:05.
        seconds = round(serial * 86_400)
        return {AS_WRITTEN: _EXCEL_EPOCH + dt.timedelta(seconds=seconds)}
    return {}


def _shown(moment: dt.datetime) -> str:
    return date_format(moment.date(), "DATE_FORMAT")


_MAYBE_NUMERIC = re.compile(r"\d{1,2}[./-]")
_DAY_FIRST_ONLY, _MONTH_FIRST_ONLY, _BOTH = 1, 2, 3
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_day(year: int, month: int, day: int) -> bool:
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
        return False
    return month != 2 or day < 29 or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


def _orders_of(text: str) -> int:
    """Which orders ``text`` reads in, as ``readings`` would find them (0: none, _BOTH:
    two different days); without building the dates, since every cell is asked."""
    match = _NUMERIC.match(text)
    if match is None or (match["hour"] is not None and _time_of(match) is None):
        return 0
    first, second = int(match["first"]), int(match["second_part"])
    year = int(match["year"]) if len(match["year"]) == 4 else 2000 + int(match["year"])
    day_first = _is_day(year, second, first)
    month_first = match["separator"] != "." and _is_day(year, first, second)
    if day_first and month_first:
        return _BOTH if first != second else 0
    return _DAY_FIRST_ONLY if day_first else _MONTH_FIRST_ONLY if month_first else 0


@dataclass
class Evidence:
    """What a column's numeric dates allow: the first value that reads only day first, only
    month first, and both ways (differently). Bounded: three values, whatever the rows."""

    day_first_only: str = ""
    month_first_only: str = ""
    either_way: str = ""

    def add(self, text: str) -> None:
        if self.day_first_only and self.month_first_only:
            return  # contradictory: nothing more to learn
        # Only a numeric date depends on the order: a cheap test first, since the upload
        # looks at every cell of every column.
        if not _MAYBE_NUMERIC.match(text):
            return
        orders = _orders_of(text)
        if orders == _BOTH and not self.either_way:
            self.either_way = text
        elif orders == _DAY_FIRST_ONLY and not self.day_first_only:
            self.day_first_only = text
        elif orders == _MONTH_FIRST_ONLY and not self.month_first_only:
            self.month_first_only = text

    def to_json(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}

    @classmethod
    def from_json(cls, data: Mapping[str, str] | None) -> Evidence:
        known = cls.__dataclass_fields__
        return cls(**{name: value for name, value in (data or {}).items() if name in known})


@dataclass
class FileEvidence:
    """The evidence of every column of a file, gathered while the upload counts its rows."""

    header: Sequence[str]
    columns: list[Evidence] = dataclass_field(default_factory=list)

    def __post_init__(self) -> None:
        self.columns = [Evidence() for _name in self.header]

    def add(self, row: Row) -> None:
        maybe = _MAYBE_NUMERIC.match
        for evidence, cell in zip(self.columns, row.cells, strict=False):
            if cell and maybe(cell.lstrip()):
                evidence.add(cell.strip())

    def to_json(self) -> dict[str, dict[str, str]]:
        """Column name -> evidence, for the columns that hold numeric dates."""
        return {
            name: found
            for name, evidence in zip(self.header, self.columns, strict=True)
            if name and (found := evidence.to_json())
        }


@dataclass
class DateColumn:
    """How one mapped date column is read, decided from all its values."""

    field: Field
    column: str
    index: int
    evidence: Evidence = dataclass_field(default_factory=Evidence)
    # DAY_FIRST or MONTH_FIRST, or "" while undecided or when no value needs an order.
    order: str = ""
    # "file": its values allow one order only; "user": chosen; "": nothing decided it.
    decided_by: str = ""
    serials: bool = False

    @property
    def day_first_only(self) -> str:
        return self.evidence.day_first_only

    @property
    def month_first_only(self) -> str:
        return self.evidence.month_first_only

    @property
    def either_way(self) -> str:
        return self.evidence.either_way

    @property
    def needs_order(self) -> bool:
        return bool(self.either_way) and not self.order

    @property
    def is_contradictory(self) -> bool:
        return bool(self.day_first_only and self.month_first_only)

    def add(self, text: str) -> None:
        self.evidence.add(text)

    @property
    def example(self) -> str:
        """The value that shows how the column is read (for the preview)."""
        if self.order == MONTH_FIRST and self.decided_by == "file":
            return self.month_first_only
        if self.order == DAY_FIRST and self.decided_by == "file":
            return self.day_first_only
        return self.either_way

    @property
    def example_reading(self) -> str:
        """The example as the column reads it ("" while the order is undecided)."""
        return self.reading_of(self.example, self.order) if self.order else ""

    @property
    def day_first_reading(self) -> str:
        return self.reading_of(self.either_way, DAY_FIRST)

    @property
    def month_first_reading(self) -> str:
        return self.reading_of(self.either_way, MONTH_FIRST)

    def reading_of(self, text: str, order: str) -> str:
        moment = readings(text, serials=self.serials).get(order)
        return _shown(moment) if moment else ""

    @property
    def question(self) -> str:
        return _(
            "The dates in the column “%(column)s” (%(field)s) read both ways: “%(value)s” is "
            "%(day_first)s day first, %(month_first)s month first. Choose which order the "
            "column is written in."
        ) % {
            "column": self.column,
            "field": self.field.label,
            "value": self.either_way,
            "day_first": self.day_first_reading,
            "month_first": self.month_first_reading,
        }

    def contradiction(self) -> ImportFileError:
        return ImportFileError(
            _(
                "The column “%(column)s” (%(field)s) mixes two orders of day and month: "
                "“%(day_first)s” can only be %(day_first_reading)s (day first), and "
                "“%(month_first)s” only %(month_first_reading)s (month first). Write the "
                "column in one order (or as 2017-03-18) and upload the file again."
            )
            % {
                "column": self.column,
                "field": self.field.label,
                "day_first": self.day_first_only,
                "day_first_reading": self.reading_of(self.day_first_only, DAY_FIRST),
                "month_first": self.month_first_only,
                "month_first_reading": self.reading_of(self.month_first_only, MONTH_FIRST),
            }
        )

    def decide(self, options: ImportOptions) -> None:
        """Fix the order; raises ImportFileError when the column contradicts itself."""
        if self.is_contradictory:
            raise self.contradiction()
        if self.month_first_only:
            self.order, self.decided_by = MONTH_FIRST, "file"
        elif self.day_first_only:
            self.order, self.decided_by = DAY_FIRST, "file"
        elif self.either_way:
            chosen = options.date_orders.get(self.field.name) or options.date_order
            if chosen in DateOrder.values:
                self.order, self.decided_by = chosen, "user"


@dataclass
class DateScan:
    """The mapped date columns of a file, fed its rows one at a time (bounded memory)."""

    columns: list[DateColumn] = dataclass_field(default_factory=list)

    @classmethod
    def of(
        cls,
        *,
        header: Sequence[str],
        columns: Mapping[str, int],
        fields: Iterable[Field],
        serials: bool = False,
    ) -> DateScan:
        return cls(
            [
                DateColumn(field, header[columns[field.name]], columns[field.name], serials=serials)
                for field in fields
                if field.temporal and field.name in columns
            ]
        )

    def __bool__(self) -> bool:
        return bool(self.columns)

    def add(self, row: Row) -> None:
        for column in self.columns:
            cell = row.cells[column.index].strip()
            if cell:
                column.add(cell)

    def decide(self, options: ImportOptions | None) -> list[DateColumn]:
        """Every column's order; raises ImportFileError for a contradictory column."""
        for column in self.columns:
            column.decide(options or ImportOptions())
        return self.columns

    def with_evidence(self, recorded: Mapping[str, Mapping[str, str]]) -> DateScan:
        """This scan with the evidence an upload recorded (``FileEvidence``), by column."""
        for column in self.columns:
            column.evidence = Evidence.from_json(recorded.get(column.column))
        return self


def require_orders(columns: Sequence[DateColumn]) -> None:
    """Raises DateOrderNeeded when a column still needs the user to choose its order."""
    undecided = [column for column in columns if column.needs_order]
    if undecided:
        raise DateOrderNeeded(undecided)


def time_zone_of(user: User) -> dt.tzinfo:
    """The zone of times written without an offset: the importing user's, else UTC."""
    try:
        return zoneinfo.ZoneInfo(user.time_zone) if user.time_zone else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _not_a_date(text: str, column: DateColumn) -> CellError:
    if column.order == MONTH_FIRST:
        return CellError(
            _("“%(value)s” is not a date: the column is month first (03/31/2026) or ISO.")
            % {"value": text}
        )
    return CellError(
        _("“%(value)s” is not a date: use 2026-03-31, 31.03.2026 or 31/03/2026.") % {"value": text}
    )


def reader(column: DateColumn, *, tz: dt.tzinfo) -> Callable[[str], Any]:
    """The function that reads one cell of ``column``: a date or an aware datetime."""
    wants_date = column.field.temporal == "date"

    def read(text: str) -> dt.date | dt.datetime:
        found = readings(text, serials=column.serials)
        moment = found.get(AS_WRITTEN) or found.get(column.order)
        if moment is None and len(set(found.values())) == 1:
            moment = next(iter(found.values()))  # the same day both ways: 05/05/2017
        if moment is None:
            raise _not_a_date(text, column)
        if wants_date:
            return moment.astimezone(tz).date() if moment.tzinfo else moment.date()
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)

    return read


def readers(columns: Sequence[DateColumn], *, tz: dt.tzinfo) -> dict[str, Callable[[str], Any]]:
    """Field name -> the reader of its column, for every decided column."""
    return {
        column.field.name: reader(column, tz=tz) for column in columns if not column.needs_order
    }


def scan_dates(
    source: Any,
    *,
    header: Sequence[str],
    columns: Mapping[str, int],
    fields: Iterable[Field],
    options: ImportOptions | None,
    recorded: Mapping[str, Mapping[str, str]] | None = None,
) -> list[DateColumn]:
    """The mapped date columns of ``source``, decided from all their values.

    ``recorded``: the evidence the upload gathered (``ImportJob.date_evidence``); without
    it the file is read once more when a date column is mapped (nothing is kept but a few
    example values). Raises ImportFileError for a contradictory column."""
    scan = DateScan.of(header=header, columns=columns, fields=fields, serials=source.serial_dates)
    if scan and recorded is not None:
        scan.with_evidence(recorded)
    elif scan:
        _header, rows = source.read()
        for row in rows:
            scan.add(row)
    return scan.decide(options)
